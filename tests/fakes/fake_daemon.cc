#include "fakes/fake_daemon.h"

#include <algorithm>

namespace portcullis {
namespace {

std::string Join(std::span<const std::string> items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) {
      out += ',';
    }
    out += s;
  }
  return out;
}

bool LooksLikeAddress(const std::string& a) { return a.find_first_of(".:") != std::string::npos; }

}  // namespace

FakeDaemon::FakeDaemon() {
  Jail sshd;
  sshd.status.name = "sshd";
  sshd.status.files = {"/var/log/auth.log"};
  sshd.ignoreip = {"203.0.113.5"};
  jails["sshd"] = sshd;
  Jail recidive;
  recidive.status.name = "recidive";
  recidive.status.files = {"/var/log/portcullis.log"};
  recidive.bantime = 604800;
  jails["recidive"] = recidive;
  jail_order = {"sshd", "recidive"};
}

bool FakeDaemon::TakeFailure(Status* out) {
  if (!fail_next) {
    return false;
  }
  *out = *fail_next;
  fail_next.reset();
  return true;
}

std::vector<std::string> FakeDaemon::JailNames() {
  calls.push_back("JailNames");
  return jail_order;
}

Result<JailStatus> FakeDaemon::GetJailStatus(const std::string& jail, bool with_banned_list) {
  calls.push_back("GetJailStatus " + jail + (with_banned_list ? " +list" : ""));
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  auto it = jails.find(jail);
  if (it == jails.end()) {
    return Status::NotFound("no jail '" + jail + "'");
  }
  JailStatus s = it->second.status;
  s.banned.clear();
  s.currently_banned = 0;
  for (const ActiveBan& b : bans) {
    if (b.jail == jail) {
      ++s.currently_banned;
      if (with_banned_list) {
        s.banned.push_back(b.addr);
      }
    }
  }
  return s;
}

Result<std::vector<BanResult>> FakeDaemon::Ban(const std::string& jail,
                                               std::span<const std::string> addrs,
                                               std::optional<int64_t> seconds, bool force) {
  calls.push_back("Ban " + jail + " " + Join(addrs) +
                  " for=" + (seconds ? std::to_string(*seconds) : "default") +
                  " force=" + (force ? "1" : "0"));
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  auto it = jails.find(jail);
  if (it == jails.end()) {
    return Status::NotFound("no jail '" + jail + "'");
  }
  std::vector<BanResult> out;
  for (const std::string& a : addrs) {
    BanResult r;
    r.addr = a;
    const auto& ignore = it->second.ignoreip;
    bool exists = std::any_of(bans.begin(), bans.end(),
                              [&](const ActiveBan& b) { return b.jail == jail && b.addr == a; });
    if (!LooksLikeAddress(a)) {
      r.outcome = BanOutcome::kInvalid;
      r.detail = "not an IP address";
    } else if (a.rfind("127.", 0) == 0 || a == "::1") {
      r.outcome = BanOutcome::kRefusedLoopback;
    } else if (!force && std::find(ignore.begin(), ignore.end(), a) != ignore.end()) {
      r.outcome = BanOutcome::kRefusedIgnored;
      r.detail = "in ignoreip " + a;
    } else if (exists) {
      r.outcome = BanOutcome::kAlreadyBanned;
    } else {
      r.outcome = BanOutcome::kBanned;
      ActiveBan e;
      e.jail = jail;
      e.addr = a;
      e.seconds_left = seconds.value_or(it->second.bantime);
      e.banned_at = 1795000000;
      bans.push_back(e);
      ++it->second.status.total_banned;
    }
    out.push_back(r);
  }
  return out;
}

