#include "control/dispatcher.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "control/duration.h"
#include "portcullis/protocol.h"
#include "portcullis/version.h"

namespace portcullis {
namespace {

using json = nlohmann::json;
namespace proto = protocol;

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxAddressBytes = 64;
constexpr int kMaxDepth = 4;
constexpr int64_t kMaxMaxRetry = 10000;  // as the config loader allows

enum class Access { kAnyone, kReader, kRoot };

// A request that failed validation or a facade call: becomes {"ok":false,...}.
struct Failure {
  std::string_view code;
  std::string message;
  std::vector<std::string> details;
};

using Outcome = std::variant<json, Failure>;

Failure BadRequest(std::string message) { return {proto::kErrBadRequest, std::move(message), {}}; }

Failure FromStatus(const Status& s) {
  std::string_view code = proto::kErrIoError;
  switch (s.code()) {
    case StatusCode::kOk:
    case StatusCode::kIoError:
      code = proto::kErrIoError;
      break;
    case StatusCode::kInvalidArgument:
      code = proto::kErrInvalidArgument;
      break;
    case StatusCode::kNotFound:
      code = proto::kErrNotFound;
      break;
    case StatusCode::kPermissionDenied:
      code = proto::kErrPermissionDenied;
      break;
    case StatusCode::kUnavailable:
      code = proto::kErrUnavailable;
      break;
  }
  return {code, s.message(), {}};
}

// nlohmann's parser keeps its own stack, but copying and destroying deep values recurses; a
// request never needs more than an object holding arrays, so refuse deep nesting up front.
bool NestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return false;
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Never throws: invalid UTF-8 from a facade detail string is replaced, not an exception.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string ErrorLine(std::string_view code, const std::string& message,
                      const std::vector<std::string>& details, const json* id) {
  json resp = {{"v", proto::kProtocolVersion},
               {"ok", false},
               {"code", std::string(code)},
               {"error", message}};
  if (!details.empty()) {
    resp["details"] = details;
  }
  if (id != nullptr) {
    resp["id"] = *id;
  }
  return Dump(resp);
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameBytes) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Typed, range-checked access to one request object. Each getter records the first problem.
class Args {
 public:
  explicit Args(const json& req) : req_(req) {}

  // Fails if a field other than v/cmd/id and `allowed` is present.
  bool Only(std::initializer_list<std::string_view> allowed) {
    for (auto it = req_.begin(); it != req_.end(); ++it) {
      const std::string& k = it.key();
      if (k == "v" || k == "cmd" || k == "id") {
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        return Fail("unknown field '" + k + "'");
      }
    }
    return true;
  }

  bool Has(const char* key) const { return req_.contains(key) && !req_.at(key).is_null(); }

  std::optional<std::string> Jail(const char* key, bool required) {
    std::optional<std::string> s = Text(key, required);
    if (s && !ValidName(*s)) {
      return FailNone(std::string("'") + key +
                      "' must be 1 to 64 printable characters without spaces");
    }
    return s;
  }

  std::optional<std::string> Address(const char* key, bool required) {
    std::optional<std::string> s = Text(key, required);
    if (s && (s->empty() || s->size() > kMaxAddressBytes)) {
      return FailNone(std::string("'") + key + "' must be an address of 1 to 64 characters");
    }
    return s;
  }

