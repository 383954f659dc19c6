#include "cli/client_request.h"

#include <algorithm>
#include <charconv>

#include "portcullis/protocol.h"

namespace portcullis::cli {
namespace {

using json = nlohmann::json;

struct Usage {
  std::string_view name;
  std::string_view synopsis;
};

constexpr Usage kUsages[] = {
    {"ping", "ping"},
    {"version", "version"},
    {"status", "status [JAIL]"},
    {"ban",
     "ban JAIL ADDR... [--for DURATION] [--force]\n"
     "       portcullis ban JAIL --file FILE|- [--for DURATION] [--force]"},
    {"unban",
     "unban [JAIL] ADDR...\n       portcullis unban --jail JAIL ADDR...\n"
     "       portcullis unban --all"},
    {"banned", "banned [ADDR] | banned --history ADDR"},
    {"reload", "reload [JAIL]"},
    {"get", "get JAIL maxretry|findtime|bantime|ignoreip|banned|logpath"},
    {"set",
     "set JAIL maxretry|findtime|bantime|addignoreip|delignoreip VALUE\n"
     "       portcullis set JAIL banip ADDR... | set JAIL unbanip ADDR..."},
    {"flushlogs", "flushlogs"},
    {"stop", "stop"},
};

constexpr std::string_view kCommonOptions =
    "options: --json  --socket PATH  --config-dir DIR  --timeout SECONDS";

Status UsageError(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

bool IsNegativeNumber(std::string_view s) {
  return s.size() > 1 && s[0] == '-' &&
         std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Flags a command may take in addition to the common ones.
struct Flags {
  std::optional<std::string> for_duration;
  bool force = false;
  std::optional<std::string> file;
  bool all = false;
  bool history = false;
  std::optional<std::string> jail;
};

}  // namespace

std::vector<nlohmann::json> SplitAddressRequest(const nlohmann::json& request, size_t max_bytes) {
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  auto addrs = request.find("addrs");
  if (addrs == request.end() || !addrs->is_array() || addrs->size() < 2) {
    return {request};
  }
  json with_version = request;
  with_version["v"] = protocol::kProtocolVersion;
  if (dump(with_version).size() <= max_bytes) {
    return {request};
  }
  // Room for the addresses: the request without them, plus slack for the version field.
  json empty = request;
  empty["addrs"] = json::array();
  size_t base = dump(empty).size() + 32;
  size_t budget = max_bytes > base ? max_bytes - base : 0;
  std::vector<json> parts;
  json part = json::array();
  size_t used = 0;
  for (const json& a : *addrs) {
    size_t cost = dump(a).size() + 1;  // the address and its comma
    if (!part.empty() && used + cost > budget) {
      parts.push_back(empty);
      parts.back()["addrs"] = std::move(part);
      part = json::array();
      used = 0;
    }
    part.push_back(a);
    used += cost;
  }
  parts.push_back(empty);
  parts.back()["addrs"] = std::move(part);
  return parts;
}

nlohmann::json MergePartResults(const std::vector<nlohmann::json>& results) {
  json merged = json::object();
  for (const json& r : results) {
    if (!r.is_object()) continue;
    for (auto it = r.begin(); it != r.end(); ++it) {
      auto have = merged.find(it.key());
      if (have == merged.end()) {
        merged[it.key()] = it.value();
      } else if (it.key() == "results" && have->is_array() && it.value().is_array()) {
        have->insert(have->end(), it.value().begin(), it.value().end());
      } else if (have->is_number_integer() && it.value().is_number_integer() &&
                 it.key() != "seconds") {
        *have = have->get<int64_t>() + it.value().get<int64_t>();
      }
    }
  }
  return merged;
}

bool LooksLikeAddress(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  if (text.find(':') != std::string_view::npos) {
    return true;
  }
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '/'; });
}

std::string ClientUsage(std::string_view name) {
  for (const Usage& u : kUsages) {
    if (u.name == name) {
      return "usage: portcullis " + std::string(u.synopsis) + "\n" + std::string(kCommonOptions) +
             "\n";
    }
  }
  return "";
}

std::vector<std::string> ParseAddressList(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) {
      continue;
    }
    size_t e = line.find_last_not_of(" \t\r");
    out.emplace_back(line.substr(b, e - b + 1));
  }
  return out;
}

