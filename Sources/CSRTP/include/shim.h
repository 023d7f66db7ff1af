#ifndef EARSHOT_CSRTP_SHIM_H
#define EARSHOT_CSRTP_SHIM_H

#include "srtp2/srtp.h"

// srtp_policy_t's ssrc member is a struct whose type field is an enum Swift imports as a struct of raw values;
// these set it in C so the wrapper does not depend on how the enum is imported.

static inline void earshot_srtp_policy_set_any_inbound(srtp_policy_t *policy) {
    policy->ssrc.type = ssrc_any_inbound;
    policy->ssrc.value = 0;
}

static inline void earshot_srtp_policy_set_any_outbound(srtp_policy_t *policy) {
    policy->ssrc.type = ssrc_any_outbound;
    policy->ssrc.value = 0;
}

#endif
