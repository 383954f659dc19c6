// `portcullis filter-test`: runs one filter over a log file, stdin or a literal line and reports
// what matched (like fail2ban-regex), or prints one JSON record per line with --json.
#include "cli/filter_tester.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "config/filter_file.h"
#include "filter/filter.h"

namespace portcullis::cli {
namespace {

constexpr size_t kMaxLine = size_t{64} * 1024;
constexpr size_t kReadSize = 1 << 20;

void AppendEscaped(std::string* out, std::string_view s) {
  static const char kHexDigits[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(ch);
    } else if (c < 0x20 || c >= 0x80) {
      out->append("\\u00");
      out->push_back(kHexDigits[c >> 4]);
      out->push_back(kHexDigits[c & 15]);
    } else {
      out->push_back(ch);
    }
  }
  out->push_back('"');
}

void AppendNumber(std::string* out, double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string_view s(buf, size_t(res.ptr - buf));
  out->append(s);
  if (s.find_first_of(".eEn") == std::string_view::npos) {
    out->append(".0");
  }
}

void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, size_t(res.ptr - buf));
}

struct Options {
  std::string filter;
  std::string filters_dir;
  std::string mode;
  std::string input;
  bool have_now = false;
  double now = 0;
  FilterOptions filter_options;
  bool json = false;
  bool print_missed = false;
  bool print_matched = false;
  bool print_ignored = false;
};

void Usage(FILE* out) {
  std::fprintf(
      out,
      "usage: portcullis filter-test --filter NAME|PATH [--filters-dir DIR] [--mode MODE]\n"
      "         [--now EPOCH] [--datepattern P] [--logtimezone Z] [--json]\n"
      "         [--print-missed] [--print-matched] [--print-ignored] LOGFILE|-|'LINE'\n"
      "\n"
      "Runs a filter over a log file, stdin (-) or one literal line and reports what it\n"
      "matches. NAME is looked up in --filters-dir, else /etc/portcullis/filters.d, else\n"
      "the source tree. --now (or $FILTER_TEST_NOW) resolves dates without a year; the\n"
      "default is the current time. Time stamps are read in $TZ unless --logtimezone.\n"
      "--json prints one record per input line:\n"
      "  {\"line\": N, \"match\": true|false, \"host\": \"...\"|null, \"time\": EPOCH|null}\n");
}

bool ParseDouble(const char* s, double* out) {
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0') {
    return false;
  }
  *out = v;
  return true;
}

// Returns -1 on success, else the exit code.
int ParseArgs(int argc, char** argv, Options* o) {
  auto need = [&](int& i, const char* name) -> const char* {
    if (i + 1 >= argc) {
      std::fprintf(stderr, "portcullis filter-test: %s needs a value\n", name);
      return nullptr;
    }
    return argv[++i];
  };
  bool have_input = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const char* v = nullptr;
    if (a == "-h" || a == "--help") {
      Usage(stdout);
      return kExitOk;
    } else if (a == "--filter" || a == "--filters-dir" || a == "--mode" || a == "--now" ||
               a == "--datepattern" || a == "--logtimezone") {
      if ((v = need(i, argv[i])) == nullptr) {
        return kExitUsage;
      }
      if (a == "--filter") {
        o->filter = v;
      }
      if (a == "--filters-dir") {
        o->filters_dir = v;
      }
      if (a == "--mode") {
        o->mode = v;
      }
      if (a == "--datepattern") {
        o->filter_options.datepattern = v;
      }
      if (a == "--logtimezone") {
        o->filter_options.logtimezone = v;
      }
      if (a == "--now") {
        if (!ParseDouble(v, &o->now)) {
          std::fprintf(stderr, "portcullis filter-test: --now: not a number: %s\n", v);
          return kExitUsage;
        }
        o->have_now = true;
      }
    } else if (a == "--json") {
      o->json = true;
    } else if (a == "--print-missed") {
      o->print_missed = true;
    } else if (a == "--print-matched") {
      o->print_matched = true;
    } else if (a == "--print-ignored") {
      o->print_ignored = true;
    } else if (a.size() > 1 && a[0] == '-' && a != "-" && !have_input) {
      std::fprintf(stderr, "portcullis filter-test: unknown option %s\n", argv[i]);
      Usage(stderr);
      return kExitUsage;
    } else if (!have_input) {
      o->input = std::string(a);
      have_input = true;
    } else {
      std::fprintf(stderr, "portcullis filter-test: more than one input given\n");
      return kExitUsage;
    }
  }
  if (o->filter.empty() || !have_input) {
    Usage(stderr);
    return kExitUsage;
  }
  if (!o->have_now) {
    if (const char* env = std::getenv("FILTER_TEST_NOW"); env != nullptr && *env != '\0') {
      if (!ParseDouble(env, &o->now)) {
        std::fprintf(stderr, "portcullis filter-test: FILTER_TEST_NOW: not a number: %s\n", env);
        return kExitUsage;
      }
    } else {
      o->now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                   .count();
    }
  }
  return -1;
}