  std::vector<std::string> Addresses(const char* key) {
    std::vector<std::string> out;
    if (!Has(key)) {
      Fail(std::string("missing field '") + key + "'");
      return out;
    }
    const json& v = req_.at(key);
    if (!v.is_array() || v.empty()) {
      Fail(std::string("'") + key + "' must be a non-empty array of addresses");
      return out;
    }
    out.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const json& e = v[i];
      if (!e.is_string() || e.get_ref<const std::string&>().empty() ||
          e.get_ref<const std::string&>().size() > kMaxAddressBytes) {
        Fail(std::string("'") + key + "[" + std::to_string(i) +
             "]' must be an address of 1 to 64 characters");
        return {};
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  bool Bool(const char* key) {
    if (!Has(key)) {
      return false;
    }
    const json& v = req_.at(key);
    if (!v.is_boolean()) {
      return Fail(std::string("'") + key + "' must be true or false");
    }
    return v.get<bool>();
  }

  // A duration: integer seconds or a string for ParseDuration.
  std::optional<int64_t> Duration(const char* key, bool allow_permanent, bool required) {
    if (!Has(key)) {
      if (required) {
        Fail(std::string("missing field '") + key + "'");
      }
      return std::nullopt;
    }
    const json& v = req_.at(key);
    std::string text;
    if (v.is_number_integer()) {
      if (v.is_number_unsigned() &&
          v.get<uint64_t>() > static_cast<uint64_t>(kMaxDurationSeconds)) {
        text = "99999999999";  // over the limit: let ParseDuration word the error
      } else {
        text = std::to_string(v.get<int64_t>());
      }
    } else if (v.is_string()) {
      text = v.get<std::string>();
    } else {
      return FailNone64(std::string("'") + key + "' must be seconds or a duration string");
    }
    Result<int64_t> d = ParseDuration(text, allow_permanent);
    if (!d.ok()) {
      return FailNone64(d.status().message());
    }
    return *d;
  }

  // A count: integer or decimal string in [1, max].
  std::optional<int64_t> Count(const char* key, int64_t max) {
    if (!Has(key)) {
      return FailNone64(std::string("missing field '") + key + "'");
    }
    const json& v = req_.at(key);
    int64_t n = 0;
    if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(max))) {
      n = v.get<int64_t>();
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      // At most 9 digits, so from_chars cannot overflow; anything else is refused below.
      if (s.empty() || s.size() > 9 ||
          std::from_chars(s.data(), s.data() + s.size(), n).ptr != s.data() + s.size()) {
        n = -1;
      }
    } else {
      n = -1;
    }
    if (n < 1 || n > max) {
      return FailNone64(std::string("'") + key + "' must be a whole number from 1 to " +
                        std::to_string(max));
    }
    return n;
  }

  std::optional<std::string> String(const char* key) { return Text(key, true); }

  // The string at `key`. Missing: nullopt, and an error only if `required`.
  std::optional<std::string> Text(const char* key, bool required) {
    if (!Has(key)) {
      if (required) {
        Fail(std::string("missing field '") + key + "'");
      }
      return std::nullopt;
    }
    const json& v = req_.at(key);
    if (!v.is_string()) {
      return FailNone(std::string("'") + key + "' must be a string");
    }
    return v.get<std::string>();
  }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string msg) {
    if (error_.empty()) {
      error_ = std::move(msg);
    }
    return false;
  }
  std::optional<std::string> FailNone(std::string msg) {
    Fail(std::move(msg));
    return std::nullopt;
  }
  std::optional<int64_t> FailNone64(std::string msg) {
    Fail(std::move(msg));
    return std::nullopt;
  }

  const json& req_;
  std::string error_;
};

std::string_view BanOutcomeName(BanOutcome o) {
  switch (o) {
    case BanOutcome::kBanned:
      return "banned";
    case BanOutcome::kAlreadyBanned:
      return "already_banned";
    case BanOutcome::kRefusedIgnored:
      return "refused_ignored";
    case BanOutcome::kRefusedLoopback:
      return "refused_loopback";
    case BanOutcome::kRefusedOwnAddress:
      return "refused_own_address";
    case BanOutcome::kRefusedTooWide:
      return "refused_too_wide";
    case BanOutcome::kInvalid:
      return "invalid";
  }
  return "invalid";
}

std::string_view UnbanOutcomeName(UnbanOutcome o) {
  switch (o) {
    case UnbanOutcome::kUnbanned:
      return "unbanned";
    case UnbanOutcome::kNotBanned:
      return "not_banned";
    case UnbanOutcome::kInvalid:
      return "invalid";
  }
  return "invalid";
}

json JailSummaryJson(const JailStatus& s) {
  return {{"name", s.name},
          {"currently_failed", s.currently_failed},
          {"total_failed", s.total_failed},
          {"currently_banned", s.currently_banned},
          {"total_banned", s.total_banned},
          {"packets_blocked", s.packets_blocked}};
}

json JailStatusJson(const JailStatus& s) {
  json j = JailSummaryJson(s);
  j["files"] = s.files;
  j["banned"] = s.banned;
  json counters = json::object();
  for (const auto& [name, value] : s.counters) {
    counters[name] = value;
  }
  j["counters"] = counters;
  return j;
}

json SecondsOrNull(int64_t seconds) {
  return seconds == kPermanentBan ? json(nullptr) : json(seconds);
}

class Call {
 public:
  Call(DaemonFacade* daemon, const json& req) : d_(daemon), args_(req) {}

  Outcome Ping() {
    if (!args_.Only({})) {
      return BadRequest(args_.error());
    }
    return json{{"pong", true}};
  }

  Outcome Version() {
    if (!args_.Only({})) {
      return BadRequest(args_.error());
    }
    return json{{"version", PORTCULLIS_VERSION}, {"protocol", proto::kProtocolVersion}};
  }

