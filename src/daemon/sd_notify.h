// systemd service notifications (Type=notify): READY, RELOADING, STOPPING, WATCHDOG.
// Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
//
// Our own implementation of the documented protocol (sd_notify(3)), not libsystemd: linking
// libsystemd maps it and what it pulls in (libgcrypt, libgpg-error, libzstd, liblzma, liblz4,
// libcap), about 1 MB resident, in a daemon whose idle target is 6 MB, for two tiny functions.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis {

// Sends `state` ("READY=1", "WATCHDOG=1", several assignments separated by '\n') as one datagram
// to the AF_UNIX socket named by $NOTIFY_SOCKET: a path, or an abstract name when it starts with
// '@'. Best effort, like sd_notify(): a notification that cannot be delivered is dropped and the
// daemon carries on. Other address kinds (vsock) are ignored.
void SdNotify(const std::string& state);

// The watchdog interval systemd expects pings within, in ms; 0 when the watchdog is off: from
// $WATCHDOG_USEC, ignored when $WATCHDOG_PID names another process.
int64_t SdWatchdogIntervalMs();

// The rule behind SdWatchdogIntervalMs, for tests: `usec` and `pid` are the variables' values
// (nullptr when unset), `self` our pid. 0 when usec is unset, not a positive decimal number, or
// pid is set and is not `self`.
int64_t WatchdogIntervalMs(const char* usec, const char* pid, int64_t self);

}  // namespace portcullis
