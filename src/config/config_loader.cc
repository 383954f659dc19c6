#include "config/config_loader.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "common/duration.h"
#include "config/config_dump.h"
#include "config/edit_distance.h"
#include "config/filter_ref.h"

namespace portcullis {

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kTrace:
      return "trace";
  }
  return "info";
}

const JailConfig* Config::FindJail(std::string_view name) const {
  for (const JailConfig& jail : jails) {
    if (jail.name == name) return &jail;
  }
  return nullptr;
}

std::string ConfigError::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  if (!out.empty()) out += ": ";
  if (!table.empty()) {
    out += "[" + table + "]";
    out += key.empty() ? ": " : " ";
  }
  if (!key.empty()) out += key + ": ";
  out += message;
  return out;
}

namespace {

namespace fs = std::filesystem;

struct Origin {
  std::string file;
  int line = 0;
  int column = 0;
};

Origin OriginOf(const std::string& file, const toml::source_region& region) {
  return Origin{file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

// Where errors go while a value is applied. Resolution re-applies values that were already checked,
// with a silent sink, so each bad value is reported once however many jails inherit it.
class ErrorSink {
 public:
  ErrorSink(std::vector<ConfigError>* errors, Origin key_origin, std::string table, std::string key)
      : errors_(errors),
        key_origin_(std::move(key_origin)),
        table_(std::move(table)),
        key_(std::move(key)) {}

  // Reports at the key.
  void Error(std::string message) { Add(key_origin_, std::move(message)); }
  // Reports at a value inside the key's value (an array element).
  void ErrorAt(const toml::node& node, std::string message) {
    Add(OriginOf(key_origin_.file, node.source()), std::move(message));
  }

 private:
  void Add(const Origin& at, std::string message) {
    if (errors_ == nullptr) return;
    errors_->push_back(ConfigError{at.file, at.line, at.column, table_, key_, std::move(message)});
  }

  std::vector<ConfigError>* errors_;
  Origin key_origin_;
  std::string table_;
  std::string key_;
};

// ---- Describing and reading values ----------------------------------------------------------

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// How a value is shown after "got": strings quoted, numbers and booleans as written.
std::string Got(const toml::node& node) {
  if (const auto* s = node.as_string()) return Quote(s->get());
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) {
    std::ostringstream out;
    out << f->get();
    return out.str();
  }
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (node.is_array()) return "an array";
  if (node.is_table()) return "a table";
  return "a date or time";
}

bool ReadBool(const toml::node& node, ErrorSink& sink, bool* out) {
  if (const auto* b = node.as_boolean()) {
    *out = b->get();
    return true;
  }
  sink.Error("expected true or false, got " + Got(node));
  return false;
}

std::string IntRangeText(int64_t min, int64_t max) {
  if (max >= std::numeric_limits<int32_t>::max()) return ">= " + std::to_string(min);
  return "in " + std::to_string(min) + ".." + std::to_string(max);
}

bool ReadInt(const toml::node& node, ErrorSink& sink, int64_t min, int64_t max, int64_t* out) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < min || i->get() > max) {
    sink.Error("expected an integer " + IntRangeText(min, max) + ", got " + Got(node));
    return false;
  }
  *out = i->get();
  return true;
}

template <typename T>
bool ReadIntAs(const toml::node& node, ErrorSink& sink, int64_t min, int64_t max, T* out) {
  int64_t value = 0;
  if (!ReadInt(node, sink, min, max, &value)) return false;
  *out = static_cast<T>(value);
  return true;
}

bool ReadString(const toml::node& node, ErrorSink& sink, std::string* out) {
  if (const auto* s = node.as_string()) {
    *out = s->get();
    return true;
  }
  sink.Error("expected a string, got " + Got(node));
  return false;
}

bool ReadAbsolutePath(const toml::node& node, ErrorSink& sink, std::string* out) {
  const auto* s = node.as_string();
  if (s == nullptr || s->get().empty() || s->get().front() != '/') {
    sink.Error("expected an absolute path, got " + Got(node));
    return false;
  }
  *out = s->get();
  return true;
}

// One of `choices`; returns its index.
bool ReadChoice(const toml::node& node, ErrorSink& sink,
                std::initializer_list<std::string_view> choices, size_t* index) {
  if (const auto* s = node.as_string()) {
    size_t i = 0;
    for (std::string_view choice : choices) {
      if (s->get() == choice) {
        *index = i;
        return true;
      }
      ++i;
    }
  }
  std::string message = "expected ";
  size_t i = 0;
  for (std::string_view choice : choices) {
    if (i > 0) message += i + 1 == choices.size() ? " or " : ", ";
    message += Quote(choice);
    ++i;
  }
  sink.Error(message + ", got " + Got(node));
  return false;
}

enum class DurationKind {
  kPositive,           // > 0 (findtime)
  kPositiveOrForever,  // > 0 or "permanent" (bantime)
  kZeroAllowed,        // >= 0, 0 meaning "none" (bantime_maxtime, bantime_rndtime)
};

constexpr int64_t kMaxDurationSeconds = int64_t{100} * 365 * 86400;

