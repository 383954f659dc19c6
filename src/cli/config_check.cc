// portcullis config-check: validates the configuration files without a running daemon.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "config/config_dump.h"
#include "config/config_loader.h"

namespace portcullis::cli {
namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: portcullis config-check [--config-dir DIR] [--dump]\n\n"
               "Loads the configuration as portcullisd would and prints every error found.\n"
               "  --config-dir DIR  read DIR instead of %s\n"
               "  --dump            on success, print the effective configuration as TOML, each\n"
               "                    value followed by the file:line that set it\n",
               kDefaultConfigDir);
}

}  // namespace

int RunConfigCheck(int argc, char** argv) {
  std::string dir = kDefaultConfigDir;
  bool dump = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config-dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strncmp(argv[i], "--config-dir=", 13) == 0) {
      dir = argv[i] + 13;
    } else if (std::strcmp(argv[i], "--dump") == 0) {
      dump = true;
    } else if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      PrintUsage(stdout);
      return kExitOk;
    } else {
      std::fprintf(stderr, "portcullis config-check: unexpected argument '%s'\n\n", argv[i]);
      PrintUsage(stderr);
      return kExitUsage;
    }
  }

  std::vector<ConfigError> errors;
  Result<Config> config = LoadConfig(dir, LoadOptions{}, &errors);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().message().c_str());
    return kExitError;
  }
  if (dump) {
    std::fputs(DumpConfig(*config).c_str(), stdout);
    return kExitOk;
  }
  size_t enabled = 0;
  for (const JailConfig& jail : config->jails) enabled += jail.enabled ? 1 : 0;
  std::printf("%s: OK, %zu jails (%zu enabled) from", dir.c_str(), config->jails.size(), enabled);
  std::vector<std::string> files = ConfigFiles(dir);
  if (files.empty()) std::printf(" built-in defaults only");
  for (const std::string& file : files) std::printf(" %s", file.c_str());
  std::printf("\n");
  return kExitOk;
}

}  // namespace portcullis::cli
