#ifndef EARSHOT_BENCH_LIBOPUS_BASELINE_H
#define EARSHOT_BENCH_LIBOPUS_BASELINE_H

// libopus called directly, without EarshotCodec: the denominator of the receiver's per-frame cost ratio.
#include <opus/opus.h>

#endif