struct Stats {
  uint64_t lines = 0;
  uint64_t cut = 0;
  uint64_t kinds[6] = {};
  uint64_t limit_exceeded = 0;
  std::vector<uint64_t> regex_hits;
  std::vector<std::pair<std::string_view, uint64_t>> templates;
};

class Runner {
 public:
  Runner(Filter* filter, const Options& o) : filter_(filter), o_(o) {
    stats_.regex_hits.assign(filter->failregexes().size(), 0);
    out_.reserve(kReadSize + 4096);
  }

  void Line(std::string_view line) {
    ++stats_.lines;
    LineResult r = filter_->Process(line, o_.now);
    ++stats_.kinds[static_cast<int>(r.kind)];
    if (r.limit_exceeded) {
      ++stats_.limit_exceeded;
    }
    if (!r.date_template.empty()) {
      CountTemplate(r.date_template);
    }
    if (r.kind == LineKind::kFailure && r.regex_index >= 0 &&
        size_t(r.regex_index) < stats_.regex_hits.size()) {
      ++stats_.regex_hits[size_t(r.regex_index)];
    }
    if (o_.json) {
      AppendJsonRecord(&out_, stats_.lines, r);
    } else if ((o_.print_matched && r.kind == LineKind::kFailure) ||
               (o_.print_ignored && r.kind == LineKind::kIgnored) ||
               (o_.print_missed && r.kind != LineKind::kFailure && r.kind != LineKind::kIgnored)) {
      out_.append(LineKindName(r.kind));
      if (r.failure) {
        out_.append(" host=");
        out_.append(r.failure->host);
        if (!r.failure->user.empty()) {
          out_.append(" user=");
          out_.append(r.failure->user);
        }
      }
      out_.append(": ");
      out_.append(line);
      out_.push_back('\n');
    }
    if (out_.size() >= kReadSize) {
      Flush();
    }
  }

  void Flush() {
    if (!out_.empty()) {
      std::fwrite(out_.data(), 1, out_.size(), stdout);
    }
    out_.clear();
  }

  // Reads `fd` to the end, splitting on '\n' only. Lines over kMaxLine are cut (and counted).
  bool ReadFd(int fd) {
    std::vector<char> buf(kReadSize + kMaxLine);
    size_t have = 0;
    bool discarding = false;  // inside the tail of an over-long line
    for (;;) {
      ssize_t n = ::read(fd, buf.data() + have, buf.size() - have);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        return false;
      }
      if (n == 0) {
        break;
      }
      have += size_t(n);
      size_t pos = 0;
      for (;;) {
        const char* start = buf.data() + pos;
        const void* nl = std::memchr(start, '\n', have - pos);
        if (nl == nullptr) {
          break;
        }
        size_t len = size_t(static_cast<const char*>(nl) - start);
        if (discarding) {
          discarding = false;
        } else {
          EmitCapped(std::string_view(start, len));
        }
        pos += len + 1;
      }
      std::memmove(buf.data(), buf.data() + pos, have - pos);
      have -= pos;
      if (have >= kMaxLine) {
        if (!discarding) {
          ++stats_.cut;
          Line(std::string_view(buf.data(), kMaxLine));
        }
        discarding = true;
        have = 0;
      }
    }
    if (have > 0 && !discarding) {
      EmitCapped(std::string_view(buf.data(), have));
    }
    return true;
  }

  const Stats& stats() const { return stats_; }

 private:
  void EmitCapped(std::string_view line) {
    if (line.size() > kMaxLine) {
      line = line.substr(0, kMaxLine);
      ++stats_.cut;
    }
    Line(line);
  }

  void CountTemplate(std::string_view name) {
    for (auto& [n, c] : stats_.templates) {
      if (n == name) {
        ++c;
        return;
      }
    }
    stats_.templates.push_back({name, 1});
  }

  Filter* filter_;
  const Options& o_;
  Stats stats_;
  std::string out_;
};

std::vector<std::string> FilterDirs(const Options& o) {
  if (!o.filters_dir.empty()) {
    return {o.filters_dir};
  }
  std::vector<std::string> dirs = {"/etc/portcullis/filters.d"};
  std::string sysconf = std::string(PORTCULLIS_SYSCONFDIR) + "/portcullis/filters.d";
  if (sysconf != dirs[0]) {
    dirs.push_back(sysconf);
  }
  dirs.push_back(std::string(PORTCULLIS_SOURCE_DIR) + "/filters.d");
  return dirs;
}

