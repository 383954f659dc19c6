#include "cli/client_format.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "cli/commands.h"
#include "control/duration.h"
#include "portcullis/version.h"

namespace portcullis::cli {
namespace {

using json = nlohmann::json;

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) {
    return kNull;
  }
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

int64_t Int(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_number_integer() ? v.get<int64_t>() : 0;
}

std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  const json& v = Field(j, key);
  if (!v.is_array()) {
    return out;
  }
  for (const json& e : v) {
    if (e.is_string()) {
      out.push_back(e.get<std::string>());
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) {
      out += sep;
    }
    out += s;
  }
  return out;
}

// A number of seconds, or null for a permanent ban.
std::string TimeLeft(const json& v) {
  if (v.is_null()) {
    return "permanent";
  }
  if (!v.is_number_integer()) {
    return "?";
  }
  return FormatDuration(std::max<int64_t>(v.get<int64_t>(), 0));
}

std::string Plural(int64_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string FormatOverview(const json& result) {
  std::vector<std::string> names;
  const json& jails = Field(result, "jails");
  if (jails.is_array()) {
    for (const json& j : jails) {
      names.push_back(Str(j, "name"));
    }
  }
  std::string out = "Status\n";
  out += "|- Number of jail: " + std::to_string(names.size()) + "\n";
  out += "`- Jail list:      " + Join(names, ", ") + "\n";
  return out;
}

std::string FormatJail(const json& s) {
  auto line = [](std::string_view prefix, std::string_view label, const std::string& value) {
    std::string out(prefix);
    out += label;
    out += ':';
    out.append(value.empty() ? 0 : 18 - std::min<size_t>(label.size() + 1, 17), ' ');
    out += value;
    while (!out.empty() && out.back() == ' ') {
      out.pop_back();
    }
    return out + "\n";
  };
  std::string out = "Status for the jail: " + Str(s, "name") + "\n";
  out += "|- Filter\n";
  out += line("|  |- ", "Currently failed", std::to_string(Int(s, "currently_failed")));
  out += line("|  |- ", "Total failed", std::to_string(Int(s, "total_failed")));
  out += line("|  `- ", "File list", Join(Strings(s, "files"), " "));
  const json& counters = Field(s, "counters");
  if (counters.is_object() && !counters.empty()) {
    out += "|- Counters\n";
    size_t i = 0;
    for (auto it = counters.begin(); it != counters.end(); ++it, ++i) {
      std::string value = it->is_number() ? it->dump() : "?";
      out += (i + 1 == counters.size() ? "|  `- " : "|  |- ") + it.key() + ": " + value + "\n";
    }
  }
  out += "`- Actions\n";
  out += line("   |- ", "Currently banned", std::to_string(Int(s, "currently_banned")));
  out += line("   |- ", "Total banned", std::to_string(Int(s, "total_banned")));
  out += line("   |- ", "Packets blocked", std::to_string(Int(s, "packets_blocked")));
  out += line("   `- ", "Banned IP list", Join(Strings(s, "banned"), " "));
  return out;
}

std::string BanOutcomeText(const std::string& outcome) {
  static const std::map<std::string, std::string> kText = {
      {"banned", "banned"},
      {"already_banned", "already banned"},
      {"refused_ignored", "refused: in ignoreip (--force bans it anyway)"},
      {"refused_loopback", "refused: loopback or unspecified address"},
      {"refused_own_address", "refused: an address of this host"},
      {"refused_too_wide", "refused: prefix too wide (--force bans it anyway)"},
      {"invalid", "invalid address"},
  };
  auto it = kText.find(outcome);
  return it == kText.end() ? outcome : it->second;
}

std::string FormatBan(const json& result) {
  std::string out;
  const json& results = Field(result, "results");
  if (results.is_array()) {
    for (const json& r : results) {
      std::string outcome = Str(r, "outcome");
      if (outcome == "banned") {
        continue;
      }
      out += Str(r, "addr") + ": " + BanOutcomeText(outcome);
      std::string detail = Str(r, "detail");
      if (!detail.empty()) {
        out += " (" + detail + ")";
      }
      out += "\n";
    }
  }
  std::string length = "for its bantime";
  const json& secs = Field(result, "seconds");
  if (secs.is_null()) {
    length = "permanently";
  }
  if (secs.is_number_integer()) {
    length = "for " + FormatDuration(secs.get<int64_t>());
  }
  std::string summary = "banned " + Plural(Int(result, "banned"), "address", "addresses") + " in " +
                        Str(result, "jail") + " " + length;
  std::vector<std::string> extra;
  if (int64_t n = Int(result, "already_banned")) {
    extra.push_back(std::to_string(n) + " already banned");
  }
  if (int64_t n = Int(result, "refused")) {
    extra.push_back(std::to_string(n) + " refused");
  }
  if (int64_t n = Int(result, "invalid")) {
    extra.push_back(std::to_string(n) + " invalid");
  }
  if (!extra.empty()) {
    summary += " (" + Join(extra, ", ") + ")";
  }
  return out + summary + "\n";
}

std::string FormatUnban(const json& result) {
  const json& results = Field(result, "results");
  if (!results.is_array()) {
    return "unbanned " + Plural(Int(result, "unbanned"), "ban", "bans") + "\n";
  }
  std::string out;
  for (const json& r : results) {
    std::string outcome = Str(r, "outcome");
    out += Str(r, "addr") + ": ";
    if (outcome == "unbanned") {
      out += "unbanned from " + Join(Strings(r, "jails"), ", ");
    } else if (outcome == "not_banned") {
      out += "not banned";
    } else {
      out += "invalid address";
      std::string detail = Str(r, "detail");
      if (!detail.empty()) {
        out += " (" + detail + ")";
      }
    }
    out += "\n";
  }
  return out;
}

std::string FormatHistory(const json& result) {
  const json& past = Field(result, "history");
  std::string addr = Str(result, "addr");
  if (!past.is_array() || past.empty()) return "no bans of " + addr + " on record\n";
  std::string out = "bans of " + addr + " (newest first):\n";
  for (const json& b : past) {
    time_t t = Field(b, "banned_at").is_number() ? Field(b, "banned_at").get<time_t>() : 0;
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
    const json& secs = Field(b, "seconds");
    std::string length = secs.is_null() ? "permanent" : FormatDuration(secs.get<int64_t>());
    out += std::string("  ") + when + "  " + Str(b, "jail") + "  " + Str(b, "addr") + "  " +
           length + "\n";
  }
  return out;
}

// A log line as the attacker wrote it may hold terminal escape sequences: control bytes are
// shown as \xNN.
std::string Printable(const std::string& line) {
  std::string out;
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string FormatBanned(const json& result) {
  if (result.contains("history")) return FormatHistory(result);
  const json& bans = Field(result, "bans");
  std::string addr = Str(result, "addr");
  if (!addr.empty()) {
    if (!bans.is_array() || bans.empty()) {
      return addr + " is not banned\n";
    }
    std::vector<std::string> where;
    for (const json& b : bans) {
      std::string entry = Str(b, "jail");
      std::string banned_addr = Str(b, "addr");
      if (banned_addr != addr) {
        entry += " as " + banned_addr;
      }
      const json& left = Field(b, "seconds_left");
      entry += left.is_null() ? " (permanent)" : " (" + TimeLeft(left) + " left)";
      where.push_back(entry);
    }
    std::string out = addr + " is banned in " + Join(where, ", ") + "\n";
    for (const json& b : bans) {
      const json& lines = Field(b, "matches");
      if (!lines.is_array() || lines.empty()) continue;
      out += "lines that led to the " + Str(b, "jail") + " ban:\n";
      for (const json& l : lines) {
        if (l.is_string()) out += "  " + Printable(l.get<std::string>()) + "\n";
      }
    }
    return out;
  }
  if (!bans.is_array() || bans.empty()) {
    return "no active bans\n";
  }
  size_t jail_w = 4, addr_w = 7;
  for (const json& b : bans) {
    jail_w = std::max(jail_w, Str(b, "jail").size());
    addr_w = std::max(addr_w, Str(b, "addr").size());
  }
  auto row = [&](const std::string& j, const std::string& a, const std::string& t) {
    std::string out = j;
    out.append(jail_w + 2 - j.size(), ' ');
    out += a;
    out.append(addr_w + 2 - a.size(), ' ');
    return out + t + "\n";
  };
  std::string out = row("JAIL", "ADDRESS", "TIME LEFT");
  for (const json& b : bans) {
    out += row(Str(b, "jail"), Str(b, "addr"), TimeLeft(Field(b, "seconds_left")));
  }
  return out;
}

std::string FormatValue(const json& request, const json& value) {
  std::string key = Str(request, "key");
  if (value.is_array()) {
    std::string out;
    for (const json& e : value) {
      out += (e.is_string() ? e.get<std::string>() : e.dump()) + "\n";
    }
    return out;
  }
  if (value.is_null()) {
    return key == "bantime" ? "permanent\n" : "\n";
  }
  return value.dump() + "\n";
}

}  // namespace

std::string FormatResult(const json& request, const json& result) {
  std::string cmd = Str(request, "cmd");
  if (cmd == "ping") {
    return "portcullisd replied: pong\n";
  }
  if (cmd == "version") {
    return std::string("portcullis ") + PORTCULLIS_VERSION + "\nportcullisd " +
           Str(result, "version") + " (control protocol " +
           std::to_string(Int(result, "protocol")) + ")\n";
  }
  if (cmd == "status") {
    return Field(request, "jail").is_string() ? FormatJail(result) : FormatOverview(result);
  }
  if (cmd == "ban") {
    return FormatBan(result);
  }
  if (cmd == "unban") {
    return FormatUnban(result);
  }
  if (cmd == "banned") {
    return FormatBanned(result);
  }
  if (cmd == "reload") {
    std::string jail = Str(result, "reloaded");
    return jail.empty() ? "configuration reloaded\n" : "jail " + jail + " reloaded\n";
  }
  if (cmd == "get") {
    return FormatValue(request, Field(result, "value"));
  }
  if (cmd == "set") {
    std::string key = Str(result, "key");
    std::string jail = Str(result, "jail");
    const json& value = Field(result, "value");
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (key == "addignoreip") {
      return jail + ": added " + text + " to ignoreip\n";
    }
    if (key == "delignoreip") {
      return jail + ": removed " + text + " from ignoreip\n";
    }
    if (key == "bantime" && value.is_null()) {
      text = "permanent";
    }
    return jail + ": " + key + " = " + text + "\n";
  }
  if (cmd == "flushlogs") {
    return "log file reopened\n";
  }
  if (cmd == "stop") {
    return "portcullisd is stopping\n";
  }
  return result.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

int ResultExitCode(const json& request, const json& result) {
  std::string cmd = Str(request, "cmd");
  if (cmd == "ban" && (Int(result, "refused") > 0 || Int(result, "invalid") > 0)) {
    return kExitError;
  }
  if (cmd == "unban") {
    const json& results = Field(result, "results");
    if (results.is_array()) {
      for (const json& r : results) {
        if (Str(r, "outcome") == "invalid") {
          return kExitError;
        }
      }
    }
  }
  return kExitOk;
}

std::string FormatError(const json& response) {
  std::string out = "portcullis: " + Str(response, "error") + "\n";
  for (const std::string& d : Strings(response, "details")) {
    out += "  " + d + "\n";
  }
  return out;
}

int ErrorExitCode(const json& response) {
  return Str(response, "code") == "permission_denied" ? kExitUnavailable : kExitError;
}

}  // namespace portcullis::cli
