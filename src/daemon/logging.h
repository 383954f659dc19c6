// The daemon's own log: one line per event, naming the jail and the address.
//
// Line format (a contract: the recidive filter reads it, tests pin it):
//   2026-11-22 10:00:01,123 portcullisd[1234]: NOTICE  [sshd] Ban 192.0.2.1 for 10m (5 failures)
// i.e. "<local date> <time>,<ms> portcullisd[<pid>]: <LEVEL padded to 7> <message>".
// Levels: DEBUG, INFO, NOTICE (ban events: Found, Ban, Unban, Restore), WARNING, ERROR, CRITICAL.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "portcullis/status.h"

namespace portcullis {

struct LogOptions {
  std::string file;          // empty: no log file
  std::string level = "info";  // debug, info, notice, warning, error, critical
  bool to_stderr = false;    // foreground mode, or tests
};

// Sets up the two loggers (general and events) on the same sinks. Safe to call again (reload).
Status InitLogging(const LogOptions& options);

// Re-opens the log file by name (after logrotate moved it): `portcullis flushlogs`.
Status ReopenLogFile();

// Writes out buffered lines; the daemon calls it at the end of every loop iteration.
void FlushLog();

// General messages (startup, warnings, errors).
spdlog::logger& Log();
// Ban events, printed with the level name NOTICE.
spdlog::logger& EventLog();

// The spdlog pattern used for every sink (exposed for the format test).
std::string LogPattern();
// Installs the pattern with the custom level flag on `logger` (for tests writing to a string sink).
void ApplyLogFormat(spdlog::logger& logger);

}  // namespace portcullis