bool ReadDuration(const toml::node& node, ErrorSink& sink, DurationKind kind, Duration* out) {
  std::optional<Duration> value;
  if (const auto* i = node.as_integer()) {
    // -1 is fail2ban's "permanent"; ParseDuration accepts it as text too.
    if (i->get() >= 0) value = Duration{i->get(), false};
    if (i->get() == -1) value = Duration{0, true};
  } else if (const auto* s = node.as_string()) {
    Result<Duration> parsed = ParseDuration(s->get());
    if (parsed.ok()) value = *parsed;
  }
  bool ok = value.has_value();
  if (ok && value->permanent && kind != DurationKind::kPositiveOrForever) ok = false;
  if (ok && !value->permanent && value->seconds == 0 && kind != DurationKind::kZeroAllowed) {
    ok = false;
  }
  if (!ok) {
    std::string expected =
        kind == DurationKind::kZeroAllowed ? "expected a duration >= 0" : "expected a duration > 0";
    expected += " (600, \"10m\", \"1h30m\", \"1w\"";
    if (kind == DurationKind::kPositiveOrForever) expected += ", \"permanent\"";
    sink.Error(expected + "), got " + Got(node));
    return false;
  }
  // Consumers add durations to clock readings; a bound keeps that far from int64 overflow.
  if (!value->permanent && value->seconds > kMaxDurationSeconds) {
    std::string message = "expected a duration of at most 100y";
    if (kind == DurationKind::kPositiveOrForever) message += " (or \"permanent\")";
    sink.Error(message + ", got " + Got(node));
    return false;
  }
  *out = *value;
  return true;
}

// A string or an array of strings; `each` validates one item (and may report at the item).
bool ReadStringList(const toml::node& node, ErrorSink& sink,
                    const std::function<bool(const toml::node&, const std::string&)>& each,
                    std::vector<std::string>* out) {
  out->clear();
  if (const auto* s = node.as_string()) {
    if (!each(node, s->get())) return false;
    out->push_back(s->get());
    return true;
  }
  const auto* array = node.as_array();
  if (array == nullptr) {
    sink.Error("expected a string or an array of strings, got " + Got(node));
    return false;
  }
  bool ok = true;
  for (const toml::node& item : *array) {
    const auto* s = item.as_string();
    if (s == nullptr) {
      sink.ErrorAt(item, "expected a string, got " + Got(item));
      ok = false;
      continue;
    }
    if (!each(item, s->get())) {
      ok = false;
      continue;
    }
    out->push_back(s->get());
  }
  return ok;
}

bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view rest = name;
  if (rest.back() == '.') rest.remove_suffix(1);
  bool last_all_digits = true;
  while (true) {
    size_t dot = rest.find('.');
    std::string_view label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    last_all_digits = true;
    for (char c : label) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && c != '-') return false;
      if (c < '0' || c > '9') last_all_digits = false;
    }
    if (dot == std::string_view::npos) break;
    rest = rest.substr(dot + 1);
  }
  // "300.1.1.1" is a mistyped address, not a host name (no top-level domain is all digits).
  return !last_all_digits;
}

bool IsTimezone(std::string_view tz) {
  if (tz.empty() || tz == "local" || tz == "UTC" || tz == "GMT" || tz == "Z") return true;
  if (tz.substr(0, 3) == "UTC" || tz.substr(0, 3) == "GMT") tz.remove_prefix(3);
  if (tz.empty() || (tz.front() != '+' && tz.front() != '-')) return false;
  tz.remove_prefix(1);
  auto digits = [](std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  int hours = 0;
  int minutes = 0;
  if (tz.size() == 5 && tz[2] == ':' && digits(tz.substr(0, 2)) && digits(tz.substr(3))) {
    hours = std::stoi(std::string(tz.substr(0, 2)));
    minutes = std::stoi(std::string(tz.substr(3)));
  } else if (tz.size() == 4 && digits(tz)) {
    hours = std::stoi(std::string(tz.substr(0, 2)));
    minutes = std::stoi(std::string(tz.substr(2)));
  } else if (tz.size() <= 2 && digits(tz)) {
    hours = std::stoi(std::string(tz));
  } else {
    return false;
  }
  return hours <= 14 && minutes < 60;
}

// ---- Key schemas ------------------------------------------------------------------------------

struct ApplyContext {
  const ServiceResolver* services;
};

template <typename T>
struct KeySpec {
  std::string_view name;
  bool (*apply)(const toml::node& node, ErrorSink& sink, const ApplyContext& ctx, T* out);
};

using DaemonKey = KeySpec<DaemonSettings>;
using FirewallKey = KeySpec<FirewallSettings>;
using DatabaseKey = KeySpec<DatabaseSettings>;
using JailKey = KeySpec<JailConfig>;

bool IsGroupName(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

const DaemonKey kDaemonKeys[] = {
    {"socket", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                  DaemonSettings* d) { return ReadAbsolutePath(n, s, &d->socket); }},
    {"socket_group",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, DaemonSettings* d) {
       const auto* str = n.as_string();
       if (str == nullptr || !IsGroupName(str->get())) {
         s.Error("expected a group name or number, got " + Got(n));
         return false;
       }
       d->socket_group = str->get();
       return true;
     }},
    {"socket_mode",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, DaemonSettings* d) {
       std::optional<int64_t> mode;
       if (const auto* i = n.as_integer()) {
         mode = i->get();
       } else if (const auto* str = n.as_string()) {
         const std::string& t = str->get();
         if (!t.empty() && t.size() <= 4 && t.find_first_not_of("01234567") == std::string::npos) {
           mode = std::stoll(t, nullptr, 8);
         }
       }
       if (!mode || *mode < 0 || *mode > 0777) {
         s.Error("expected a file mode such as \"0660\" or 0o660, got " + Got(n));
         return false;
       }
       d->socket_mode = static_cast<uint32_t>(*mode);
       return true;
     }},
    {"log_file",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, DaemonSettings* d) {
       const auto* str = n.as_string();
       if (str != nullptr && (str->get() == "stderr" || str->get() == "journal" ||
                              (!str->get().empty() && str->get().front() == '/'))) {
         d->log_file = str->get();
         return true;
       }
       s.Error("expected an absolute path, \"stderr\" or \"journal\", got " + Got(n));
       return false;
     }},
    {"log_level",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, DaemonSettings* d) {
       size_t i = 0;
       if (!ReadChoice(n, s, {"error", "warning", "info", "debug", "trace"}, &i)) return false;
       d->log_level = static_cast<LogLevel>(i);
       return true;
     }},
    {"state_dir", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                     DaemonSettings* d) { return ReadAbsolutePath(n, s, &d->state_dir); }},
    {"pid_file", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                    DaemonSettings* d) { return ReadAbsolutePath(n, s, &d->pid_file); }},
    {"min_prefix_v4", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                         DaemonSettings* d) { return ReadIntAs(n, s, 1, 32, &d->min_prefix_v4); }},
    {"min_prefix_v6", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                         DaemonSettings* d) { return ReadIntAs(n, s, 1, 128, &d->min_prefix_v6); }},
    {"ignore_logged_in", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                            DaemonSettings* d) { return ReadBool(n, s, &d->ignore_logged_in); }},
};

