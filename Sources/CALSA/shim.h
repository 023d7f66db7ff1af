#ifndef EARSHOT_CALSA_SHIM_H
#define EARSHOT_CALSA_SHIM_H

#include <alsa/asoundlib.h>

/// alsa-lib's error handler is variadic, which Swift cannot define: this one drops the message.
static void earshot_alsa_discard_error(const char *file, int line, const char *function, int error,
                                       const char *format, ...) {
    (void)file; (void)line; (void)function; (void)error; (void)format;
}

/// Silences (`quiet` nonzero) or restores alsa-lib's own messages on stderr. Process-wide: call while no other thread
/// uses ALSA.
static inline void earshot_alsa_set_library_messages_quiet(int quiet) {
    snd_lib_error_set_handler(quiet ? earshot_alsa_discard_error : NULL);
}

#endif
