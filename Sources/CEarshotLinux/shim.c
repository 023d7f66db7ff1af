#define _GNU_SOURCE
#include "CEarshotLinux.h"
#include <unistd.h>
#include <string.h>
#include <signal.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <spawn.h>
#include <fcntl.h>

pid_t earshot_gettid(void) { return (pid_t)syscall(SYS_gettid); }

int earshot_enable_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

size_t earshot_timestamp_control_length(void) { return CMSG_SPACE(sizeof(struct timespec)); }

int earshot_receive_timestamp(const struct msghdr *message, struct timespec *timestamp) {
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)message); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS &&
            header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            memcpy(timestamp, CMSG_DATA(header), sizeof(struct timespec));
            return 1;
        }
    }
    return 0;
}

_Static_assert(sizeof(struct earshot_mmsghdr) == sizeof(struct mmsghdr), "earshot_mmsghdr must match mmsghdr");
_Static_assert(offsetof(struct earshot_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "earshot_mmsghdr.msg_len must match mmsghdr.msg_len");

int earshot_recvmmsg(int fd, struct earshot_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int earshot_ppoll(struct pollfd *fds, nfds_t count, int64_t timeout_nanoseconds) {
    if (timeout_nanoseconds < 0) { return ppoll(fds, count, NULL, NULL); }
    struct timespec timeout = {
        .tv_sec = (time_t)(timeout_nanoseconds / 1000000000),
        .tv_nsec = (long)(timeout_nanoseconds % 1000000000),
    };
    return ppoll(fds, count, &timeout, NULL);
}

static volatile sig_atomic_t earshot_stop_flag = 0;

static void earshot_stop_handler(int signal_number) {
    (void)signal_number;
    earshot_stop_flag = 1;
}

void earshot_install_stop_signal_handlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = earshot_stop_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    // A parent may spawn us with these blocked (Foundation's Process inherits its thread's mask): unblock them,
    // or the handlers never run and the tool cannot be stopped gracefully.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
}

int earshot_stop_signal_received(void) { return earshot_stop_flag != 0; }

static volatile sig_atomic_t earshot_reload_count = 0;

static void earshot_reload_handler(int signal_number) {
    (void)signal_number;
    earshot_reload_count = earshot_reload_count + 1;
}

void earshot_install_reload_signal_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = earshot_reload_handler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGHUP, &action, NULL);
    sigset_t reload_signals;
    sigemptyset(&reload_signals);
    sigaddset(&reload_signals, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &reload_signals, NULL);
}

int earshot_take_reload_signals(void) {
    // The handler only ever increments; an exchange makes a SIGHUP between the read and the reset count next time.
    return __atomic_exchange_n(&earshot_reload_count, 0, __ATOMIC_SEQ_CST);
}

int earshot_set_minimal_timer_slack(void) { return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }

int earshot_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

long earshot_eventfd_signal(int descriptor) {
    uint64_t one = 1;
    return write(descriptor, &one, sizeof one);
}

int earshot_spawn_shell(const char *command, char *const environment[], pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int result = posix_spawn_file_actions_init(&actions);
    if (result != 0) return result;
    result = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (result == 0) result = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (result == 0) {
        char *const arguments[] = {"/bin/sh", "-c", (char *)command, NULL};
        result = posix_spawn(pid, "/bin/sh", &actions, NULL, arguments, environment);
    }
    posix_spawn_file_actions_destroy(&actions);
    return result;
}