Result<ClientInvocation> ParseClientCommand(std::string_view name,
                                            const std::vector<std::string>& args) {
  if (ClientUsage(name).empty()) {
    return UsageError("unknown command '" + std::string(name) + "'");
  }
  ClientInvocation inv;
  Flags flags;
  std::vector<std::string> pos;
  std::vector<std::string> seen_flags;
  bool only_positional = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a.empty() || a[0] != '-' || a == "-" || IsNegativeNumber(a)) {
      pos.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    std::string flag = a;
    std::optional<std::string> inline_value;
    if (size_t eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    auto value = [&]() -> std::optional<std::string> {
      if (inline_value) {
        return inline_value;
      }
      if (i + 1 < args.size()) {
        return args[++i];
      }
      return std::nullopt;
    };
    auto need_value = [&](std::optional<std::string>* out) -> Status {
      *out = value();
      if (!*out) {
        return UsageError("option " + flag + " needs a value");
      }
      return Status::Ok();
    };
    auto no_value = [&]() -> Status {
      if (inline_value) {
        return UsageError("option " + flag + " takes no value");
      }
      return Status::Ok();
    };
    Status s;
    if (flag == "--json") {
      s = no_value();
      inv.options.json = true;
    } else if (flag == "-h" || flag == "--help") {
      inv.options.help = true;
    } else if (flag == "--socket" || flag == "-s") {
      s = need_value(&inv.options.socket);
    } else if (flag == "--config-dir" || flag == "-c") {
      s = need_value(&inv.options.config_dir);
    } else if (flag == "--timeout") {
      std::optional<std::string> t;
      s = need_value(&t);
      int seconds = 0;
      if (s.ok()) {
        auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), seconds);
        if (ec != std::errc() || p != t->data() + t->size() || seconds < 1 || seconds > 3600) {
          s = UsageError("--timeout needs a number of seconds from 1 to 3600");
        }
        inv.options.timeout_ms = seconds * 1000;
      }
    } else if (flag == "--for") {
      s = need_value(&flags.for_duration);
    } else if (flag == "--force") {
      s = no_value();
      flags.force = true;
    } else if (flag == "--file" || flag == "-f") {
      s = need_value(&flags.file);
    } else if (flag == "--all") {
      s = no_value();
      flags.all = true;
    } else if (flag == "--history") {
      s = no_value();
      flags.history = true;
    } else if (flag == "--jail") {
      s = need_value(&flags.jail);
    } else {
      return UsageError("unknown option '" + a + "'");
    }
    if (!s.ok()) {
      return s;
    }
    seen_flags.push_back(flag);
  }
  if (inv.options.help) {
    return inv;
  }

  // Command-specific flags must not be ignored silently on other commands.
  auto allow = [&](std::initializer_list<std::string_view> ok) -> Status {
    for (const std::string& f : seen_flags) {
      bool common = f == "--json" || f == "--socket" || f == "-s" || f == "--config-dir" ||
                    f == "-c" || f == "--timeout";
      if (!common && std::find(ok.begin(), ok.end(), f) == ok.end()) {
        return UsageError("option " + f + " does not apply to '" + std::string(name) + "'");
      }
    }
    return Status::Ok();
  };
  auto count = [&](size_t min, size_t max) -> Status {
    if (pos.size() < min) {
      return UsageError("'" + std::string(name) + "' needs more arguments");
    }
    if (pos.size() > max) {
      return UsageError("unexpected argument '" + pos[max] + "' for '" + std::string(name) + "'");
    }
    return Status::Ok();
  };
  auto ban_request = [&](const std::string& jail, std::vector<std::string> addrs) -> Status {
    PORTCULLIS_RETURN_IF_ERROR(allow({"--for", "--force", "--file", "-f"}));
    if (addrs.empty() && !flags.file) {
      return UsageError("'ban' needs at least one address, or --file FILE|-");
    }
    inv.request = {{"cmd", "ban"}, {"jail", jail}, {"addrs", addrs}};
    if (flags.for_duration) {
      inv.request["for"] = *flags.for_duration;
    }
    if (flags.force) {
      inv.request["force"] = true;
    }
    inv.addr_file = flags.file;
    return Status::Ok();
  };
  auto unban_request = [&](const std::optional<std::string>& jail,
                           std::vector<std::string> addrs) -> Status {
    if (addrs.empty()) {
      return UsageError("'unban' needs at least one address, or --all");
    }
    inv.request = {{"cmd", "unban"}, {"addrs", addrs}};
    if (jail) {
      inv.request["jail"] = *jail;
    }
    return Status::Ok();
  };

  std::string cmd(name);
  Status s;
  if (cmd == "ping" || cmd == "version" || cmd == "flushlogs" || cmd == "stop") {
    s = allow({});
    if (s.ok()) {
      s = count(0, 0);
    }
    inv.request = {{"cmd", cmd}};
  } else if (cmd == "status" || cmd == "reload") {
    s = allow({});
    if (s.ok()) {
      s = count(0, 1);
    }
    inv.request = {{"cmd", cmd}};
    if (pos.size() == 1) {
      inv.request["jail"] = pos[0];
    }
  } else if (cmd == "banned") {
    s = allow({"--history"});
    if (s.ok()) {
      s = count(flags.history ? 1 : 0, 1);
    }
    inv.request = {{"cmd", cmd}};
    if (pos.size() == 1) {
      inv.request["addr"] = pos[0];
    }
    if (flags.history) {
      inv.request["history"] = true;
    }
  } else if (cmd == "ban") {
    s = count(1, SIZE_MAX);
    if (s.ok()) {
      s = ban_request(pos[0], {pos.begin() + 1, pos.end()});
    }
  } else if (cmd == "unban") {
    s = allow({"--all", "--jail"});
    if (!s.ok()) {
      return s;
    }
    if (flags.all) {
      if (!pos.empty() || flags.jail) {
        return UsageError("'unban --all' takes no other arguments");
      }
      inv.request = {{"cmd", "unban"}, {"all", true}};
    } else if (flags.jail) {
      s = unban_request(flags.jail, pos);
    } else if (pos.size() >= 2 && !LooksLikeAddress(pos[0])) {
      s = unban_request(pos[0], {pos.begin() + 1, pos.end()});
    } else if (pos.size() == 1 && !LooksLikeAddress(pos[0])) {
      s = UsageError("'unban " + pos[0] + "': give the addresses to unban from that jail");
    } else {
      s = unban_request(std::nullopt, pos);
    }
  } else if (cmd == "get") {
    s = allow({});
    if (s.ok()) {
      s = count(2, 2);
    }
    if (s.ok()) {
      std::string key = pos[1] == "banip" ? "banned" : pos[1];
      inv.request = {{"cmd", "get"}, {"jail", pos[0]}, {"key", key}};
    }
  } else if (cmd == "set") {
    s = count(2, SIZE_MAX);
    if (!s.ok()) {
      return s;
    }
    const std::string& jail = pos[0];
    const std::string& key = pos[1];
    std::vector<std::string> rest(pos.begin() + 2, pos.end());
    if (key == "banip") {
      s = ban_request(jail, rest);
    } else if (key == "unbanip") {
      s = allow({});
      if (s.ok()) {
        s = unban_request(jail, rest);
      }
    } else if (key == "maxretry" || key == "findtime" || key == "bantime" || key == "addignoreip" ||
               key == "delignoreip") {
      s = allow({});
      if (s.ok()) {
        s = count(3, 3);
      }
      if (s.ok()) {
        inv.request = {{"cmd", "set"}, {"jail", jail}, {"key", key}, {"value", pos[2]}};
      }
    } else {
      s = UsageError("cannot set '" + key +
                     "' (settable: maxretry, findtime, bantime, addignoreip, delignoreip, banip, "
                     "unbanip)");
    }
  }
  if (!s.ok()) {
    return s;
  }
  return inv;
}

}  // namespace portcullis::cli