bool IsNftName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!((name.front() >= 'a' && name.front() <= 'z') ||
        (name.front() >= 'A' && name.front() <= 'Z'))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

const FirewallKey kFirewallKeys[] = {
    {"backend",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, FirewallSettings* f) {
       size_t i = 0;
       if (!ReadChoice(n, s, {"nftables", "none"}, &i)) return false;
       f->backend = i == 0 ? FirewallBackend::kNftables : FirewallBackend::kNone;
       return true;
     }},
    {"table",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, FirewallSettings* f) {
       const auto* str = n.as_string();
       if (str == nullptr || !IsNftName(str->get())) {
         s.Error("expected an nftables table name (a letter, then letters, digits or '_'), got " +
                 Got(n));
         return false;
       }
       f->table = str->get();
       return true;
     }},
    {"priority", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                    FirewallSettings* f) { return ReadIntAs(n, s, -1000, 1000, &f->priority); }},
    {"hook",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, FirewallSettings* f) {
       std::vector<std::string> hooks;
       bool ok = ReadStringList(
           n, s,
           [&s, &n](const toml::node& item, const std::string& value) {
             if (value == "input" || value == "forward") return true;
             std::string message = "expected \"input\" or \"forward\", got " + Got(item);
             if (&item == &n) {
               s.Error(message);
             } else {
               s.ErrorAt(item, message);
             }
             return false;
           },
           &hooks);
       if (!ok) return false;
       if (hooks.empty()) {
         s.Error("expected \"input\", \"forward\" or both, got an empty array");
         return false;
       }
       f->hook_input = std::find(hooks.begin(), hooks.end(), "input") != hooks.end();
       f->hook_forward = std::find(hooks.begin(), hooks.end(), "forward") != hooks.end();
       return true;
     }},
};

const DatabaseKey kDatabaseKeys[] = {
    {"dbfile", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                  DatabaseSettings* d) { return ReadAbsolutePath(n, s, &d->file); }},
    {"dbpurgeage",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, DatabaseSettings* d) {
       Duration duration;
       if (!ReadDuration(n, s, DurationKind::kPositive, &duration)) return false;
       d->purge_age = duration.seconds;
       return true;
     }},
};

bool ReadPortItem(const toml::node& node, ErrorSink& sink, const ServiceResolver& services,
                  bool at_item, PortSpec* spec) {
  auto fail = [&](std::string message) {
    if (at_item) {
      sink.ErrorAt(node, std::move(message));
    } else {
      sink.Error(std::move(message));
    }
    return false;
  };
  if (const auto* i = node.as_integer()) {
    if (i->get() < 1 || i->get() > 65535) return fail("port " + Got(node) + " is not in 1..65535");
    auto port = static_cast<uint16_t>(i->get());
    spec->ranges.push_back({port, port});
    return true;
  }
  if (const auto* s = node.as_string()) {
    Result<PortSpec> parsed = ParsePortText(s->get(), services);
    if (!parsed.ok()) return fail(parsed.status().message());
    spec->all = spec->all || parsed->all;
    spec->ranges.insert(spec->ranges.end(), parsed->ranges.begin(), parsed->ranges.end());
    return true;
  }
  return fail(
      "expected \"all\", a port, a service name, a range \"1000:2000\", or a list of these, got " +
      Got(node));
}

bool ApplyPort(const toml::node& n, ErrorSink& s, const ApplyContext& ctx, JailConfig* j) {
  PortSpec spec;
  bool ok = true;
  if (const auto* array = n.as_array()) {
    if (array->empty()) {
      s.Error(
          "expected \"all\", a port, a service name, a range, or a non-empty list, got an "
          "empty array");
      return false;
    }
    for (const toml::node& item : *array) {
      ok = ReadPortItem(item, s, *ctx.services, /*at_item=*/true, &spec) && ok;
    }
  } else {
    ok = ReadPortItem(n, s, *ctx.services, /*at_item=*/false, &spec);
  }
  if (!ok) return false;
  j->all_ports = spec.all;
  j->ports.clear();
  if (!spec.all) {
    NormalizePortRanges(&spec.ranges);
    j->ports = std::move(spec.ranges);
  }
  return true;
}

