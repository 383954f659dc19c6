// `portcullis config-dump`: the effective configuration as TOML.
#pragma once

#include <cstdint>
#include <string>

#include "config/settings.h"

namespace portcullis {

// Seconds as the config files write them (common/duration.h FormatDuration): "1w2d", "1h30m",
// "45s"; 0 and negative values are "0s".
std::string FormatDurationText(int64_t seconds);

// The daemon part ([daemon], [firewall], [database]), valid portcullis.toml content.
std::string DumpDaemonSettings(const Config& config);

// Every jail, enabled or not, with every key resolved (no [defaults] table): valid jail.toml
// content.
std::string DumpJails(const Config& config);

// Both parts under a header comment. Each value carries a trailing comment naming the file and line
// that set it ("# jail.local.toml:4", "# jail.toml:9 [defaults]") or "# built-in".
std::string DumpConfig(const Config& config);

}  // namespace portcullis