Result<std::vector<UnbanResult>> FakeDaemon::Unban(const std::optional<std::string>& jail,
                                                   std::span<const std::string> addrs) {
  calls.push_back("Unban " + jail.value_or("*") + " " + Join(addrs));
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  if (jail && jails.count(*jail) == 0) {
    return Status::NotFound("no jail '" + *jail + "'");
  }
  std::vector<UnbanResult> out;
  for (const std::string& a : addrs) {
    UnbanResult r;
    r.addr = a;
    if (!LooksLikeAddress(a)) {
      r.outcome = UnbanOutcome::kInvalid;
      out.push_back(r);
      continue;
    }
    for (auto b = bans.begin(); b != bans.end();) {
      if (b->addr == a && (!jail || b->jail == *jail)) {
        r.jails.push_back(b->jail);
        b = bans.erase(b);
      } else {
        ++b;
      }
    }
    r.outcome = r.jails.empty() ? UnbanOutcome::kNotBanned : UnbanOutcome::kUnbanned;
    out.push_back(r);
  }
  return out;
}

Result<int64_t> FakeDaemon::UnbanAll() {
  calls.push_back("UnbanAll");
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  auto n = static_cast<int64_t>(bans.size());
  bans.clear();
  return n;
}

Result<std::vector<PastBan>> FakeDaemon::History(const std::string& addr) {
  calls.push_back("History " + addr);
  std::vector<PastBan> out;
  for (const PastBan& b : history) {
    if (b.addr == addr) out.push_back(b);
  }
  return out;
}

Result<std::vector<ActiveBan>> FakeDaemon::Banned(const std::optional<std::string>& addr) {
  calls.push_back("Banned " + addr.value_or("*"));
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  if (addr && !LooksLikeAddress(*addr)) {
    return Status::InvalidArgument("not an IP address");
  }
  std::vector<ActiveBan> out;
  for (const ActiveBan& b : bans) {
    if (!addr || b.addr == *addr) {
      out.push_back(b);
    }
  }
  return out;
}

std::vector<std::string> FakeDaemon::Reload(const std::optional<std::string>& jail) {
  calls.push_back("Reload " + jail.value_or("*"));
  std::vector<std::string> errors;
  errors.swap(reload_errors);
  if (jail && jails.count(*jail) == 0) {
    errors.push_back("no jail '" + *jail + "'");
  }
  return errors;
}

Result<GetValue> FakeDaemon::Get(const std::string& jail, GetKey key) {
  calls.push_back("Get " + jail + " " + std::to_string(static_cast<int>(key)));
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  auto it = jails.find(jail);
  if (it == jails.end()) {
    return Status::NotFound("no jail '" + jail + "'");
  }
  switch (key) {
    case GetKey::kMaxRetry:
      return GetValue(it->second.maxretry);
    case GetKey::kFindTime:
      return GetValue(it->second.findtime);
    case GetKey::kBanTime:
      return GetValue(it->second.bantime);
    case GetKey::kIgnoreIp:
      return GetValue(it->second.ignoreip);
  }
  return Status::InvalidArgument("bad key");
}

Status FakeDaemon::Set(const std::string& jail, const Setting& setting) {
  calls.push_back("Set " + jail + " " + std::to_string(static_cast<int>(setting.key)) + " " +
                  std::to_string(setting.number) + " " + setting.address);
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  auto it = jails.find(jail);
  if (it == jails.end()) {
    return Status::NotFound("no jail '" + jail + "'");
  }
  Jail& j = it->second;
  auto& ign = j.ignoreip;
  switch (setting.key) {
    case SetKey::kMaxRetry:
      j.maxretry = setting.number;
      break;
    case SetKey::kFindTime:
      j.findtime = setting.number;
      break;
    case SetKey::kBanTime:
      j.bantime = setting.number;
      break;
    case SetKey::kAddIgnoreIp:
      ign.push_back(setting.address);
      break;
    case SetKey::kDelIgnoreIp: {
      auto pos = std::find(ign.begin(), ign.end(), setting.address);
      if (pos == ign.end()) {
        return Status::InvalidArgument(setting.address + " is not in ignoreip");
      }
      ign.erase(pos);
      break;
    }
  }
  return Status::Ok();
}

Status FakeDaemon::FlushLogs() {
  calls.push_back("FlushLogs");
  Status failure;
  if (TakeFailure(&failure)) {
    return failure;
  }
  return Status::Ok();
}

void FakeDaemon::RequestStop() {
  calls.push_back("RequestStop");
  stop_requested = true;
}

}  // namespace portcullis
