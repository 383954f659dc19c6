// Filter::Process on typical sshd lines: a failure (classic syslog and RFC 3339 time stamps),
// sshd lines that are not failures (one that the prefilter rejects, one that reaches the regexes),
// a line from another program, and nginx access lines (date in brackets) for nginx-botsearch.
// Then the interpreter's cost on two of those lines and Filter::Compile with and without JIT.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "config/filter_file.h"
#include "filter/filter.h"

namespace portcullis {
namespace {

constexpr double kNow = 1795000000;  // Nov 2026

Result<FilterDef> LoadDef(const std::string& name) {
  // The bench binary has no source-dir definition; the filter sits next to this file's folder.
  std::string here = __FILE__;
  std::string root = here.substr(0, here.rfind("/bench/"));
  return LoadFilterFile(root + "/filters.d/" + name + ".toml");
}

// jit_after = 0: JIT code from the first line, as the steady state of a busy jail.
std::unique_ptr<Filter> Load(const std::string& name, uint32_t jit_after = 0) {
  Result<FilterDef> def = LoadDef(name);
  if (!def.ok()) {
    return nullptr;
  }
  FilterOptions options;
  options.jit_after = jit_after;
  Result<std::unique_ptr<Filter>> f = Filter::Compile(*def, "", options);
  return f.ok() ? std::move(*f) : nullptr;
}

void Run(benchmark::State& state, const char* line, const char* filter = "sshd",
         uint32_t jit_after = 0) {
  std::unique_ptr<Filter> f = Load(filter, jit_after);
  if (f == nullptr) {
    state.SkipWithError("cannot load the filter from filters.d");
    return;
  }
  for (auto _ : state) {
    LineResult r = f->Process(line, kNow);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SshdFailure(benchmark::State& state) {
  Run(state,
      "Nov 22 10:00:01 gw sshd[1001]: Failed password for invalid user oracle from 203.0.113.7 "
      "port 40122 ssh2");
}
void BM_SshdFailureRfc3339(benchmark::State& state) {
  Run(state,
      "2026-11-22T10:00:01.123456+00:00 gw sshd-session[1001]: Failed password for invalid user "
      "oracle from 2001:db8::7 port 40122 ssh2");
}
void BM_SshdBenignPrefilterMiss(benchmark::State& state) {
  Run(state,
      "Nov 22 10:00:02 gw sshd[1002]: pam_unix(sshd:session): session opened for user "
      "deploy(uid=1000) by (uid=0)");
}
void BM_SshdBenignRegexMiss(benchmark::State& state) {
  Run(state,
      "Nov 22 10:00:03 gw sshd[1003]: Received disconnect from 192.0.2.10 port 50113:11: "
      "disconnected by user");
}
void BM_OtherProgram(benchmark::State& state) {
  Run(state, "Nov 22 10:00:04 gw CRON[1004]: pam_unix(cron:session): session closed for user root");
}
void BM_NginxAccessFailure(benchmark::State& state) {
  Run(state,
      "203.0.113.7 - - [22/Nov/2026:10:00:05 +0000] \"GET /wp-login.php HTTP/1.1\" 404 153 \"-\" "
      "\"Mozilla/5.0\"",
      "nginx-botsearch");
}
void BM_NginxAccessBenign(benchmark::State& state) {
  Run(state,
      "198.51.100.20 - - [22/Nov/2026:10:00:06 +0000] \"GET /index.html HTTP/1.1\" 200 612 \"-\" "
      "\"Mozilla/5.0\"",
      "nginx-botsearch");
}

// The same lines before the pattern's JIT compilation (FilterOptions::jit_after): the
// interpreter's cost per line, which the JIT compile time below is weighed against.
constexpr uint32_t kNeverJit = UINT32_MAX;
void BM_SshdFailureInterpreted(benchmark::State& state) {
  Run(state,
      "Nov 22 10:00:01 gw sshd[1001]: Failed password for invalid user oracle from 203.0.113.7 "
      "port 40122 ssh2",
      "sshd", kNeverJit);
}
void BM_SshdBenignRegexMissInterpreted(benchmark::State& state) {
  Run(state,
      "Nov 22 10:00:03 gw sshd[1003]: Received disconnect from 192.0.2.10 port 50113:11: "
      "disconnected by user",
      "sshd", kNeverJit);
}

// Filter::Compile of sshd without and with JIT compilation of all its patterns: the difference
// is what the first busy second of a jail pays for its JIT code.
void Compile(benchmark::State& state, uint32_t jit_after) {
  Result<FilterDef> def = LoadDef("sshd");
  if (!def.ok()) {
    state.SkipWithError("cannot load the filter from filters.d");
    return;
  }
  FilterOptions options;
  options.jit_after = jit_after;
  for (auto _ : state) {
    Result<std::unique_ptr<Filter>> f = Filter::Compile(*def, "", options);
    benchmark::DoNotOptimize(f);
  }
}
void BM_SshdCompile(benchmark::State& state) { Compile(state, kNeverJit); }
void BM_SshdCompileWithJit(benchmark::State& state) { Compile(state, 0); }

BENCHMARK(BM_SshdFailure);
BENCHMARK(BM_SshdFailureRfc3339);
BENCHMARK(BM_SshdBenignPrefilterMiss);
BENCHMARK(BM_SshdBenignRegexMiss);
BENCHMARK(BM_OtherProgram);
BENCHMARK(BM_NginxAccessFailure);
BENCHMARK(BM_NginxAccessBenign);
BENCHMARK(BM_SshdFailureInterpreted);
BENCHMARK(BM_SshdBenignRegexMissInterpreted);
BENCHMARK(BM_SshdCompile);
BENCHMARK(BM_SshdCompileWithJit);

}  // namespace
}  // namespace portcullis
