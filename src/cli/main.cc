// portcullis: the client and tool box. Dispatches to one subcommand per first argument.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string_view>

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
    {"config-check", portcullis::cli::RunConfigCheck,
     "check the configuration files (every error at once); --dump prints the result"},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: portcullis COMMAND [ARGS...]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-14s %s\n", c.name, c.help);
  std::fprintf(out, "  %-14s %s\n", "version", "print the version");
  std::fprintf(out, "\n'portcullis COMMAND --help' describes a command.\n");
}

int Main(int argc, char** argv) {
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
