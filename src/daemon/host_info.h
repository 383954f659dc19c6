// Facts about this host that protect its owner from being banned: the addresses of its own
// interfaces (ignoreself) and the remote addresses of live login sessions (ignore_logged_in, the
// utmp records that `who` shows). Behind an interface so jail logic is testable without a host.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "portcullis/net.h"

namespace portcullis {

class HostInfo {
 public:
  virtual ~HostInfo() = default;
  // Every address configured on an interface of this host (loopback included).
  virtual std::vector<IpAddress> OwnAddresses() = 0;
  // Remote addresses of current login sessions (USER_PROCESS records in utmp).
  virtual std::vector<IpAddress> LoggedInAddresses() = 0;
};

// Reads getifaddrs() and the utmp file (`utmp_path`, default the system's).
std::unique_ptr<HostInfo> NewSystemHostInfo(std::string utmp_path = "");

// A fixed answer, for tests.
class StaticHostInfo : public HostInfo {
 public:
  std::vector<IpAddress> own;
  std::vector<IpAddress> logged_in;
  std::vector<IpAddress> OwnAddresses() override { return own; }
  std::vector<IpAddress> LoggedInAddresses() override { return logged_in; }
};

}  // namespace portcullis
