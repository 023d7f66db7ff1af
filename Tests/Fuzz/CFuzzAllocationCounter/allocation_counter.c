#include "allocation_counter.h"

#include <sanitizer/allocator_interface.h>

static _Thread_local int counting;
static _Thread_local unsigned long allocations;

static void on_malloc(const volatile void *pointer, size_t size) {
    (void)pointer;
    (void)size;
    if (counting) allocations += 1;
}

static void on_free(const volatile void *pointer) { (void)pointer; }

int earshot_fuzz_allocation_counter_install(void) {
    return __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}

void earshot_fuzz_allocation_counter_begin(void) {
    allocations = 0;
    counting = 1;
}

unsigned long earshot_fuzz_allocation_counter_end(void) {
    counting = 0;
    return allocations;
}

size_t earshot_fuzz_allocated_bytes(void) { return __sanitizer_get_current_allocated_bytes(); }