bool ApplyProtocol(const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
  if (!n.is_string() && !n.is_array()) {
    s.Error("expected \"tcp\", \"udp\", \"all\" or a list of \"tcp\" and \"udp\", got " + Got(n));
    return false;
  }
  if (const auto* str = n.as_string(); str != nullptr && str->get() == "all") {
    j->all_protocols = true;
    j->protocols.clear();
    return true;
  }
  std::vector<std::string> names;
  bool ok = ReadStringList(
      n, s,
      [&s, &n](const toml::node& item, const std::string& value) {
        if (value == "tcp" || value == "udp") return true;
        std::string message = "expected \"tcp\", \"udp\"";
        message += &item == &n ? ", \"all\"" : "";
        message += " or a list of \"tcp\" and \"udp\", got " + Got(item);
        if (&item == &n) {
          s.Error(message);
        } else {
          s.ErrorAt(item, message);
        }
        return false;
      },
      &names);
  if (!ok) return false;
  if (names.empty()) {
    s.Error(
        "expected \"tcp\", \"udp\", \"all\" or a list of \"tcp\" and \"udp\", got an empty array");
    return false;
  }
  j->all_protocols = false;
  j->protocols.clear();
  for (Protocol p : {Protocol::kTcp, Protocol::kUdp}) {
    std::string_view name = p == Protocol::kTcp ? "tcp" : "udp";
    if (std::find(names.begin(), names.end(), name) != names.end()) j->protocols.push_back(p);
  }
  return true;
}

bool ApplyIgnoreIp(const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
  std::vector<Cidr> cidrs;
  std::vector<std::string> hosts;
  // fail2ban writes ignoreip as one space-separated string; accept that as well as an array.
  auto each = [&](const toml::node& item, const std::string& value) {
    bool ok = true;
    // Split by hand: a string stream would initialise the C++ locale (more of libstdc++ resident).
    constexpr std::string_view kSpace = " \t\r\v\f\n";
    std::vector<std::string> words;
    for (size_t pos = value.find_first_not_of(kSpace); pos != std::string::npos;) {
      size_t end = value.find_first_of(kSpace, pos);
      words.push_back(value.substr(pos, end == std::string::npos ? end : end - pos));
      pos = end == std::string::npos ? end : value.find_first_not_of(kSpace, end);
    }
    for (std::string& word : words) {
      while (!word.empty() && word.back() == ',') word.pop_back();
      if (word.empty()) continue;
      Result<Cidr> cidr = Cidr::Parse(word);
      if (cidr.ok()) {
        cidrs.push_back(*cidr);
      } else if (IsHostName(word)) {
        hosts.push_back(word);
      } else {
        std::string message = Quote(word) + " is not an address, a CIDR block or a host name";
        if (&item == &n) {
          s.Error(message);
        } else {
          s.ErrorAt(item, message);
        }
        ok = false;
      }
    }
    return ok;
  };
  std::vector<std::string> items;
  if (!ReadStringList(n, s, each, &items)) return false;
  j->ignore_cidrs = std::move(cidrs);
  j->ignore_hosts = std::move(hosts);
  return true;
}