  Outcome StatusCmd() {
    args_.Only({"jail"});
    std::optional<std::string> jail = args_.Jail("jail", false);
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    if (jail) {
      Result<JailStatus> s = d_->GetJailStatus(*jail, /*with_banned_list=*/true);
      if (!s.ok()) {
        return FromStatus(s.status());
      }
      return JailStatusJson(*s);
    }
    json jails = json::array();
    for (const std::string& name : d_->JailNames()) {
      Result<JailStatus> s = d_->GetJailStatus(name, /*with_banned_list=*/false);
      if (s.ok()) {
        jails.push_back(JailSummaryJson(*s));  // a jail removed meanwhile is skipped
      }
    }
    return json{{"jails", jails}};
  }

  Outcome Ban() {
    args_.Only({"jail", "addrs", "for", "force"});
    std::optional<std::string> jail = args_.Jail("jail", true);
    std::vector<std::string> addrs = args_.Addresses("addrs");
    std::optional<int64_t> seconds = args_.Duration("for", true, false);
    bool force = args_.Bool("force");
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    Result<std::vector<BanResult>> r = d_->Ban(*jail, addrs, seconds, force);
    if (!r.ok()) {
      return FromStatus(r.status());
    }
    json results = json::array();
    int64_t counts[7] = {};
    for (const BanResult& b : *r) {
      json e = {{"addr", b.addr}, {"outcome", BanOutcomeName(b.outcome)}};
      if (!b.detail.empty()) {
        e["detail"] = b.detail;
      }
      results.push_back(std::move(e));
      ++counts[static_cast<int>(b.outcome)];
    }
    int64_t refused = counts[static_cast<int>(BanOutcome::kRefusedIgnored)] +
                      counts[static_cast<int>(BanOutcome::kRefusedLoopback)] +
                      counts[static_cast<int>(BanOutcome::kRefusedOwnAddress)] +
                      counts[static_cast<int>(BanOutcome::kRefusedTooWide)];
    json out = {{"jail", *jail},
                {"results", results},
                {"banned", counts[static_cast<int>(BanOutcome::kBanned)]},
                {"already_banned", counts[static_cast<int>(BanOutcome::kAlreadyBanned)]},
                {"refused", refused},
                {"invalid", counts[static_cast<int>(BanOutcome::kInvalid)]}};
    out["seconds"] = seconds ? SecondsOrNull(*seconds) : json("default");
    return out;
  }

  Outcome Unban() {
    args_.Only({"jail", "addrs", "all"});
    bool all = args_.Bool("all");
    if (all) {
      if (args_.Has("jail") || args_.Has("addrs")) {
        return BadRequest("'all' cannot be combined with 'jail' or 'addrs'");
      }
      if (!args_.ok()) {
        return BadRequest(args_.error());
      }
      Result<int64_t> n = d_->UnbanAll();
      if (!n.ok()) {
        return FromStatus(n.status());
      }
      return json{{"unbanned", *n}};
    }
    std::optional<std::string> jail = args_.Jail("jail", false);
    std::vector<std::string> addrs = args_.Addresses("addrs");
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    Result<std::vector<UnbanResult>> r = d_->Unban(jail, addrs);
    if (!r.ok()) {
      return FromStatus(r.status());
    }
    json results = json::array();
    int64_t unbanned = 0;
    for (const UnbanResult& u : *r) {
      json e = {{"addr", u.addr}, {"outcome", UnbanOutcomeName(u.outcome)}, {"jails", u.jails}};
      if (!u.detail.empty()) {
        e["detail"] = u.detail;
      }
      if (u.outcome == UnbanOutcome::kUnbanned) {
        ++unbanned;
      }
      results.push_back(std::move(e));
    }
    return json{{"results", results}, {"unbanned", unbanned}};
  }

