#ifndef EARSHOT_CEARSHOTLINUX_H
#define EARSHOT_CEARSHOTLINUX_H

// Linux facilities Swift cannot reach directly (macros, inline-only APIs).
// Every shim is prefixed `earshot_` and says why it exists.

#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <poll.h>
#include <time.h>

/// Current thread's kernel thread id: glibc's gettid() wrapper is not visible to Swift on every glibc.
pid_t earshot_gettid(void);

/// Turns on nanosecond kernel receive timestamps. `SO_TIMESTAMPNS` is a macro that expands to a
/// `sizeof`-dependent expression on some ABIs, which Swift cannot import. Returns 0 or -1 with errno set.
int earshot_enable_receive_timestamps(int fd);

/// Bytes of control buffer `recvmsg` needs for one `SCM_TIMESTAMPNS` message. `CMSG_SPACE` is a macro.
size_t earshot_timestamp_control_length(void);

/// Walks the control messages of a completed `recvmsg` and copies the `SCM_TIMESTAMPNS` payload into
/// `timestamp`. `CMSG_FIRSTHDR`/`CMSG_NXTHDR`/`CMSG_DATA` are macros Swift cannot use.
/// Returns 1 when a timestamp was found, 0 otherwise. Allocation-free.
int earshot_receive_timestamp(const struct msghdr *message, struct timespec *timestamp);

/// Layout-identical to glibc's `struct mmsghdr` (one message of a `recvmmsg` batch), which `<sys/socket.h>` declares
/// only under `_GNU_SOURCE`, which Swift's Glibc module does not define. shim.c asserts the layouts match.
struct earshot_mmsghdr {
    struct msghdr msg_hdr;
    /// Bytes received into this message (the truncated length when `msg_hdr.msg_flags` has `MSG_TRUNC`).
    unsigned int msg_len;
};

/// `recvmmsg(fd, messages, count, flags, NULL)`: receives up to `count` datagrams in one system call. Declared only
/// under `_GNU_SOURCE`, like its struct. No timeout argument (the kernel checks it only between datagrams); use
/// `MSG_WAITFORONE` with `SO_RCVTIMEO`, or `MSG_DONTWAIT`. Returns the number received, or -1 with errno set.
/// Allocation-free.
int earshot_recvmmsg(int fd, struct earshot_mmsghdr *messages, unsigned int count, int flags);

/// `ppoll` with a nanosecond timeout (negative: wait forever). `ppoll` is declared only under
/// `_GNU_SOURCE`, which Swift's Glibc module does not define, and plain `poll` has millisecond resolution,
/// too coarse for scheduling delayed sends.
int earshot_ppoll(struct pollfd *fds, nfds_t count, int64_t timeout_nanoseconds);

/// Installs SIGINT and SIGTERM handlers that only set a flag (no `SA_RESTART`, so blocking calls wake), and
/// unblocks both signals on the calling thread (call from the main thread before starting others).
/// A signal handler may only touch a `volatile sig_atomic_t`, a type Swift cannot declare.
void earshot_install_stop_signal_handlers(void);

/// Nonzero once SIGINT or SIGTERM arrived after `earshot_install_stop_signal_handlers`.
int earshot_stop_signal_received(void);

/// A non-blocking, close-on-exec eventfd with a count of 0 (`<sys/eventfd.h>` is not in Swift's Glibc module).
/// Returns the descriptor or -1 with errno set.
int earshot_eventfd_create(void);

/// Adds 1 to the eventfd `descriptor`'s count (one write(2); no allocation, never blocks on a non-blocking eventfd):
/// safe from a real-time thread. Returns the write's result.
long earshot_eventfd_signal(int descriptor);

/// Starts `/bin/sh -c command` with `environment` (NULL-terminated), stdin from /dev/null, stdout and stderr
/// inherited, and every other descriptor closed in the child (sockets, devices), without waiting for it.
/// Returns 0 with `*pid` set, or an errno value. `posix_spawn_file_actions_addclosefrom_np` needs `_GNU_SOURCE`.
int earshot_spawn_shell(const char *command, char *const environment[], pid_t *pid);

/// Installs a SIGHUP handler that only counts the signal (no `SA_RESTART`), and unblocks SIGHUP on the calling thread
/// (call from the main thread before starting others).
void earshot_install_reload_signal_handler(void);

/// The SIGHUPs that arrived since the last call (0 if none), resetting the count.
int earshot_take_reload_signals(void);

/// Sets this thread's timer slack to 1 ns (default 50 µs) so timed waits wake on time. `prctl` is variadic,
/// which Swift cannot call. Returns 0 or -1 with errno set.
int earshot_set_minimal_timer_slack(void);

#endif
