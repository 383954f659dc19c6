// portcullis: the client and tool box. Dispatches to one subcommand per first argument.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "portcullis/version.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* help;
};

constexpr Command kCommands[] = {
    {"filter-test", portcullis::cli::RunFilterTest,
     "test a filter against a log file or a line (like fail2ban-regex)"},
    {"ping", portcullis::cli::RunClient, "check that portcullisd answers"},
    {"version", portcullis::cli::RunClient, "print the client's and the daemon's version"},
    {"status", portcullis::cli::RunClient, "show all jails, or one jail's counters and bans"},
    {"ban", portcullis::cli::RunClient, "ban addresses in a jail (or a list: --file FILE|-)"},
    {"unban", portcullis::cli::RunClient, "lift bans (in one jail, every jail, or --all)"},
    {"banned", portcullis::cli::RunClient, "list active bans, or where one address is banned"},
    {"reload", portcullis::cli::RunClient, "re-read the configuration (all, or one jail)"},
    {"get", portcullis::cli::RunClient, "read a jail setting (maxretry, bantime, banned, ...)"},
    {"set", portcullis::cli::RunClient, "change a jail setting until the next reload"},
    {"flushlogs", portcullis::cli::RunClient, "reopen the daemon's log file"},
    {"stop", portcullis::cli::RunClient, "stop portcullisd"},
    {"config-test", portcullis::cli::RunConfigCheck,
     "check the configuration and filters (every error at once); prints OK"},
    {"config-check", portcullis::cli::RunConfigCheck, "same as config-test"},
    {"config-dump", portcullis::cli::RunConfigDump,
     "print the effective configuration, each value with the file that set it"},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: portcullis COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.help);
  std::fprintf(out, "\n'portcullis COMMAND --help' describes a command.\n");
}

// Global options may come before the command, as with fail2ban-client (`-s SOCKET status`):
// they are moved after it, where every command parses them.
std::vector<char*> HoistGlobalOptions(int argc, char** argv) {
  std::vector<char*> front, globals;
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view a = argv[i];
    bool takes_value = a == "--socket" || a == "-s" || a == "--config-dir" || a == "-c";
    if (takes_value && i + 1 < argc) {
      globals.push_back(a == "-s" ? const_cast<char*>("--socket")
                                  : a == "-c" ? const_cast<char*>("--config-dir") : argv[i]);
      globals.push_back(argv[++i]);
    } else if (a == "--json") {
      globals.push_back(argv[i]);
    } else {
      break;
    }
  }
  std::vector<char*> out = {argv[0]};
  if (i < argc) out.push_back(argv[i++]);
  out.insert(out.end(), globals.begin(), globals.end());
  for (; i < argc; ++i) out.push_back(argv[i]);
  out.push_back(nullptr);
  return out;
}

int Main(int argc, char** argv) {
  std::vector<char*> args = HoistGlobalOptions(argc, argv);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  if (argc < 2) {
    PrintUsage(stderr);
    return portcullis::cli::kExitUsage;
  }
  std::string_view cmd = argv[1];
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    PrintUsage(stdout);
    return portcullis::cli::kExitOk;
  }
  if (cmd == "-V" || cmd == "--version") {
    std::printf("portcullis %s\n", PORTCULLIS_VERSION);
    return portcullis::cli::kExitOk;
  }
  for (const Command& c : kCommands) {
    if (cmd == c.name) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "portcullis: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return portcullis::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "portcullis: internal error: %s\n", e.what());
    return portcullis::cli::kExitError;
  }
}
