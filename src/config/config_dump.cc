#include "config/config_dump.h"

#include <cstdio>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "config/port_spec.h"

namespace portcullis {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string QuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(items[i]);
  }
  return out + "]";
}

std::string DurationValue(int64_t seconds) { return Quote(FormatDurationText(seconds)); }

std::string Bool(bool value) { return value ? "true" : "false"; }

std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", value);
  std::string out = buf;
  if (out.find_first_of(".en") == std::string::npos) out += ".0";  // keep it a TOML float
  return out;
}

// A bare key when TOML allows it, else a quoted one.
std::string TableName(std::string_view name) {
  for (char c : name) {
    bool bare = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
    if (!bare) return Quote(name);
  }
  return std::string(name);
}

class Writer {
 public:
  explicit Writer(const Config& config) : config_(config) {}

  void Table(std::string_view name) {
    if (!out_.empty()) out_ += "\n";
    out_ += "[" + std::string(name) + "]\n";
  }
  // `origin_key` indexes Config::origins ("daemon.socket", "jail.sshd.maxretry").
  void Line(std::string_view key, const std::string& value, const std::string& origin_key) {
    std::string line = std::string(key) + " = " + value;
    auto it = config_.origins.find(origin_key);
    std::string comment = it != config_.origins.end() ? it->second : "built-in";
    if (line.size() < 40) line.resize(40, ' ');
    out_ += line + "  # " + comment + "\n";
  }
  void Comment(std::string_view text) { out_ += "# " + std::string(text) + "\n"; }
  std::string Take() { return std::move(out_); }

 private:
  const Config& config_;
  std::string out_;
};

}  // namespace

std::string FormatDurationText(int64_t seconds) {
  return FormatDuration(Duration::Seconds(seconds < 0 ? 0 : seconds));
}

std::string DumpDaemonSettings(const Config& config) {
  Writer w(config);
  const DaemonSettings& d = config.daemon;
  w.Table("daemon");
  w.Line("socket", Quote(d.socket), "daemon.socket");
  w.Line("socket_group", Quote(d.socket_group), "daemon.socket_group");
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", d.socket_mode);
  w.Line("socket_mode", Quote(mode), "daemon.socket_mode");
  w.Line("log_file", Quote(d.log_file), "daemon.log_file");
  w.Line("log_level", Quote(LogLevelName(d.log_level)), "daemon.log_level");
  w.Line("state_dir", Quote(d.state_dir), "daemon.state_dir");
  w.Line("pid_file", Quote(d.pid_file), "daemon.pid_file");
  w.Line("min_prefix_v4", std::to_string(d.min_prefix_v4), "daemon.min_prefix_v4");
  w.Line("min_prefix_v6", std::to_string(d.min_prefix_v6), "daemon.min_prefix_v6");
  w.Line("ignore_logged_in", Bool(d.ignore_logged_in), "daemon.ignore_logged_in");

  const FirewallSettings& f = config.firewall;
  w.Table("firewall");
  w.Line("backend", Quote(f.backend == FirewallBackend::kNftables ? "nftables" : "none"),
         "firewall.backend");
  w.Line("table", Quote(f.table), "firewall.table");
  w.Line("priority", std::to_string(f.priority), "firewall.priority");
  std::vector<std::string> hooks;
  if (f.hook_input) hooks.emplace_back("input");
  if (f.hook_forward) hooks.emplace_back("forward");
  w.Line("hook", QuoteList(hooks), "firewall.hook");

  const DatabaseSettings& db = config.database;
  w.Table("database");
  w.Line("dbfile", Quote(db.file), "database.dbfile");
  w.Line("dbpurgeage", DurationValue(db.purge_age), "database.dbpurgeage");
  return w.Take();
}

