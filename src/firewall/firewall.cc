#include "portcullis/firewall.h"

#include <algorithm>
#include <string>

namespace portcullis {

namespace {

constexpr size_t kMaxJailNameLength = 24;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsAlnum(char c) { return IsNameChar(c) && c != '_' && c != '-'; }

}  // namespace

std::string_view ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return "tcp";
    case Protocol::kUdp:
      return "udp";
    case Protocol::kDccp:
      return "dccp";
    case Protocol::kSctp:
      return "sctp";
    case Protocol::kUdpLite:
      return "udplite";
  }
  return "unknown";
}

Result<Protocol> ParseProtocol(std::string_view name) {
  for (Protocol p :
       {Protocol::kTcp, Protocol::kUdp, Protocol::kDccp, Protocol::kSctp, Protocol::kUdpLite}) {
    if (name == ProtocolName(p)) {
      return p;
    }
  }
  return Status::InvalidArgument("unknown protocol \"" + std::string(name) +
                                 "\" (expected tcp, udp, dccp, sctp or udplite)");
}

Status ValidateJailName(std::string_view name) {
  if (name.empty()) {
    return Status::InvalidArgument("jail name is empty");
  }
  if (name.size() > kMaxJailNameLength) {
    return Status::InvalidArgument("jail name \"" + std::string(name) + "\" is longer than " +
                                   std::to_string(kMaxJailNameLength) + " characters");
  }
  if (!IsAlnum(name.front())) {
    return Status::InvalidArgument("jail name \"" + std::string(name) +
                                   "\" must start with a letter or a digit");
  }
  if (!std::all_of(name.begin(), name.end(), IsNameChar)) {
    return Status::InvalidArgument("jail name \"" + std::string(name) +
                                   "\" may contain only letters, digits, '_' and '-'");
  }
  return Status::Ok();
}

Status ValidateJailSpec(const JailSpec& spec) {
  PORTCULLIS_RETURN_IF_ERROR(ValidateJailName(spec.name));
  const std::string where = "jail \"" + spec.name + "\": ";
  for (const PortRange& r : spec.ports) {
    if (r.first == 0 || r.last == 0 || r.first > r.last) {
      return Status::InvalidArgument(where + "bad port range " + std::to_string(r.first) + "-" +
                                     std::to_string(r.last) +
                                     " (ports are 1-65535, first <= last)");
    }
  }
  if (!spec.ports.empty() && spec.protocols.empty()) {
    return Status::InvalidArgument(where + "ports need at least one protocol (tcp, udp, ...)");
  }
  for (size_t i = 0; i < spec.protocols.size(); ++i) {
    for (size_t j = i + 1; j < spec.protocols.size(); ++j) {
      if (spec.protocols[i] == spec.protocols[j]) {
        return Status::InvalidArgument(
            where + "protocol " + std::string(ProtocolName(spec.protocols[i])) + " listed twice");
      }
    }
  }
  if (spec.reject_with_tcp_reset && spec.action != BlockAction::kReject) {
    return Status::InvalidArgument(where + "tcp reset needs the reject action");
  }
  return Status::Ok();
}

FirewallBatch& FirewallBatch::Ban(std::string_view jail, const Cidr& target,
                                  std::optional<std::chrono::milliseconds> timeout) {
  ops_.push_back(Op{Kind::kBan, std::string(jail), target, timeout});
  return *this;
}

FirewallBatch& FirewallBatch::Unban(std::string_view jail, const Cidr& target) {
  ops_.push_back(Op{Kind::kUnban, std::string(jail), target, std::nullopt});
  return *this;
}

FirewallBatch& FirewallBatch::Refresh(std::string_view jail, const Cidr& target,
                                      std::optional<std::chrono::milliseconds> timeout) {
  ops_.push_back(Op{Kind::kRefresh, std::string(jail), target, timeout});
  return *this;
}

Status Firewall::Ban(std::string_view jail, std::span<const BanEntry> entries) {
  FirewallBatch batch;
  batch.Reserve(entries.size());
  for (const BanEntry& e : entries) {
    batch.Ban(jail, e.target, e.timeout);
  }
  return Apply(batch);
}

Status Firewall::Unban(std::string_view jail, std::span<const Cidr> targets) {
  FirewallBatch batch;
  batch.Reserve(targets.size());
  for (const Cidr& c : targets) {
    batch.Unban(jail, c);
  }
  return Apply(batch);
}

Status Firewall::Refresh(std::string_view jail, std::span<const BanEntry> entries) {
  FirewallBatch batch;
  batch.Reserve(entries.size());
  for (const BanEntry& e : entries) {
    batch.Refresh(jail, e.target, e.timeout);
  }
  return Apply(batch);
}

}  // namespace portcullis