// journalctl's match syntax: FIELD=value with FIELD of upper-case letters, digits and '_' (not
// starting with a digit), or "+" between groups.
bool IsJournalMatch(std::string_view text) {
  if (text == "+") return true;
  size_t eq = text.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  std::string_view field = text.substr(0, eq);
  if (field.front() >= '0' && field.front() <= '9') return false;
  return std::all_of(field.begin(), field.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "mode" comes before "filter": a mode given in brackets ("sshd[mode=aggressive]") wins over the
// mode key, whichever file each came from.
const JailKey kJailKeys[] = {
    {"enabled", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                   JailConfig* j) { return ReadBool(n, s, &j->enabled); }},
    {"mode",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       const auto* str = n.as_string();
       if (str == nullptr || (!str->get().empty() && !IsValidName(str->get()))) {
         s.Error("expected a mode name (letters, digits, '_', '-', '.'), got " + Got(n));
         return false;
       }
       j->mode = str->get();
       return true;
     }},
    {"filter",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       std::string text;
       if (!ReadString(n, s, &text)) return false;
       Result<FilterRef> ref = ParseFilterRef(text);
       if (!ref.ok()) {
         s.Error(ref.status().message());
         return false;
       }
       j->filter = ref->name;
       if (!ref->mode.empty()) j->mode = ref->mode;
       return true;
     }},
    {"logpath",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       auto each = [&s, &n](const toml::node& item, const std::string& value) {
         if (!value.empty() && value.front() == '/') return true;
         std::string message = "expected an absolute path, got " + Got(item);
         if (&item == &n) {
           s.Error(message);
         } else {
           s.ErrorAt(item, message);
         }
         return false;
       };
       return ReadStringList(n, s, each, &j->logpath);
     }},
    {"backend",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       size_t i = 0;
       if (!ReadChoice(n, s, {"auto", "file", "journal"}, &i)) return false;
       j->backend = static_cast<LogBackend>(i);
       return true;
     }},
    {"journalmatch",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       auto each = [&s, &n](const toml::node& item, const std::string& value) {
         if (IsJournalMatch(value)) return true;
         std::string message =
             "expected FIELD=value (FIELD in upper case, e.g. \"_COMM=sshd\") "
             "or \"+\", got " +
             Got(item);
         if (&item == &n) {
           s.Error(message);
         } else {
           s.ErrorAt(item, message);
         }
         return false;
       };
       return ReadStringList(n, s, each, &j->journalmatch);
     }},
    {"journalpath",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       auto each = [&s, &n](const toml::node& item, const std::string& value) {
         if (!value.empty() && value.front() == '/') return true;
         std::string message =
             "expected an absolute path (a journal directory or file), got " + Got(item);
         if (&item == &n) {
           s.Error(message);
         } else {
           s.ErrorAt(item, message);
         }
         return false;
       };
       return ReadStringList(n, s, each, &j->journalpath);
     }},
    {"maxretry",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       // The failure window's own limits (jail/failure_window.h): refuse what it would clamp.
       return ReadIntAs(n, s, 1, 10000, &j->maxretry);
     }},
    {"findtime",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       Duration d;
       if (!ReadDuration(n, s, DurationKind::kPositive, &d)) return false;
       j->findtime = d.seconds;
       return true;
     }},
    {"bantime",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       Duration d;
       if (!ReadDuration(n, s, DurationKind::kPositiveOrForever, &d)) return false;
       j->bantime_permanent = d.permanent;
       j->bantime = d.permanent ? 0 : d.seconds;
       return true;
     }},
    {"bantime_increment", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                             JailConfig* j) { return ReadBool(n, s, &j->bantime_increment); }},
    {"bantime_factor",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       std::optional<double> value;
       if (const auto* i = n.as_integer()) value = static_cast<double>(i->get());
       if (const auto* f = n.as_floating_point()) value = f->get();
       if (!value || !std::isfinite(*value) || *value <= 0 || *value > 1000) {
         s.Error("expected a number > 0 and <= 1000, got " + Got(n));
         return false;
       }
       j->bantime_factor = *value;
       return true;
     }},
    {"bantime_multipliers",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       const auto* array = n.as_array();
       if (array == nullptr) {
         s.Error("expected an array of integers >= 1 such as [1, 2, 4, 8], got " + Got(n));
         return false;
       }
       std::vector<int64_t> values;
       bool ok = true;
       for (const toml::node& item : *array) {
         const auto* i = item.as_integer();
         if (i == nullptr || i->get() < 1 || i->get() > 1000000) {
           s.ErrorAt(item, "expected an integer in 1..1000000, got " + Got(item));
           ok = false;
           continue;
         }
         values.push_back(i->get());
       }
       if (ok) j->bantime_multipliers = std::move(values);
       return ok;
     }},
    {"bantime_maxtime",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       Duration d;
       if (!ReadDuration(n, s, DurationKind::kZeroAllowed, &d)) return false;
       j->bantime_maxtime = d.seconds;
       return true;
     }},
    {"bantime_rndtime",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       Duration d;
       if (!ReadDuration(n, s, DurationKind::kZeroAllowed, &d)) return false;
       j->bantime_rndtime = d.seconds;
       return true;
     }},
    {"bantime_overalljails",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       return ReadBool(n, s, &j->bantime_overalljails);
     }},
    {"ignoreip", ApplyIgnoreIp},
    {"ignoreself", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                      JailConfig* j) { return ReadBool(n, s, &j->ignoreself); }},
    {"ignore_logged_in", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                            JailConfig* j) { return ReadBool(n, s, &j->ignore_logged_in); }},
    {"port", ApplyPort},
    {"protocol", ApplyProtocol},
    {"blocktype",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       size_t i = 0;
       if (!ReadChoice(n, s, {"reject", "drop"}, &i)) return false;
       j->blocktype = i == 0 ? BlockType::kReject : BlockType::kDrop;
       return true;
     }},
    {"datepattern", [](const toml::node& n, ErrorSink& s, const ApplyContext&,
                       JailConfig* j) { return ReadString(n, s, &j->datepattern); }},
    {"logtimezone",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       const auto* str = n.as_string();
       if (str == nullptr || !IsTimezone(str->get())) {
         s.Error("expected \"local\", \"UTC\" or a fixed offset such as \"+0200\", got " + Got(n));
         return false;
       }
       j->logtimezone = str->get() == "local" ? "" : str->get();
       return true;
     }},
    {"max_tracked",
     [](const toml::node& n, ErrorSink& s, const ApplyContext&, JailConfig* j) {
       return ReadIntAs(n, s, 10, std::numeric_limits<int>::max(), &j->max_tracked);
     }},
};

template <typename T, size_t N>
std::vector<std::string_view> KeyNames(const KeySpec<T> (&specs)[N]) {
  std::vector<std::string_view> names;
  for (const KeySpec<T>& spec : specs) names.push_back(spec.name);
  return names;
}

