#ifndef EARSHOT_BENCH_SPEEXDSP_BASELINE_H
#define EARSHOT_BENCH_SPEEXDSP_BASELINE_H

// libspeexdsp's resampler: the peer AdaptiveResampler is measured against (same blocks, same ratio).
#include <speex/speex_resampler.h>

#endif
