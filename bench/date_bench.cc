// Date detection cost per line, for the formats on the hot path. Lines vary in their seconds so
// that no result is trivially cached; the zone is local (TZ as set by the caller) or UTC.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "filter/date_detector.h"

namespace portcullis {
namespace {

constexpr double kNow = 1795392000;  // 2026-11-23 00:00:00 UTC

std::vector<std::string> Lines(const char* format) {
  std::vector<std::string> lines;
  for (int i = 0; i < 64; ++i) {
    char buf[256];
    std::snprintf(buf, sizeof(buf), format, i % 60, i % 24);
    lines.emplace_back(buf);
  }
  return lines;
}

void Run(benchmark::State& state, const char* pattern, const char* zone, const char* format) {
  auto detector = DateDetector::Create(pattern, zone);
  if (!detector.ok()) {
    state.SkipWithError(detector.status().ToString().c_str());
    return;
  }
  const std::vector<std::string> lines = Lines(format);
  size_t i = 0;
  for (auto _ : state) {
    auto m = (*detector)->Find(lines[i++ & 63], kNow);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}

const char kSyslog[] =
    "Nov 22 10:%02d:%02d host sshd[1234]: Failed password for root from 192.0.2.7";
const char kIso[] = "2026-11-22T10:%02d:%02d.123456+01:00 host sshd[1]: Failed password";
const char kIsoLocal[] = "2026-11-22 10:%02d:%02d,123 WARN auth failure from 192.0.2.7";
const char kApache[] =
    "192.0.2.7 - - [22/Nov/2026:10:%02d:%02d +0000] \"GET /wp-login.php HTTP/1.1\" 404 153";
const char kNoDate[] = "kernel: [%05d.%06d] eth0: link up, nothing that looks like a date here";

void BM_SyslogLocal(benchmark::State& s) { Run(s, "auto", "local", kSyslog); }
void BM_SyslogUtc(benchmark::State& s) { Run(s, "auto", "UTC", kSyslog); }
void BM_IsoWithOffset(benchmark::State& s) { Run(s, "auto", "local", kIso); }
void BM_IsoLocal(benchmark::State& s) { Run(s, "auto", "local", kIsoLocal); }
void BM_ApacheAccess(benchmark::State& s) { Run(s, "auto", "local", kApache); }
void BM_NoDate(benchmark::State& s) { Run(s, "auto", "local", kNoDate); }
void BM_CustomPattern(benchmark::State& s) { Run(s, "%Y-%m-%d %H:%M:%S", "local", kIsoLocal); }
void BM_CustomSearch(benchmark::State& s) { Run(s, "%d/%b/%Y:%H:%M:%S %z", "local", kApache); }

BENCHMARK(BM_SyslogLocal);
BENCHMARK(BM_SyslogUtc);
BENCHMARK(BM_IsoWithOffset);
BENCHMARK(BM_IsoLocal);
BENCHMARK(BM_ApacheAccess);
BENCHMARK(BM_NoDate);
BENCHMARK(BM_CustomPattern);
BENCHMARK(BM_CustomSearch);

}  // namespace
}  // namespace portcullis
