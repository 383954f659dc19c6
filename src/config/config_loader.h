// Loading the daemon and jail configuration from a directory (default /etc/portcullis).
//
// Files, each later one overriding the earlier ones key by key (missing files are fine):
//   portcullis.toml, portcullis.local.toml              [daemon], [firewall], [database]
//   jail.toml, jail.local.toml,                          [defaults] and one table per jail
//   jails.d/*.toml (lexical order, not *.local.toml), then jails.d/*.local.toml (lexical order)
// A jail key resolves to: the jail table's value (last file wins), else [defaults] (last file
// wins), else the built-in default in config/settings.h.
//
// Every problem is collected; loading does not stop at the first one. The caller (portcullisd at
// start and on reload, `portcullis config-check`) prints them all. Only the filesystem is read:
// no DNS, no clock, no logging. Filter files (filters.d/) are not read here.
#pragma once

#include <string>
#include <vector>

#include "config/port_spec.h"
#include "config/settings.h"
#include "portcullis/status.h"

namespace portcullis {

// Where portcullisd and `portcullis config-check` look unless given --config-dir.
inline constexpr char kDefaultConfigDir[] = "/etc/portcullis";

struct ConfigError {
  std::string file;   // relative to the config directory: "jail.local.toml", "jails.d/web.toml"
  int line = 0;       // 1-based; 0 when the problem is not at one place (file unreadable)
  int column = 0;     // 1-based; 0 with line 0
  std::string table;  // "sshd", "defaults", "daemon"; empty for file-level problems
  std::string key;    // "maxretry", "ignoreip"; empty for file-level problems
  std::string message;

  // "jail.local.toml:12:1: [sshd] maxretry: expected an integer >= 1, got \"five\"".
  // Parts that are empty or 0 are left out ("jail.toml: cannot read: Permission denied").
  std::string ToString() const;

  bool operator==(const ConfigError&) const = default;
};

struct LoadOptions {
  // Port names; nullptr = the built-in table, then /etc/services.
  const ServiceResolver* services = nullptr;
};

// Loads `config_dir`. On failure the Status (InvalidArgument, or NotFound when the directory does
// not exist) lists every error, one ConfigError::ToString() per line after a header line; when
// `errors` is not null it also receives them as values (cleared first). The result is all or
// nothing: a config with any error is not returned.
Result<Config> LoadConfig(const std::string& config_dir, const LoadOptions& options,
                          std::vector<ConfigError>* errors = nullptr);
Result<Config> LoadConfig(const std::string& config_dir);

// The files LoadConfig reads (that exist), in the order they are applied, relative to config_dir.
// For `portcullis config-check` output and documentation.
std::vector<std::string> ConfigFiles(const std::string& config_dir);

}  // namespace portcullis
