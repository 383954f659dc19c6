#include "cli/filter_tester.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace portcullis::cli {
namespace {

TEST(FilterTesterJson, MissIsAllNulls) {
  std::string out;
  LineResult r;
  r.kind = LineKind::kMissed;
  AppendJsonRecord(&out, 7, r);
  EXPECT_EQ(out, "{\"line\": 7, \"match\": false, \"host\": null, \"time\": null}\n");
}

TEST(FilterTesterJson, FailureHasHostAndFloatTime) {
  std::string out;
  LineResult r;
  r.kind = LineKind::kFailure;
  r.failure = Failure{};
  r.failure->host = "192.0.2.1";
  r.failure->time = 1109338450;
  AppendJsonRecord(&out, 1, r);
  EXPECT_EQ(out,
            "{\"line\": 1, \"match\": true, \"host\": \"192.0.2.1\", \"time\": 1109338450.0}\n");
  out.clear();
  r.failure->time = 1109338450.25;
  AppendJsonRecord(&out, 2, r);
  EXPECT_EQ(out,
            "{\"line\": 2, \"match\": true, \"host\": \"192.0.2.1\", \"time\": 1109338450.25}\n");
}

TEST(FilterTesterJson, HostIsEscaped) {
  std::string out;
  LineResult r;
  r.kind = LineKind::kFailure;
  r.failure = Failure{};
  r.failure->host = std::string("a\"b\\c\n\x01\xff", 8);
  r.failure->time = 1;
  AppendJsonRecord(&out, 3, r);
  EXPECT_EQ(out,
            "{\"line\": 3, \"match\": true, \"host\": \"a\\\"b\\\\c\\u000a\\u0001\\u00ff\", "
            "\"time\": 1.0}\n");
}

TEST(FilterTesterJson, OnlyFailuresMatch) {
  for (LineKind k :
       {LineKind::kSkipped, LineKind::kNoDate, LineKind::kIgnored, LineKind::kRemembered}) {
    std::string out;
    LineResult r;
    r.kind = k;
    AppendJsonRecord(&out, 1, r);
    EXPECT_NE(out.find("\"match\": false"), std::string::npos);
  }
}

// End to end over a file: '\n' is the only separator (\t, \x1d, NUL and \r are line content), an
// over-long line is cut but still one record, and a last line without '\n' counts.
TEST(FilterTesterRun, JsonHasOneRecordPerInputLine) {
  char dir[] = "/tmp/portcullis-ft-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string filter = std::string(dir) + "/demo.toml";
  std::string log = std::string(dir) + "/x.log";
  std::ofstream(filter) << "datepattern = 'none'\nno_date = 'now'\nfailregex = ['^bad <HOST>$']\n";
  {
    std::ofstream out(log, std::ios::binary);
    out << "bad 192.0.2.1\n";
    out << std::string("bad \t\x1d\0 192.0.2.2\r", 18) << "\n";
    out << "bad " << std::string(70000, 'x') << "\n";
    out << "bad 192.0.2.3";
  }
  std::vector<std::string> args = {"filter-test", "--filter", "demo", "--filters-dir", dir,
                                   "--now", "5", "--json", log};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  ::testing::internal::CaptureStdout();
  int rc = RunFilterTest(int(argv.size()), argv.data());
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, kExitOk);
  EXPECT_EQ(out,
            "{\"line\": 1, \"match\": true, \"host\": \"192.0.2.1\", \"time\": 5.0}\n"
            "{\"line\": 2, \"match\": false, \"host\": null, \"time\": null}\n"
            "{\"line\": 3, \"match\": false, \"host\": null, \"time\": null}\n"
            "{\"line\": 4, \"match\": true, \"host\": \"192.0.2.3\", \"time\": 5.0}\n");
  std::remove(filter.c_str());
  std::remove(log.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace portcullis::cli