template <typename T, size_t N>
const KeySpec<T>* FindKey(const KeySpec<T> (&specs)[N], std::string_view name) {
  for (const KeySpec<T>& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string UnknownMessage(std::string_view what, std::string_view name,
                           std::span<const std::string_view> candidates) {
  std::string message = "unknown " + std::string(what);
  std::string_view nearest = NearestWord(name, candidates);
  if (!nearest.empty()) message += "; did you mean " + Quote(nearest) + "?";
  return message;
}

// ---- The loader -------------------------------------------------------------------------------

// One value as written in one file.
struct Entry {
  const toml::node* node = nullptr;
  Origin origin;
  bool valid = false;  // passed its key's check where it was written
};

// The values of one table ([defaults] or a jail) merged over all files: later files replace
// earlier entries key by key.
struct Layer {
  std::map<std::string, Entry, std::less<>> entries;
  Origin first_seen;  // where the table first appears, for ordering jails and naming errors
};

class Loader {
 public:
  Loader(std::string dir, const ServiceResolver* services) : dir_(std::move(dir)), ctx_{services} {}

  Config Load();
  std::vector<ConfigError> TakeErrors();

 private:
  // Parses `name` (relative to dir_) if it exists; nullptr when missing or broken (reported).
  const toml::table* ReadFile(const std::string& name);

  template <typename T, size_t N>
  void ApplySection(const std::string& file, const toml::key& section_key,
                    const toml::node& section, const KeySpec<T> (&specs)[N], T* out);
  void LoadDaemonFile(const std::string& name);
  void CollectJailFile(const std::string& name);
  // Reports the children of a table found where a jail key was expected: a dotted fail2ban name
  // such as bantime.increment = true becomes the table bantime = {increment = true} in TOML.
  void ReportNestedTable(const std::string& file, const std::string& table, const std::string& key,
                         const toml::table& value);
  JailConfig ResolveJail(const std::string& name, const Layer& jail);

  void Error(const Origin& at, std::string table, std::string key, std::string message) {
    errors_.push_back(ConfigError{at.file, at.line, at.column, std::move(table), std::move(key),
                                  std::move(message)});
  }

  std::string dir_;
  ApplyContext ctx_;
  Config config_;
  std::vector<std::string> files_read_;                  // order, for sorting errors
  std::vector<std::unique_ptr<toml::table>> documents_;  // keep nodes alive for Entry::node
  std::vector<ConfigError> errors_;
  Layer defaults_;
  std::vector<std::pair<std::string, Layer>> jails_;  // in order of first appearance
};

// jail.toml, jail.local.toml, then jails.d/ as described in config_loader.h. A jails.d/ that
// exists but cannot be listed sets `*error` (missing is fine).
std::vector<std::string> JailFileNames(const std::string& dir, std::string* error) {
  std::vector<std::string> names = {"jail.toml", "jail.local.toml"};
  std::vector<std::string> drop_ins;
  std::vector<std::string> local_drop_ins;
  std::error_code ec;
  // The error_code forms throughout: our code does not throw, and neither may the library here.
  fs::directory_iterator it(fs::path(dir) / "jails.d", ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (file.empty() || file.front() == '.' || file.size() <= 5 ||
        file.compare(file.size() - 5, 5, ".toml") != 0) {
      continue;
    }
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    bool local = file.size() > 11 && file.compare(file.size() - 11, 11, ".local.toml") == 0;
    (local ? local_drop_ins : drop_ins).push_back("jails.d/" + file);
  }
  if (ec && ec != std::errc::no_such_file_or_directory && error != nullptr) {
    *error = ec.message();
  }
  std::sort(drop_ins.begin(), drop_ins.end());
  std::sort(local_drop_ins.begin(), local_drop_ins.end());
  names.insert(names.end(), drop_ins.begin(), drop_ins.end());
  names.insert(names.end(), local_drop_ins.begin(), local_drop_ins.end());
  return names;
}

const toml::table* Loader::ReadFile(const std::string& name) {
  fs::path path = fs::path(dir_) / name;
  std::error_code ec;
  bool exists = fs::exists(path, ec);
  if (ec) {
    // Not "missing": a directory on the way is unreadable. Skipping would silently drop the file.
    files_read_.push_back(name);
    Error(Origin{name, 0, 0}, "", "", "cannot read: " + ec.message());
    return nullptr;
  }
  if (!exists) return nullptr;
  files_read_.push_back(name);
  FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    Error(Origin{name, 0, 0}, "", "", std::string("cannot read: ") + std::strerror(errno));
    return nullptr;
  }
  std::string text;
  char buffer[8192];
  size_t n = 0;
  errno = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, n);
  int read_errno = std::ferror(file) != 0 ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(file);
  if (read_errno != 0) {
    Error(Origin{name, 0, 0}, "", "", std::string("cannot read: ") + std::strerror(read_errno));
    return nullptr;
  }
  // toml++ reports syntax errors by throwing; this is the one place our code catches.
  try {
    documents_.push_back(std::make_unique<toml::table>(toml::parse(text, name)));
  } catch (const toml::parse_error& e) {
    Error(OriginOf(name, e.source()), "", "", std::string(e.description()));
    return nullptr;
  }
  return documents_.back().get();
}

std::string OriginText(const Origin& origin) {
  return origin.file + ":" + std::to_string(origin.line);
}

// The entries of a TOML table in source order (toml++ iterates in key order).
std::vector<std::pair<const toml::key*, const toml::node*>> InSourceOrder(
    const toml::table& table) {
  std::vector<std::pair<const toml::key*, const toml::node*>> items;
  for (const auto& [key, value] : table) items.emplace_back(&key, &value);
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    const toml::source_position& pa = a.first->source().begin;
    const toml::source_position& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return items;
}

template <typename T, size_t N>
void Loader::ApplySection(const std::string& file, const toml::key& section_key,
                          const toml::node& section, const KeySpec<T> (&specs)[N], T* out) {
  const std::string section_name(section_key.str());
  const auto* table = section.as_table();
  if (table == nullptr) {
    Error(OriginOf(file, section_key.source()), "", section_name,
          "expected a table ([" + section_name + "]), got " + Got(section));
    return;
  }
  const std::vector<std::string_view> names = KeyNames(specs);
  for (const auto& [key, value] : InSourceOrder(*table)) {
    const std::string key_name(key->str());
    Origin origin = OriginOf(file, key->source());
    const KeySpec<T>* spec = FindKey(specs, key_name);
    if (spec == nullptr) {
      std::string message = UnknownMessage("key", key_name, names);
      if (FindKey(kJailKeys, key_name) != nullptr) {
        message += " (" + key_name + " is a jail key: set it under [defaults] in jail.local.toml)";
      }
      Error(origin, section_name, key_name, message);
      continue;
    }
    ErrorSink sink(&errors_, origin, section_name, key_name);
    if (spec->apply(*value, sink, ctx_, out)) {
      std::string origin_key = section_name;
      origin_key += ".";
      origin_key += key_name;
      config_.origins[origin_key] = OriginText(origin);
    }
  }
}

