#ifndef EARSHOT_BENCH_SOXR_BASELINE_H
#define EARSHOT_BENCH_SOXR_BASELINE_H

// libsoxr, the reference for resampling quality: AdaptiveResampler and libspeexdsp are measured against it.
#include <soxr.h>

#endif