std::string DumpJails(const Config& config) {
  Writer w(config);
  for (const JailConfig& j : config.jails) {
    w.Table(TableName(j.name));
    std::string p = "jail." + j.name + ".";
    w.Line("enabled", Bool(j.enabled), p + "enabled");
    w.Line("filter", Quote(j.filter), p + "filter");
    w.Line("mode", Quote(j.mode), p + "mode");
    w.Line("logpath", QuoteList(j.logpath), p + "logpath");
    static constexpr std::string_view kBackends[] = {"auto", "file", "journal"};
    w.Line("backend", Quote(kBackends[static_cast<int>(j.backend)]), p + "backend");
    w.Line("journalmatch", QuoteList(j.journalmatch), p + "journalmatch");
    w.Line("journalpath", QuoteList(j.journalpath), p + "journalpath");
    w.Line("maxretry", std::to_string(j.maxretry), p + "maxretry");
    w.Line("findtime", DurationValue(j.findtime), p + "findtime");
    w.Line("bantime", j.bantime_permanent ? Quote("permanent") : DurationValue(j.bantime),
           p + "bantime");
    w.Line("bantime_increment", Bool(j.bantime_increment), p + "bantime_increment");
    w.Line("bantime_factor", Number(j.bantime_factor), p + "bantime_factor");
    std::string multipliers = "[";
    for (size_t i = 0; i < j.bantime_multipliers.size(); ++i) {
      if (i > 0) multipliers += ", ";
      multipliers += std::to_string(j.bantime_multipliers[i]);
    }
    w.Line("bantime_multipliers", multipliers + "]", p + "bantime_multipliers");
    w.Line("bantime_maxtime", DurationValue(j.bantime_maxtime), p + "bantime_maxtime");
    w.Line("bantime_rndtime", DurationValue(j.bantime_rndtime), p + "bantime_rndtime");
    w.Line("bantime_overalljails", Bool(j.bantime_overalljails), p + "bantime_overalljails");
    std::vector<std::string> ignore;
    for (const Cidr& cidr : j.ignore_cidrs) ignore.push_back(cidr.ToString());
    ignore.insert(ignore.end(), j.ignore_hosts.begin(), j.ignore_hosts.end());
    w.Line("ignoreip", QuoteList(ignore), p + "ignoreip");
    w.Line("ignoreself", Bool(j.ignoreself), p + "ignoreself");
    w.Line("ignore_logged_in", Bool(j.ignore_logged_in), p + "ignore_logged_in");
    std::string ports = j.all_ports ? Quote("all") : "[";
    for (size_t i = 0; i < j.ports.size(); ++i) {
      if (i > 0) ports += ", ";
      const PortRange& range = j.ports[i];
      ports +=
          range.first == range.last ? std::to_string(range.first) : Quote(PortRangeToString(range));
    }
    if (!j.all_ports) ports += "]";
    w.Line("port", ports, p + "port");
    std::vector<std::string> protocols;
    if (j.all_protocols) protocols.emplace_back("all");
    for (Protocol protocol : j.protocols) {
      protocols.emplace_back(protocol == Protocol::kTcp ? "tcp" : "udp");
    }
    w.Line("protocol", j.all_protocols ? Quote("all") : QuoteList(protocols), p + "protocol");
    w.Line("blocktype", Quote(j.blocktype == BlockType::kReject ? "reject" : "drop"),
           p + "blocktype");
    w.Line("datepattern", Quote(j.datepattern), p + "datepattern");
    w.Line("logtimezone", Quote(j.logtimezone), p + "logtimezone");
    w.Line("max_tracked", std::to_string(j.max_tracked), p + "max_tracked");
  }
  return w.Take();
}

std::string DumpConfig(const Config& config) {
  std::string out =
      "# Effective configuration. Each comment names the file:line that set the value;\n"
      "# \"[defaults]\" marks a jail value inherited from a [defaults] table.\n\n";
  out += DumpDaemonSettings(config);
  out += "\n# ---- jails ----\n\n";
  out += DumpJails(config);
  return out;
}

}  // namespace portcullis
