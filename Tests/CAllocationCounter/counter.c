// Test-only malloc interposer: every allocation function forwards to glibc's own (`__libc_*`), so every pointer in
// the process stays a plain glibc pointer whether or not counting is on, and counting only adds one relaxed load
// while off. Frees are neither counted nor interposed.
//
// Why our own: ordo-one's malloc-interposer keeps a per-thread counter block that it frees in a thread-exit
// destructor without clearing the thread's cached pointer to it, so a thread that exits while counting is enabled
// and allocates or frees once more after that destructor writes into freed memory. In this suite a pipeline's
// sound-server threads and the test runner's workers exit during the measured windows: the heap was corrupted
// ("malloc_consolidate(): invalid chunk size", SIGSEGV) in 1 of 3 runs of the allocation suites.
#define _GNU_SOURCE
#include "CAllocationCounter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

// A sanitizer's runtime brings its own allocator and intercepts malloc and free: pointers from glibc's allocator would
// reach its free. Under a sanitizer nothing is interposed and nothing is counted (the ThreadSanitizer run, see
// Tests/run-thread-sanitizer.sh, filters to the ring buffer's tests).
#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define EARSHOT_SANITIZED 1
#endif
#endif

static _Atomic pid_t watched_thread = 0;
static _Atomic long allocation_count = 0;

static inline void note_allocation(void) {
    pid_t watched = atomic_load_explicit(&watched_thread, memory_order_relaxed);
    // gettid is a system call that does not allocate; made only while counting.
    if (__builtin_expect(watched != 0, 0) && (pid_t)syscall(SYS_gettid) == watched) {
        atomic_fetch_add_explicit(&allocation_count, 1, memory_order_relaxed);
    }
}

void earshot_allocation_count_begin(pid_t thread) {
    atomic_store_explicit(&allocation_count, 0, memory_order_relaxed);
    atomic_store_explicit(&watched_thread, thread, memory_order_release);
}

long earshot_allocation_count_end(void) {
    atomic_store_explicit(&watched_thread, 0, memory_order_release);
    return atomic_load_explicit(&allocation_count, memory_order_acquire);
}

#ifndef EARSHOT_SANITIZED

void *malloc(size_t size) {
    note_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note_allocation();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    note_allocation();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note_allocation();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment == 0 || alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    note_allocation();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}

void *valloc(size_t size) {
    note_allocation();
    return __libc_valloc(size);
}

void *pvalloc(size_t size) {
    note_allocation();
    return __libc_pvalloc(size);
}

#endif