void Loader::LoadDaemonFile(const std::string& name) {
  const toml::table* doc = ReadFile(name);
  if (doc == nullptr) return;
  static constexpr std::string_view kSections[] = {"daemon", "firewall", "database"};
  for (const auto& [key, value] : InSourceOrder(*doc)) {
    const std::string k(key->str());
    Origin origin = OriginOf(name, key->source());
    if (k == "daemon") {
      ApplySection(name, *key, *value, kDaemonKeys, &config_.daemon);
    } else if (k == "firewall") {
      ApplySection(name, *key, *value, kFirewallKeys, &config_.firewall);
    } else if (k == "database") {
      ApplySection(name, *key, *value, kDatabaseKeys, &config_.database);
    } else if (value->is_table()) {
      Error(origin, k, "", UnknownMessage("table", k, kSections));
    } else {
      std::string message = "settings belong in a table";
      if (FindKey(kDaemonKeys, k)) message += "; put it under [daemon]";
      if (FindKey(kFirewallKeys, k)) message += "; put it under [firewall]";
      if (FindKey(kDatabaseKeys, k)) message += "; put it under [database]";
      Error(origin, "", k, message);
    }
  }
}

void Loader::ReportNestedTable(const std::string& file, const std::string& table,
                               const std::string& key, const toml::table& value) {
  static const std::vector<std::string_view> names = KeyNames(kJailKeys);
  for (const auto& [child_key, child] : InSourceOrder(value)) {
    std::string dotted = key + "." + std::string(child_key->str());
    if (const auto* nested = child->as_table(); nested != nullptr && !nested->empty()) {
      ReportNestedTable(file, table, dotted, *nested);
      continue;
    }
    Error(OriginOf(file, child_key->source()), table, dotted, UnknownMessage("key", dotted, names));
  }
}

void Loader::CollectJailFile(const std::string& name) {
  const toml::table* doc = ReadFile(name);
  if (doc == nullptr) return;
  static const std::vector<std::string_view> names = KeyNames(kJailKeys);
  for (const auto& [key, value] : InSourceOrder(*doc)) {
    const std::string table_name(key->str());
    Origin origin = OriginOf(name, key->source());
    const auto* table = value->as_table();
    if (table == nullptr) {
      Error(origin, "", table_name,
            FindKey(kJailKeys, table_name) != nullptr
                ? "jail settings belong in [defaults] or in a jail's table"
                : "expected a table ([defaults] or a jail), got " + Got(*value));
      continue;
    }
    Layer* layer = nullptr;
    if (table_name == "defaults") {
      layer = &defaults_;
    } else if (!IsValidName(table_name)) {
      Error(origin, table_name, "",
            "not a valid jail name (letters, digits, '_', '-', '.'; at most 64)");
      continue;
    } else {
      auto it = std::find_if(jails_.begin(), jails_.end(),
                             [&](const auto& jail) { return jail.first == table_name; });
      if (it == jails_.end()) {
        jails_.emplace_back(table_name, Layer{});
        jails_.back().second.first_seen = origin;
        it = jails_.end() - 1;
      }
      layer = &it->second;
    }
    for (const auto& [sub_key, sub_value] : InSourceOrder(*table)) {
      const std::string key_name(sub_key->str());
      Origin key_origin = OriginOf(name, sub_key->source());
      const JailKey* spec = FindKey(kJailKeys, key_name);
      if (const auto* nested = sub_value->as_table(); nested != nullptr && !nested->empty()) {
        // No jail key takes a table; this is a dotted name such as bantime.increment.
        ReportNestedTable(name, table_name, key_name, *nested);
        continue;
      }
      if (spec == nullptr) {
        std::string message = UnknownMessage("key", key_name, names);
        for (const auto& [section, known] :
             {std::pair{"daemon", FindKey(kDaemonKeys, key_name) != nullptr},
              std::pair{"firewall", FindKey(kFirewallKeys, key_name) != nullptr},
              std::pair{"database", FindKey(kDatabaseKeys, key_name) != nullptr}}) {
          if (known) {
            message += " (" + key_name + " is a daemon setting: set it under [" +
                       std::string(section) + "] in portcullis.local.toml)";
          }
        }
        Error(key_origin, table_name, key_name, message);
        continue;
      }
      // Check each value once, where it is written, whatever jails later inherit it.
      ErrorSink sink(&errors_, key_origin, table_name, key_name);
      JailConfig scratch;
      bool valid = spec->apply(*sub_value, sink, ctx_, &scratch);
      layer->entries[key_name] = Entry{sub_value, key_origin, valid};
    }
  }
}

