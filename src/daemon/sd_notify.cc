#include "daemon/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace portcullis {
namespace {

// A decimal number without sign or trailing junk, as systemd writes these variables.
bool ParseUnsigned(const char* text, uint64_t* out) {
  if (text == nullptr || *text == '\0') {
    return false;
  }
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

void SdNotify(const std::string& state) {
  const char* env = std::getenv("NOTIFY_SOCKET");
  if (env == nullptr) {
    return;
  }
  std::string_view name(env);
  if (name.size() < 2 || (name[0] != '/' && name[0] != '@')) {
    return;  // unset, empty or not an AF_UNIX address
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() >= sizeof(addr.sun_path)) {
    return;
  }
  std::memcpy(addr.sun_path, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  if (name[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract namespace: the name is exactly these bytes, no NUL
  } else {
    len += 1;  // a path is NUL-terminated
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return;
  }
  ssize_t n;
  do {
    n = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
               len);
  } while (n < 0 && errno == EINTR);
  close(fd);
}

int64_t WatchdogIntervalMs(const char* usec, const char* pid, int64_t self) {
  uint64_t us = 0;
  if (!ParseUnsigned(usec, &us) || us == 0) {
    return 0;
  }
  if (pid != nullptr) {
    uint64_t p = 0;
    if (!ParseUnsigned(pid, &p) || p != static_cast<uint64_t>(self)) {
      return 0;  // meant for another process of the service (e.g. our parent)
    }
  }
  // Whole ms, at least 1: a sub-millisecond interval is still a watchdog, not "off".
  return static_cast<int64_t>(std::max<uint64_t>(1, us / 1000));
}

int64_t SdWatchdogIntervalMs() {
  return WatchdogIntervalMs(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), getpid());
}

}  // namespace portcullis