  Outcome Banned() {
    args_.Only({"addr", "history"});
    std::optional<std::string> addr = args_.Address("addr", false);
    bool history = args_.Bool("history");
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    if (history) {
      if (!addr) {
        return BadRequest("\"history\" needs \"addr\"");
      }
      Result<std::vector<PastBan>> h = d_->History(*addr);
      if (!h.ok()) {
        return FromStatus(h.status());
      }
      json past = json::array();
      for (const PastBan& b : *h) {
        past.push_back({{"jail", b.jail},
                        {"addr", b.addr},
                        {"banned_at", b.banned_at},
                        {"seconds", SecondsOrNull(b.seconds)},
                        {"failures", b.failures}});
      }
      return json{{"addr", *addr}, {"history", past}};
    }
    Result<std::vector<ActiveBan>> r = d_->Banned(addr);
    if (!r.ok()) {
      return FromStatus(r.status());
    }
    json bans = json::array();
    for (const ActiveBan& b : *r) {
      json entry = {{"jail", b.jail},
                    {"addr", b.addr},
                    {"seconds_left", SecondsOrNull(b.seconds_left)},
                    {"banned_at", b.banned_at},
                    {"ban_count", b.ban_count},
                    {"failures", b.failures}};
      if (addr) entry["matches"] = b.matches;
      bans.push_back(std::move(entry));
    }
    json out = {{"bans", bans}};
    if (addr) {
      out["addr"] = *addr;
    }
    return out;
  }

  Outcome Reload() {
    args_.Only({"jail"});
    std::optional<std::string> jail = args_.Jail("jail", false);
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    std::vector<std::string> errors = d_->Reload(jail);
    if (!errors.empty()) {
      std::string msg = "reload failed with " + std::to_string(errors.size()) +
                        (errors.size() == 1 ? " error" : " errors") +
                        "; the previous configuration is still running";
      return Failure{proto::kErrInvalidArgument, std::move(msg), std::move(errors)};
    }
    return json{{"reloaded", jail ? json(*jail) : json(nullptr)}};
  }

  Outcome Get() {
    args_.Only({"jail", "key"});
    std::optional<std::string> jail = args_.Jail("jail", true);
    std::optional<std::string> key = args_.String("key");
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    json out = {{"jail", *jail}, {"key", *key}};
    if (*key == "banned" || *key == "logpath") {
      Result<JailStatus> s = d_->GetJailStatus(*jail, /*with_banned_list=*/*key == "banned");
      if (!s.ok()) {
        return FromStatus(s.status());
      }
      out["value"] = *key == "banned" ? s->banned : s->files;
      return out;
    }
    GetKey k;
    if (*key == "maxretry") {
      k = GetKey::kMaxRetry;
    } else if (*key == "findtime") {
      k = GetKey::kFindTime;
    } else if (*key == "bantime") {
      k = GetKey::kBanTime;
    } else if (*key == "ignoreip") {
      k = GetKey::kIgnoreIp;
    } else {
      return Failure{proto::kErrInvalidArgument,
                     "unknown key '" + *key +
                         "' (known: maxretry, findtime, bantime, ignoreip, banned, logpath)",
                     {}};
    }
    Result<GetValue> v = d_->Get(*jail, k);
    if (!v.ok()) {
      return FromStatus(v.status());
    }
    if (const auto* n = std::get_if<int64_t>(&*v)) {
      out["value"] = k == GetKey::kBanTime ? SecondsOrNull(*n) : json(*n);
    } else {
      out["value"] = std::get<std::vector<std::string>>(*v);
    }
    return out;
  }

  Outcome Set() {
    args_.Only({"jail", "key", "value"});
    std::optional<std::string> jail = args_.Jail("jail", true);
    std::optional<std::string> key = args_.String("key");
    if (!args_.ok()) {
      return BadRequest(args_.error());
    }
    Setting s;
    json value;
    if (*key == "maxretry") {
      s.key = SetKey::kMaxRetry;
      std::optional<int64_t> n = args_.Count("value", kMaxMaxRetry);
      if (n) {
        s.number = *n;
      }
      value = s.number;
    } else if (*key == "findtime" || *key == "bantime") {
      bool ban = *key == "bantime";
      s.key = ban ? SetKey::kBanTime : SetKey::kFindTime;
      std::optional<int64_t> d = args_.Duration("value", ban, true);
      if (d) {
        s.number = *d;
      }
      value = SecondsOrNull(s.number);
    } else if (*key == "addignoreip" || *key == "delignoreip") {
      s.key = *key == "addignoreip" ? SetKey::kAddIgnoreIp : SetKey::kDelIgnoreIp;
      std::optional<std::string> a = args_.Address("value", true);
      if (a) {
        s.address = *a;
      }
      value = s.address;
    } else {
      return Failure{proto::kErrInvalidArgument,
                     "unknown key '" + *key +
                         "' (settable: maxretry, findtime, bantime, addignoreip, delignoreip)",
                     {}};
    }
    if (!args_.ok()) {
      return Failure{proto::kErrInvalidArgument, args_.error(), {}};
    }
    Status st = d_->Set(*jail, s);
    if (!st.ok()) {
      return FromStatus(st);
    }
    return json{{"jail", *jail}, {"key", *key}, {"value", value}};
  }

