// portcullisd: the daemon.
#include <malloc.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "daemon/daemon.h"
#include "daemon/logging.h"
#include "portcullis/version.h"

namespace {

void Usage(FILE* out) {
  std::fprintf(out,
               "usage: portcullisd [--foreground] [--config-dir DIR] [--no-stderr] "
               "[--pid-file FILE]\n"
               "  --foreground     run in the foreground (systemd, tests); this is the only mode\n"
               "  --config-dir DIR configuration directory (default /etc/portcullis)\n"
               "  --no-stderr      log only to the log file (systemd: the journal gets stderr)\n"
               "  --pid-file FILE  write the process id to FILE\n"
               "  --version        print the version\n");
}

int Main(int argc, char** argv) {
  portcullis::DaemonOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "portcullisd: %s needs a value\n", name);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--foreground" || a == "-f") {
      continue;
    } else if (a == "--no-stderr") {
      opts.log_to_stderr = false;
    } else if (a == "--config-dir" || a == "-c") {
      const char* v = value("--config-dir");
      if (v == nullptr) return 2;
      opts.config_dir = v;
    } else if (a == "--pid-file") {
      const char* v = value("--pid-file");
      if (v == nullptr) return 2;
      opts.pid_file = v;
    } else if (a == "--utmp") {
      const char* v = value("--utmp");
      if (v == nullptr) return 2;
      opts.utmp_path = v;
    } else if (a == "--version" || a == "-V") {
      std::printf("portcullisd %s\n", PORTCULLIS_VERSION);
      return 0;
    } else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "portcullisd: unknown option '%s'\n", a.c_str());
      Usage(stderr);
      return 2;
    }
  }
  portcullis::Result<std::unique_ptr<portcullis::Daemon>> daemon =
      portcullis::Daemon::Create(opts);
  if (!daemon.ok()) {
    portcullis::FlushLog();
    std::fprintf(stderr, "portcullisd: cannot start:\n%s\n", daemon.status().message().c_str());
    return 1;
  }
  // Startup (config parsing, PCRE2 compilation and JIT, SQLite schema work) frees much more than
  // it keeps, and glibc only gives back free memory at the top of the heap: return the free
  // pages in between before the daemon settles into its loop.
  malloc_trim(0);
  portcullis::Status s = (*daemon)->Run();
  if (!s.ok()) {
    portcullis::Log().critical("event loop failed: {}", s.message());
    portcullis::FlushLog();
    return 1;
  }
  portcullis::FlushLog();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A fixed mmap threshold: blocks of 64 KiB and more (hash tables and batches that grow during a
  // flood) get their own mappings and go back to the kernel when freed. glibc's default raises
  // the threshold after the first such free, and the doubled-and-freed tables then stay in the
  // heap as holes, counted in RSS for the rest of the daemon's life.
  mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "portcullisd: fatal: %s\n", e.what());
    return 1;
  }
}
