#define _GNU_SOURCE
#include "CEarshotLinux.h"
#include <unistd.h>
#include <string.h>
#include <signal.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/prctl.h>

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

int earshot_set_minimal_timer_slack(void) { return prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL); }