  Outcome FlushLogs() {
    if (!args_.Only({})) {
      return BadRequest(args_.error());
    }
    Status st = d_->FlushLogs();
    if (!st.ok()) {
      return FromStatus(st);
    }
    return json::object();
  }

  Outcome Stop() {
    if (!args_.Only({})) {
      return BadRequest(args_.error());
    }
    d_->RequestStop();
    return json{{"stopping", true}};
  }

 private:
  DaemonFacade* d_;
  Args args_;
};

struct CommandSpec {
  std::string_view name;
  Access access;
  Outcome (Call::*run)();
};

constexpr CommandSpec kCommandSpecs[] = {
    {"ping", Access::kAnyone, &Call::Ping},
    {"version", Access::kAnyone, &Call::Version},
    {"status", Access::kReader, &Call::StatusCmd},
    {"banned", Access::kReader, &Call::Banned},
    {"get", Access::kReader, &Call::Get},
    {"ban", Access::kRoot, &Call::Ban},
    {"unban", Access::kRoot, &Call::Unban},
    {"reload", Access::kRoot, &Call::Reload},
    {"set", Access::kRoot, &Call::Set},
    {"flushlogs", Access::kRoot, &Call::FlushLogs},
    {"stop", Access::kRoot, &Call::Stop},
};

}  // namespace

std::string Dispatcher::Handle(std::string_view line, const PeerCredentials& peer) {
  if (line.size() > proto::kMaxRequestBytes) {
    return TooLarge(proto::kMaxRequestBytes);
  }
  if (!NestingWithin(line, kMaxDepth)) {
    return ErrorLine(proto::kErrBadRequest, "request nests deeper than 4 levels", {}, nullptr);
  }
  json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) {
    return ErrorLine(proto::kErrBadRequest, "request is not valid JSON", {}, nullptr);
  }
  if (!req.is_object()) {
    return ErrorLine(proto::kErrBadRequest, "request must be a JSON object", {}, nullptr);
  }

  const json* id = nullptr;
  auto id_it = req.find("id");
  if (id_it != req.end()) {
    if (!id_it->is_string() && !id_it->is_number()) {
      return ErrorLine(proto::kErrBadRequest, "'id' must be a string or a number", {}, nullptr);
    }
    id = &*id_it;
  }

  auto v = req.find("v");
  if (v == req.end()) {
    return ErrorLine(proto::kErrBadRequest, "missing protocol version 'v'", {}, id);
  }
  if (!v->is_number_integer() || v->get<int64_t>() != proto::kProtocolVersion) {
    return ErrorLine(proto::kErrVersionMismatch,
                     "protocol version " + Dump(*v) + " is not supported; portcullisd " +
                         PORTCULLIS_VERSION + " speaks version " +
                         std::to_string(proto::kProtocolVersion),
                     {}, id);
  }

  auto cmd = req.find("cmd");
  if (cmd == req.end() || !cmd->is_string()) {
    return ErrorLine(proto::kErrBadRequest, "missing or non-string 'cmd'", {}, id);
  }
  const std::string& name = cmd->get_ref<const std::string&>();
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& c : kCommandSpecs) {
    if (c.name == name) {
      spec = &c;
    }
  }
  if (spec == nullptr) {
    std::string shown = name.size() > 32 ? name.substr(0, 32) + "..." : name;
    return ErrorLine(proto::kErrUnknownCommand, "unknown command '" + shown + "'", {}, id);
  }

  bool is_root = peer.uid == 0;
  if ((spec->access == Access::kRoot && !is_root) ||
      (spec->access == Access::kReader && !is_root && !peer.in_group)) {
    std::string who = spec->access == Access::kRoot ? "root" : "root or the socket's group";
    return ErrorLine(
        proto::kErrPermissionDenied,
        "'" + name + "' needs " + who + " (you are uid " + std::to_string(peer.uid) + ")", {}, id);
  }

  Call call(daemon_, req);
  Outcome out = (call.*(spec->run))();
  if (auto* f = std::get_if<Failure>(&out)) {
    return ErrorLine(f->code, f->message, f->details, id);
  }
  json resp = {{"v", proto::kProtocolVersion}, {"ok", true}, {"result", std::get<json>(out)}};
  if (id != nullptr) {
    resp["id"] = *id;
  }
  return Dump(resp);
}

std::string Dispatcher::TooLarge(size_t limit) {
  return ErrorLine(proto::kErrTooLarge,
                   "request line longer than " + std::to_string(limit) + " bytes", {}, nullptr);
}

}  // namespace portcullis
