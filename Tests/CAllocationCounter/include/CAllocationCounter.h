#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

#include <sys/types.h>

/// Starts counting the allocations (malloc, calloc, realloc, the aligned forms, valloc) that kernel thread `thread`
/// makes, from zero. One thread at a time, process-wide: suites that count must be serialized. Any thread.
void earshot_allocation_count_begin(pid_t thread);

/// Stops counting and returns the count since `earshot_allocation_count_begin`. Any thread.
long earshot_allocation_count_end(void);

#endif
