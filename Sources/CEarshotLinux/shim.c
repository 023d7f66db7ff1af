#define _GNU_SOURCE
#include "CEarshotLinux.h"
#include <unistd.h>
#include <sys/syscall.h>

pid_t earshot_gettid(void) { return (pid_t)syscall(SYS_gettid); }
