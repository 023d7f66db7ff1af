#ifndef EARSHOT_CSYSTEMD_SHIM_H
#define EARSHOT_CSYSTEMD_SHIM_H

// sd_notify(3) and sd_watchdog_enabled(3): the service manager's readiness, status and watchdog protocol.
#include <systemd/sd-daemon.h>

#endif