void PrintSummary(const Filter& filter, const Options& o, const std::string& path, const Stats& s,
                  double seconds) {
  std::printf("Filter:   %s (mode %s)\n", path.c_str(),
              o.mode.empty() ? "default" : o.mode.c_str());
  if (filter.prefilter_enabled()) {
    std::printf("Prefilter: on, literals:");
    for (const std::string& l : filter.prefilter_literals()) {
      std::printf(" \"%s\"", l.c_str());
    }
    std::printf("\n");
  } else {
    std::printf("Prefilter: off (a regex has no literal of 3+ bytes)\n");
  }
  std::printf("\nFailregex hits:\n");
  for (size_t i = 0; i < filter.failregexes().size(); ++i) {
    std::printf("  %zu) [%llu] %s\n", i, static_cast<unsigned long long>(s.regex_hits[i]),
                filter.failregexes()[i].c_str());
  }
  std::printf("\nDate templates:\n");
  if (s.templates.empty()) {
    std::printf("  (none)\n");
  }
  for (const auto& [name, count] : s.templates) {
    std::printf("  [%llu] %.*s\n", static_cast<unsigned long long>(count), int(name.size()),
                name.data());
  }
  auto k = [&](LineKind kind) {
    return static_cast<unsigned long long>(s.kinds[static_cast<int>(kind)]);
  };
  std::printf(
      "\nLines: %llu read, %llu matched, %llu ignored, %llu missed, %llu remembered (session), "
      "%llu without date, %llu skipped by prefilter\n",
      static_cast<unsigned long long>(s.lines), k(LineKind::kFailure), k(LineKind::kIgnored),
      k(LineKind::kMissed), k(LineKind::kRemembered), k(LineKind::kNoDate), k(LineKind::kSkipped));
  if (s.cut > 0) {
    std::printf("%llu lines longer than %zu bytes were cut\n",
                static_cast<unsigned long long>(s.cut), kMaxLine);
  }
  if (s.limit_exceeded > 0) {
    std::printf("%llu lines hit the PCRE2 match/depth limit (treated as missed)\n",
                static_cast<unsigned long long>(s.limit_exceeded));
  }
  double rate = seconds > 0 ? double(s.lines) / seconds : 0;
  std::printf("[processed in %.3f s, %.0f lines/s]\n", seconds, rate);
}

}  // namespace

void AppendJsonRecord(std::string* out, uint64_t line_number, const LineResult& result) {
  out->append("{\"line\": ");
  AppendUint(out, line_number);
  if (result.kind != LineKind::kFailure || !result.failure.has_value()) {
    out->append(", \"match\": false, \"host\": null, \"time\": null}\n");
    return;
  }
  out->append(", \"match\": true, \"host\": ");
  AppendEscaped(out, result.failure->host);
  out->append(", \"time\": ");
  AppendNumber(out, result.failure->time);
  out->append("}\n");
}

int RunFilterTest(int argc, char** argv) {
  Options o;
  int rc = ParseArgs(argc, argv, &o);
  if (rc >= 0) {
    return rc;
  }

  Result<std::string> path = FindFilterFile(o.filter, FilterDirs(o));
  if (!path.ok()) {
    std::fprintf(stderr, "portcullis filter-test: %s\n", path.status().message().c_str());
    return kExitError;
  }
  Result<FilterDef> def = LoadFilterFile(*path);
  if (!def.ok()) {
    std::fprintf(stderr, "portcullis filter-test: %s\n", def.status().message().c_str());
    return kExitError;
  }
  Result<std::unique_ptr<Filter>> filter = Filter::Compile(*def, o.mode, o.filter_options);
  if (!filter.ok()) {
    std::fprintf(stderr, "portcullis filter-test: %s\n", filter.status().message().c_str());
    return kExitError;
  }

  Runner runner(filter->get(), o);
  auto t0 = std::chrono::steady_clock::now();
  struct stat st;
  if (o.input == "-") {
    if (!runner.ReadFd(0)) {
      std::fprintf(stderr, "portcullis filter-test: reading stdin: %s\n", std::strerror(errno));
      return kExitError;
    }
  } else if (::stat(o.input.c_str(), &st) == 0) {
    int fd = ::open(o.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      std::fprintf(stderr, "portcullis filter-test: %s: %s\n", o.input.c_str(),
                   std::strerror(errno));
      return kExitError;
    }
    bool ok = runner.ReadFd(fd);
    int saved = errno;
    ::close(fd);
    if (!ok) {
      std::fprintf(stderr, "portcullis filter-test: %s: %s\n", o.input.c_str(),
                   std::strerror(saved));
      return kExitError;
    }
  } else {
    // Not a file: the argument is the log line itself.
    std::string_view text = o.input;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      runner.Line(text.substr(0, std::min(nl, kMaxLine)));
      if (nl == std::string_view::npos) {
        break;
      }
      text.remove_prefix(nl + 1);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  runner.Flush();
  if (!o.json) {
    PrintSummary(**filter, o, *path, runner.stats(), seconds);
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace portcullis::cli
