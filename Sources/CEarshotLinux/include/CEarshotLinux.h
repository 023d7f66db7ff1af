#ifndef EARSHOT_CEARSHOTLINUX_H
#define EARSHOT_CEARSHOTLINUX_H

// Linux facilities Swift cannot reach directly (macros, inline-only APIs).
// Every shim is prefixed `earshot_` and says why it exists.

#include <stdint.h>
#include <sys/types.h>

/// Current thread's kernel thread id: glibc's gettid() wrapper is not visible to Swift on every glibc.
pid_t earshot_gettid(void);

// RealtimeSanitizer (clang rtsan) hooks. Declared weak so that ordinary builds, which do not link the rtsan runtime,
// see null symbols and call nothing; a test probe linked with `libclang_rt.rtsan` gets real checks of the real-time
// loop. `disable`/`enable` bracket ALSA calls, which poll and lock inside the library by design.
extern void __rtsan_realtime_enter(void) __attribute__((weak));
extern void __rtsan_realtime_exit(void) __attribute__((weak));
extern void __rtsan_disable(void) __attribute__((weak));
extern void __rtsan_enable(void) __attribute__((weak));

static inline void earshot_rtsan_realtime_enter(void) { if (__rtsan_realtime_enter) __rtsan_realtime_enter(); }
static inline void earshot_rtsan_realtime_exit(void) { if (__rtsan_realtime_exit) __rtsan_realtime_exit(); }
static inline void earshot_rtsan_disable(void) { if (__rtsan_disable) __rtsan_disable(); }
static inline void earshot_rtsan_enable(void) { if (__rtsan_enable) __rtsan_enable(); }

#endif
