// systemd service notifications (Type=notify): READY, RELOADING, STOPPING, WATCHDOG.
// Without $NOTIFY_SOCKET (not under systemd) every call does nothing.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis {

void SdNotify(const std::string& state);
// The watchdog interval systemd expects pings within, in ms; 0 when the watchdog is off.
int64_t SdWatchdogIntervalMs();

}  // namespace portcullis
