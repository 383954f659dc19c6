#include "daemon/host_info.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <utmpx.h>

#include <cstring>

namespace portcullis {
namespace {

class SystemHostInfo : public HostInfo {
 public:
  explicit SystemHostInfo(std::string utmp_path) : utmp_path_(std::move(utmp_path)) {}

  std::vector<IpAddress> OwnAddresses() override {
    std::vector<IpAddress> out;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return out;
    for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
      if (it->ifa_addr == nullptr) continue;
      if (it->ifa_addr->sa_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
        out.push_back(IpAddress::FromV4(ntohl(sin->sin_addr.s_addr)));
      } else if (it->ifa_addr->sa_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
        out.push_back(IpAddress::FromBytes({sin6->sin6_addr.s6_addr, 16}));
      }
    }
    freeifaddrs(list);
    return out;
  }

  std::vector<IpAddress> LoggedInAddresses() override {
    std::vector<IpAddress> out;
    if (!utmp_path_.empty()) utmpxname(utmp_path_.c_str());
    setutxent();
    while (utmpx* u = getutxent()) {
      if (u->ut_type != USER_PROCESS) continue;
      // ut_host holds what the login service wrote: usually the peer address as text.
      std::string host(u->ut_host, strnlen(u->ut_host, sizeof u->ut_host));
      if (Result<IpAddress> parsed = IpAddress::Parse(host); parsed.ok()) {
        out.push_back(*parsed);
        continue;
      }
      // Otherwise the binary address, when the service filled it in.
      const int32_t* a = u->ut_addr_v6;
      if (a[1] == 0 && a[2] == 0 && a[3] == 0) {
        if (a[0] != 0) out.push_back(IpAddress::FromV4(ntohl(static_cast<uint32_t>(a[0]))));
      } else {
        uint8_t bytes[16];
        std::memcpy(bytes, a, 16);
        out.push_back(IpAddress::FromBytes({bytes, 16}));
      }
    }
    endutxent();
    return out;
  }

 private:
  std::string utmp_path_;
};

}  // namespace

std::unique_ptr<HostInfo> NewSystemHostInfo(std::string utmp_path) {
  return std::make_unique<SystemHostInfo>(std::move(utmp_path));
}

}  // namespace portcullis