JailConfig Loader::ResolveJail(const std::string& name, const Layer& jail) {
  JailConfig out;
  out.name = name;
  out.filter = name;
  out.ignore_logged_in = config_.daemon.ignore_logged_in;
  bool all_valid = true;
  auto find = [&](std::string_view key) -> const Entry* {
    if (auto it = jail.entries.find(key); it != jail.entries.end()) return &it->second;
    if (auto it = defaults_.entries.find(key); it != defaults_.entries.end()) return &it->second;
    return nullptr;
  };
  for (const JailKey& spec : kJailKeys) {
    const Entry* entry = find(spec.name);
    if (entry == nullptr) continue;
    if (!entry->valid) {
      all_valid = false;
      continue;
    }
    ErrorSink silent(nullptr, entry->origin, name, std::string(spec.name));
    if (!spec.apply(*entry->node, silent, ctx_, &out)) {
      all_valid = false;
      continue;
    }
    bool inherited = jail.entries.find(spec.name) == jail.entries.end();
    config_.origins["jail." + name + "." + std::string(spec.name)] =
        OriginText(entry->origin) + (inherited ? " [defaults]" : "");
  }
  std::string prefix = "jail." + name + ".";
  config_.origins.try_emplace(prefix + "filter", "the jail's name");
  config_.origins.try_emplace(prefix + "ignore_logged_in", "[daemon] ignore_logged_in");
  if (!all_valid) return out;  // the bad value is reported; checks below would only add noise

  if (out.enabled) {
    const Entry* enabled = find("enabled");
    const Origin& at = enabled != nullptr ? enabled->origin : jail.first_seen;
    bool journal_only = out.backend == LogBackend::kJournal;
    bool file_only = out.backend == LogBackend::kFile;
    // backend "journal" without a journalmatch takes its filter's; the daemon checks that one
    // exists when it loads the filter.
    if (file_only && out.logpath.empty()) {
      Error(at, name, "logpath", "the jail is enabled with backend \"file\" but has no logpath");
    } else if (!file_only && !journal_only && out.logpath.empty() && out.journalmatch.empty()) {
      Error(at, name, "logpath", "the jail is enabled but has no logpath (or journalmatch)");
    }
  }
  if (!out.journalmatch.empty()) {
    // "+" separates groups of matches: a group may not be empty (sd_journal_add_disjunction
    // would silently drop it, widening the selection).
    bool group_empty = true;
    bool bad = false;
    for (const std::string& m : out.journalmatch) {
      if (m == "+") {
        bad = bad || group_empty;
        group_empty = true;
      } else {
        group_empty = false;
      }
    }
    if (bad || group_empty) {
      const Entry* match = find("journalmatch");
      Error(match != nullptr ? match->origin : jail.first_seen, name, "journalmatch",
            "\"+\" must stand between two matches (it starts an OR-ed group)");
    }
  }
  if (out.all_protocols && !out.all_ports) {
    const Entry* protocol = find("protocol");
    Error(protocol != nullptr ? protocol->origin : jail.first_seen, name, "protocol",
          "\"all\" needs port = \"all\"; with a port list, name the protocols, e.g. [\"tcp\", "
          "\"udp\"]");
  }
  if (out.bantime_increment && !out.bantime_permanent && out.bantime_maxtime > 0 &&
      out.bantime_maxtime < out.bantime) {
    const Entry* maxtime = find("bantime_maxtime");
    Error(maxtime != nullptr ? maxtime->origin : jail.first_seen, name, "bantime_maxtime",
          FormatDurationText(out.bantime_maxtime) + " is shorter than bantime (" +
              FormatDurationText(out.bantime) + ")");
  }
  return out;
}

Config Loader::Load() {
  LoadDaemonFile("portcullis.toml");
  LoadDaemonFile("portcullis.local.toml");
  if (config_.origins.count("database.dbfile") == 0) {
    config_.database.file = config_.daemon.state_dir + "/portcullis.db";
  }
  std::string list_error;
  std::vector<std::string> jail_files = JailFileNames(dir_, &list_error);
  if (!list_error.empty()) {
    files_read_.emplace_back("jails.d");
    Error(Origin{"jails.d", 0, 0}, "", "", "cannot list: " + list_error);
  }
  for (const std::string& name : jail_files) CollectJailFile(name);
  for (const auto& [name, layer] : jails_) config_.jails.push_back(ResolveJail(name, layer));
  return std::move(config_);
}

std::vector<ConfigError> Loader::TakeErrors() {
  // Report in reading order: by file as read, then by position.
  auto rank = [this](const std::string& file) {
    auto it = std::find(files_read_.begin(), files_read_.end(), file);
    return static_cast<size_t>(it - files_read_.begin());
  };
  std::stable_sort(errors_.begin(), errors_.end(), [&](const ConfigError& a, const ConfigError& b) {
    size_t ra = rank(a.file);
    size_t rb = rank(b.file);
    if (ra != rb) return ra < rb;
    if (a.line != b.line) return a.line < b.line;
    return a.column < b.column;
  });
  return std::move(errors_);
}

}  // namespace

Result<Config> LoadConfig(const std::string& config_dir, const LoadOptions& options,
                          std::vector<ConfigError>* errors) {
  if (errors != nullptr) errors->clear();
  std::error_code ec;
  if (!fs::is_directory(config_dir, ec)) {
    ConfigError error{config_dir, 0, 0, "", "", "not a directory"};
    std::string message = error.ToString();
    if (errors != nullptr) errors->push_back(std::move(error));
    return Status::NotFound(message);
  }
  std::unique_ptr<ServiceResolver> system_services;
  const ServiceResolver* services = options.services;
  if (services == nullptr) {
    system_services = MakeSystemServiceResolver();
    services = system_services.get();
  }
  Loader loader(config_dir, services);
  Config config = loader.Load();
  std::vector<ConfigError> found = loader.TakeErrors();
  if (found.empty()) return config;

  std::string message = std::to_string(found.size()) + (found.size() == 1 ? " error" : " errors") +
                        " in " + config_dir + ":";
  for (const ConfigError& error : found) message += "\n" + error.ToString();
  if (errors != nullptr) *errors = std::move(found);
  return Status::InvalidArgument(message);
}

Result<Config> LoadConfig(const std::string& config_dir) {
  return LoadConfig(config_dir, LoadOptions{});
}

std::vector<std::string> ConfigFiles(const std::string& config_dir) {
  std::vector<std::string> names = {"portcullis.toml", "portcullis.local.toml"};
  std::vector<std::string> jail_files = JailFileNames(config_dir, nullptr);
  names.insert(names.end(), jail_files.begin(), jail_files.end());
  std::vector<std::string> existing;
  for (const std::string& name : names) {
    std::error_code ec;
    if (fs::exists(fs::path(config_dir) / name, ec)) existing.push_back(name);
  }
  return existing;
}

}  // namespace portcullis
