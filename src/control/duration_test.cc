#include "control/duration.h"

#include <gtest/gtest.h>

#include "control/daemon_facade.h"

namespace portcullis {
namespace {

TEST(ParseDuration, AcceptsSecondsAndUnits) {
  EXPECT_EQ(*ParseDuration("600", false), 600);
  EXPECT_EQ(*ParseDuration("45s", false), 45);
  EXPECT_EQ(*ParseDuration("10m", false), 600);
  EXPECT_EQ(*ParseDuration("1h30m", false), 5400);
  EXPECT_EQ(*ParseDuration("2d", false), 172800);
  EXPECT_EQ(*ParseDuration("1w", false), 604800);
}

TEST(ParseDuration, PermanentOnlyWhenAllowed) {
  EXPECT_EQ(*ParseDuration("permanent", true), kPermanentBan);
  EXPECT_EQ(*ParseDuration("-1", true), kPermanentBan);
  EXPECT_FALSE(ParseDuration("permanent", false).ok());
  EXPECT_FALSE(ParseDuration("-1", false).ok());
}

TEST(ParseDuration, RefusesGarbageWithTheTextInTheMessage) {
  for (const char* text : {"", "h", "1x", "-5", "0", "0s", "1.5h", "1h30"}) {
    Result<int64_t> r = ParseDuration(text, true);
    EXPECT_FALSE(r.ok()) << text;
  }
  EXPECT_EQ(ParseDuration("1x", false).status().message(),
            "invalid duration '1x': unknown unit (use s, m, h, d, w or y)");
  // The same grammar as the config files: "1h 30m" is fine there, so it is fine here.
  EXPECT_EQ(*ParseDuration("1h 30m", false), 5400);
}

TEST(ParseDuration, RefusesOverTenYearsWithoutOverflow) {
  EXPECT_FALSE(ParseDuration("99999999999999999999999", false).ok());
  EXPECT_FALSE(ParseDuration("11000d", false).ok());
  EXPECT_TRUE(ParseDuration("3650d", false).ok());
}

TEST(FormatDuration, ShortestExactSpelling) {
  EXPECT_EQ(FormatDuration(5400), "1h30m");
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(604800 + 86400), "1w1d");
  EXPECT_EQ(FormatDuration(kPermanentBan), "permanent");
}

}  // namespace
}  // namespace portcullis
