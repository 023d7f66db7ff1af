#ifndef EARSHOT_FUZZ_ALLOCATION_COUNTER_H
#define EARSHOT_FUZZ_ALLOCATION_COUNTER_H

#include <stddef.h>

// Counts the calling thread's heap allocations between begin and end, through AddressSanitizer's malloc hooks
// (ASan chains up to five hook pairs; libFuzzer installs one of its own). Only for binaries built with
// -sanitize=address. Allocations on other threads are not counted.

/// Installs the hooks; call once before the first begin. Returns 0 if ASan refused them.
int earshot_fuzz_allocation_counter_install(void);
/// Starts counting on this thread from zero.
void earshot_fuzz_allocation_counter_begin(void);
/// Stops counting and returns the allocations made on this thread since begin.
unsigned long earshot_fuzz_allocation_counter_end(void);
/// Bytes currently allocated through ASan's allocator, all threads (`__sanitizer_get_current_allocated_bytes`).
size_t earshot_fuzz_allocated_bytes(void);

#endif
