#ifndef EARSHOT_CEARSHOTLINUX_H
#define EARSHOT_CEARSHOTLINUX_H

// Linux facilities Swift cannot reach directly (macros, inline-only APIs).
// Every shim is prefixed `earshot_` and says why it exists.

#include <stdint.h>
#include <sys/types.h>

/// Current thread's kernel thread id: glibc's gettid() wrapper is not visible to Swift on every glibc.
pid_t earshot_gettid(void);

#endif
