// portcullis config-test (alias config-check) and config-dump: validate the configuration files
// without a running daemon, as portcullisd would load them, filters included.
#include <glob.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "config/config_dump.h"
#include "config/config_loader.h"
#include "config/filter_file.h"
#include "filter/filter.h"

namespace portcullis::cli {
namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "usage: portcullis config-test [--config-dir DIR] [--quiet]\n"
               "       portcullis config-dump [--config-dir DIR]\n\n"
               "Loads the configuration as portcullisd would, compiles the filter of every enabled\n"
               "jail, checks its log paths, and prints OK or every error found.\n"
               "  --config-dir DIR  read DIR instead of %s\n"
               "  --quiet           print nothing when the configuration is fine\n"
               "  --dump            (config-dump) print the effective configuration as TOML, each\n"
               "                    value followed by the file:line that set it\n",
               kDefaultConfigDir);
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Every enabled jail's filter must load and compile; a log path that does not exist is not an
// error (the daemon waits for it) but is reported, so a typo does not go unnoticed.
void CheckJails(const std::string& dir, const Config& config, std::vector<std::string>* errors,
                std::vector<std::string>* notes) {
  std::vector<std::string> dirs = {dir + "/filters.d"};
  for (const JailConfig& jail : config.jails) {
    if (!jail.enabled) continue;
    Result<std::string> path = FindFilterFile(jail.filter, dirs);
    if (!path.ok()) {
      errors->push_back("[" + jail.name + "] filter '" + jail.filter + "': " +
                        path.status().message());
      continue;
    }
    Result<FilterDef> def = LoadFilterFile(*path);
    if (!def.ok()) {
      errors->push_back("[" + jail.name + "] " + def.status().message());
      continue;
    }
    FilterOptions options;
    options.datepattern = jail.datepattern;
    options.logtimezone = jail.logtimezone;
    Result<std::unique_ptr<Filter>> compiled = Filter::Compile(*def, jail.mode, options);
    if (!compiled.ok()) {
      errors->push_back("[" + jail.name + "] " + compiled.status().message());
      continue;
    }
    // Same rule as the daemon (daemon.cc BuildJails), so the unit's pre-start check catches it.
    if (jail.backend == LogBackend::kJournal && jail.journalmatch.empty() &&
        def->journalmatch.empty()) {
      errors->push_back("[" + jail.name + "] backend \"journal\" needs a journalmatch (the " +
                        "jail has none, nor has its filter '" + jail.filter + "')");
      continue;
    }
    if (jail.backend == LogBackend::kJournal) continue;  // logpath is not read
    std::vector<std::string> missing;
    for (const std::string& logpath : jail.logpath) {
      glob_t g{};
      bool found = glob(logpath.c_str(), GLOB_NOSORT, nullptr, &g) == 0 && g.gl_pathc > 0;
      globfree(&g);
      if (!found) missing.push_back(logpath);
    }
    if (jail.backend == LogBackend::kAuto && !jail.journalmatch.empty() && !missing.empty() &&
        missing.size() == jail.logpath.size()) {
      notes->push_back("[" + jail.name + "] none of its log files exists: it reads the systemd " +
                       "journal instead (journalmatch)");
      continue;
    }
    for (const std::string& logpath : missing) {
      std::string parent = logpath.substr(0, logpath.rfind('/'));
      notes->push_back("[" + jail.name + "] " + logpath + " does not exist yet" +
                       (Exists(parent) ? "; it will be watched for"
                                       : "; nor does " + parent + " (watched for too)"));
    }
  }
}

}  // namespace

int RunConfigDump(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  static char kDump[] = "--dump";
  args.push_back(kDump);
  return RunConfigCheck(static_cast<int>(args.size()), args.data());
}

int RunConfigCheck(int argc, char** argv) {
  std::string dir = kDefaultConfigDir;
  bool dump = false;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config-dir") == 0 && i + 1 < argc) {
      dir = argv[++i];
    } else if (std::strncmp(argv[i], "--config-dir=", 13) == 0) {
      dir = argv[i] + 13;
    } else if (std::strcmp(argv[i], "--dump") == 0) {
      dump = true;
    } else if (std::strcmp(argv[i], "--quiet") == 0 || std::strcmp(argv[i], "-q") == 0) {
      quiet = true;
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
  std::vector<std::string> errors_found, notes;
  CheckJails(dir, *config, &errors_found, &notes);
  for (const std::string& e : errors_found) std::fprintf(stderr, "%s\n", e.c_str());
  if (!quiet) {
    for (const std::string& n : notes) std::printf("note: %s\n", n.c_str());
  }
  if (!errors_found.empty()) return kExitError;
  if (quiet) return kExitOk;
  size_t enabled = 0;
  for (const JailConfig& jail : config->jails) enabled += jail.enabled ? 1 : 0;
  std::printf("OK: %s, %zu jails (%zu enabled) from", dir.c_str(), config->jails.size(), enabled);
  std::vector<std::string> files = ConfigFiles(dir);
  if (files.empty()) std::printf(" built-in defaults only");
  for (const std::string& file : files) std::printf(" %s", file.c_str());
  std::printf("\n");
  return kExitOk;
}

}  // namespace portcullis::cli
