#include "common/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>

namespace portcullis {
namespace {

int64_t Secs(std::string_view text) {
  Result<Duration> r = ParseDuration(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  EXPECT_TRUE(!r.ok() || !r->permanent) << text;
  return r.ok() ? r->seconds : -999;
}

std::string Error(std::string_view text) {
  Result<Duration> r = ParseDuration(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

TEST(ParseDuration, BareNumberIsSeconds) {
  EXPECT_EQ(Secs("600"), 600);
  EXPECT_EQ(Secs("0"), 0);
  EXPECT_EQ(Secs("0600"), 600);
  EXPECT_EQ(Secs("9223372036854775807"), std::numeric_limits<int64_t>::max());
}

TEST(ParseDuration, ReadsUnitsAndCombinations) {
  EXPECT_EQ(Secs("45s"), 45);
  EXPECT_EQ(Secs("10m"), 600);
  EXPECT_EQ(Secs("1h"), 3600);
  EXPECT_EQ(Secs("1h30m"), 5400);
  EXPECT_EQ(Secs("1d12h"), 129600);
  EXPECT_EQ(Secs("1w"), 604800);
  EXPECT_EQ(Secs("1y"), 365 * 86400);
  EXPECT_EQ(Secs("2y1w1d1h1m1s"), 2 * 31536000 + 604800 + 86400 + 3600 + 60 + 1);
  EXPECT_EQ(Secs("90m"), 5400);  // a component may exceed the next unit
  EXPECT_EQ(Secs("1h 30m"), 5400);
  EXPECT_EQ(Secs("1h\t30m  15s"), 5415);
  EXPECT_EQ(Secs("0s"), 0);
}

TEST(ParseDuration, ReadsPermanentSpellings) {
  Result<Duration> p = ParseDuration("permanent");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->permanent);
  Result<Duration> minus_one = ParseDuration("-1");
  ASSERT_TRUE(minus_one.ok());
  EXPECT_TRUE(minus_one->permanent);
  EXPECT_EQ(*p, Duration::Permanent());
}

TEST(ParseDuration, ErrorsNameTheText) {
  EXPECT_EQ(Error(""), "invalid duration '': empty");
  EXPECT_EQ(Error("10x"), "invalid duration '10x': unknown unit (use s, m, h, d, w or y)");
  EXPECT_EQ(Error("2mo"), "invalid duration '2mo': expected a number after a unit");
  EXPECT_EQ(Error("1h30"), "invalid duration '1h30': missing unit after the last number");
  EXPECT_EQ(Error("30m1h"),
            "invalid duration '30m1h': units must go from largest to smallest, once each");
  EXPECT_EQ(Error("1h1h"),
            "invalid duration '1h1h': units must go from largest to smallest, once each");
  EXPECT_EQ(Error("-5"), "invalid duration '-5': negative (use \"permanent\" or -1 for no expiry)");
  EXPECT_EQ(Error("-1h"),
            "invalid duration '-1h': negative (use \"permanent\" or -1 for no expiry)");
  EXPECT_EQ(Error("h"),
            "invalid duration 'h': expected a number, optionally followed by s, m, h, d, w or y");
  EXPECT_EQ(Error(" 10m"), "invalid duration ' 10m': leading or trailing space");
  EXPECT_EQ(Error("9223372036854775808"), "invalid duration '9223372036854775808': too large");
}

TEST(ParseDuration, RejectsMalformedText) {
  for (const char* bad : {" 10m", "10m ", "10 m", "1.5h", "+10", "10M", "1H", "Permanent",
                          "forever", "1e3", "0x10", "10mm", "m10", "1d-1h", "--1", "1,5"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_FALSE(ParseDuration(std::string("10m\0", 4)).ok());
  EXPECT_EQ(Error(std::string("1\n", 2)),
            "invalid duration '1\\x0a': unknown unit (use s, m, h, d, w or y)");
}

TEST(ParseDuration, OverflowIsAnErrorNotUndefined) {
  EXPECT_EQ(Error("300000000000y"), "invalid duration '300000000000y': too large");
  EXPECT_EQ(Error("99999999999999999999s"), "invalid duration '99999999999999999999s': too large");
  // Each component fits, the sum does not.
  EXPECT_EQ(Error("292471208677y53w"), "invalid duration '292471208677y53w': too large");
  EXPECT_EQ(Secs("292471208677y"), int64_t{292471208677} * 31536000);
  EXPECT_EQ(Secs("9223372036854775807s"), std::numeric_limits<int64_t>::max());
}

TEST(FormatDuration, UsesCompactLargestUnitsFirst) {
  EXPECT_EQ(FormatDuration(Duration::Permanent()), "permanent");
  EXPECT_EQ(FormatDuration(Duration::Seconds(0)), "0s");
  EXPECT_EQ(FormatDuration(Duration::Seconds(45)), "45s");
  EXPECT_EQ(FormatDuration(Duration::Seconds(600)), "10m");
  EXPECT_EQ(FormatDuration(Duration::Seconds(5400)), "1h30m");
  EXPECT_EQ(FormatDuration(Duration::Seconds(604800)), "1w");
  EXPECT_EQ(FormatDuration(Duration::Seconds(129600)), "1d12h");
  EXPECT_EQ(FormatDuration(Duration::Seconds(365 * 86400 + 2 * 86400 + 1)), "1y2d1s");
  EXPECT_EQ(FormatDuration(Duration::Seconds(-90)), "-1m30s");
  EXPECT_EQ(FormatDuration(Duration::Seconds(std::numeric_limits<int64_t>::min())),
            "-292471208677y27w6d15h30m8s");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  std::mt19937_64 rng(5);
  for (int k = 0; k < 10000; ++k) {
    const int64_t s = static_cast<int64_t>(rng() >> (1 + rng() % 63));
    const Duration d = Duration::Seconds(s);
    Result<Duration> back = ParseDuration(FormatDuration(d));
    ASSERT_TRUE(back.ok()) << FormatDuration(d);
    ASSERT_EQ(*back, d) << FormatDuration(d);
  }
  EXPECT_EQ(*ParseDuration(FormatDuration(Duration::Permanent())), Duration::Permanent());
}

TEST(Duration, OrdersPermanentAboveEverything) {
  EXPECT_LT(Duration::Seconds(1), Duration::Seconds(2));
  EXPECT_LT(Duration::Seconds(std::numeric_limits<int64_t>::max()), Duration::Permanent());
  EXPECT_FALSE(Duration::Permanent() < Duration::Permanent());
  EXPECT_FALSE(Duration::Permanent() < Duration::Seconds(5));
  EXPECT_EQ(Duration::Permanent(), (Duration{123, true}));
  EXPECT_NE(Duration::Seconds(1), Duration::Seconds(2));
}

}  // namespace
}  // namespace portcullis
