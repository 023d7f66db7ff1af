#ifndef EARSHOT_CSPEEXDSP_SHIM_H
#define EARSHOT_CSPEEXDSP_SHIM_H

// libspeexdsp's resampler only (EarshotResample wraps it); the rest of libspeexdsp is not used.
#include <speex/speex_resampler.h>

#endif
