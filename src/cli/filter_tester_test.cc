#include "cli/filter_tester.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace portcullis::cli
