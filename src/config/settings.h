// The effective configuration of portcullisd, as plain values.
//
// Produced by LoadConfig() (config/config_loader.h) from the TOML files; every value here is
// resolved and validated: durations are seconds, ports are numbers, names are checked. Consumers
// (daemon, jails, firewall, store) never see TOML. Defaults below are the built-in defaults that
// apply when no file sets the key; docs/configuration.md lists them all.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/firewall.h"  // PortRange, Protocol
#include "portcullis/net.h"

namespace portcullis {

enum class LogLevel { kError, kWarning, kInfo, kDebug, kTrace };

// "error", "warning", "info", "debug", "trace".
std::string_view LogLevelName(LogLevel level);

struct DaemonSettings {
  std::string socket = "/run/portcullis/portcullis.sock";
  std::string socket_group = "root";  // group owning the control socket
  uint32_t socket_mode = 0660;
  // An absolute path, "stderr", or "journal". The recidive jail reads this file.
  std::string log_file = "/var/log/portcullis/portcullis.log";
  LogLevel log_level = LogLevel::kInfo;
  std::string state_dir = "/var/lib/portcullis";
  std::string pid_file = "/run/portcullis/portcullis.pid";
  // Bans (manual or automatic) of blocks wider than these prefixes are refused. Always >= 1, so
  // 0.0.0.0/0 and ::/0 can never be banned.
  int min_prefix_v4 = 16;
  int min_prefix_v6 = 32;
  // Default for JailConfig::ignore_logged_in when a jail does not set it.
  bool ignore_logged_in = true;

  bool operator==(const DaemonSettings&) const = default;
};

enum class FirewallBackend { kNftables, kNone };

struct FirewallSettings {
  FirewallBackend backend = FirewallBackend::kNftables;
  std::string table = "portcullis";  // our own inet table; nothing else is touched
  int priority = -10;                // base chain priority (filter is 0: we run before it)
  bool hook_input = true;
  bool hook_forward = false;

  bool operator==(const FirewallSettings&) const = default;
};

struct DatabaseSettings {
  std::string file = "/var/lib/portcullis/portcullis.db";  // default follows state_dir
  int64_t purge_age = int64_t{7} * 24 * 3600;  // seconds; ban history older than this is dropped

  bool operator==(const DatabaseSettings&) const = default;
};


enum class BlockType { kReject, kDrop };

// Where a jail reads its lines. kAuto: the files of logpath that exist, and the journal (with
// journalmatch) when none does; the daemon decides at start.
enum class LogBackend { kAuto, kFile, kJournal };

struct JailConfig {
  std::string name;
  bool enabled = false;
  std::string filter;  // filters.d/<filter>.toml; defaults to the jail's name
  std::string mode;    // filter mode ("aggressive", ...); empty = the filter's default mode
  std::vector<std::string> logpath;  // absolute paths, possibly with glob characters
  LogBackend backend = LogBackend::kAuto;
  // systemd journal matches, "FIELD=value" (as journalctl takes them) or "+" (OR between groups).
  std::vector<std::string> journalmatch;
  // Where the journal is read: empty = the local system journal; else one directory or a list of
  // journal files (absolute paths). For containers, exported journals and tests.
  std::vector<std::string> journalpath;

  int maxretry = 5;        // 1..10000, the failure window's range
  int64_t findtime = 600;  // seconds, > 0
  int64_t bantime = 600;   // seconds, > 0; ignored when bantime_permanent
  bool bantime_permanent = false;
  bool bantime_increment = false;
  double bantime_factor = 1.0;
  std::vector<int64_t> bantime_multipliers;  // empty = doubling; else the last entry repeats
  int64_t bantime_maxtime = 0;               // seconds; 0 = unset (ban/ban_policy.h: 10 years)
  int64_t bantime_rndtime = 0;               // seconds of random extra ban time; 0 = none
  bool bantime_overalljails = false;

  // ignoreip, split: literal addresses and CIDR blocks parsed here, host names kept for the daemon
  // to resolve (and re-resolve).
  std::vector<Cidr> ignore_cidrs;
  std::vector<std::string> ignore_hosts;
  bool ignoreself = true;
  bool ignore_logged_in = true;  // resolved: the jail's key, else DaemonSettings::ignore_logged_in

  // Ports are sorted and merged. all_ports == true means every port (ports is then empty).
  bool all_ports = true;
  std::vector<PortRange> ports;
  // all_protocols == true means any IP protocol (only with all_ports); protocols is then empty.
  bool all_protocols = false;
  std::vector<Protocol> protocols = {Protocol::kTcp};
  BlockType blocktype = BlockType::kReject;

  std::string datepattern;   // empty = automatic detection (see filter/date_detector.h)
  std::string logtimezone;   // empty = local time; "UTC", "+0200", ...
  int max_tracked = 100000;  // most addresses with pending failures kept per jail; >= 10

  bool operator==(const JailConfig&) const = default;
};

struct Config {
  DaemonSettings daemon;
  FirewallSettings firewall;
  DatabaseSettings database;
  std::vector<JailConfig> jails;  // enabled and disabled, in the order they first appear

  // Where each value came from, for config-dump: "daemon.socket", "firewall.table",
  // "database.dbpurgeage", "jail.<name>.<key>" -> "jail.local.toml:12" (a jail value inherited from
  // [defaults] reads "jail.toml:8 [defaults]"; an unset filter reads "the jail's name", an unset
  // jail ignore_logged_in "[daemon] ignore_logged_in"). Keys absent here have their built-in
  // default. For display only: the wording may change.
  std::map<std::string, std::string> origins;

  const JailConfig* FindJail(std::string_view name) const;
};

}  // namespace portcullis
