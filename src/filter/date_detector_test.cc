#include "filter/date_detector.h"

#include <gtest/gtest.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "filter/time_zone.h"

namespace portcullis {
namespace {

// Expected values come from the C library's timegm, not from our own civil-time code.
double Utc(int y, int mo, int d, int h, int mi, int s) {
  struct tm tm {};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<double>(timegm(&tm));
}

const double kNow = Utc(2026, 11, 23, 0, 0, 0);

// Sets TZ for one test and puts the old value back.
class ScopedTz {
 public:
  explicit ScopedTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) {
      old_ = old;
    }
    had_ = std::getenv("TZ") != nullptr;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTz() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  std::string old_;
  bool had_ = false;
};

constexpr const char* kCet = "CET-01CEST-02,M3.5.0,M10.5.0";
constexpr const char* kCetEu = "CET-1CEST,M3.5.0,M10.5.0/3";

std::unique_ptr<DateDetector> Make(std::string_view pattern, std::string_view zone = "UTC") {
  Result<std::unique_ptr<DateDetector>> d = DateDetector::Create(pattern, zone);
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return d.ok() ? std::move(*d) : nullptr;
}

struct Expect {
  std::string line;
  double time;
  size_t begin;
  size_t end;
  std::string_view name;
};

void CheckFind(DateDetector& d, const Expect& e, double now = kNow) {
  SCOPED_TRACE(e.line);
  std::optional<DateMatch> m = d.Find(e.line, now);
  ASSERT_TRUE(m.has_value());
  EXPECT_NEAR(m->time, e.time, 1e-6);
  EXPECT_EQ(m->begin, e.begin);
  EXPECT_EQ(m->end, e.end);
  EXPECT_EQ(m->name, e.name);
}

void CheckAll(std::string_view pattern, const std::vector<Expect>& cases) {
  for (const Expect& e : cases) {
    auto fresh = Make(pattern);
    ASSERT_NE(fresh, nullptr);
    CheckFind(*fresh, e);
  }
}

TEST(DateDetector, SyslogForms) {
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  CheckAll("auto",
           {
               {"Nov 22 10:00:01 host sshd[12]: Failed password", t, 0, 15, "syslog"},
               {"Nov  2 10:00:01 host sshd[12]: x", Utc(2026, 11, 2, 10, 0, 1), 0, 15, "syslog"},
               {"Nov 2 10:00:01 host x", Utc(2026, 11, 2, 10, 0, 1), 0, 14, "syslog"},
               {"Nov 22 10:00:01.123 host x", t + 0.123, 0, 19, "syslog"},
               {"Nov 22 10:00:01.123456 host x", t + 0.123456, 0, 22, "syslog"},
               {"Nov 22 2026 10:00:01 host x", t, 0, 20, "syslog"},
               {"Nov 22 10:00:01 2026 host x", t, 0, 20, "syslog"},
               {"Nov 22 2025 10:00:01 host x", Utc(2025, 11, 22, 10, 0, 1), 0, 20, "syslog"},
               {"<34>Nov 22 10:00:01 host x", t, 4, 19, "syslog"},
               {"<4>Nov 22 10:00:01 host x", t, 3, 18, "syslog"},
               {"Nov 22 10:00:01", t, 0, 15, "syslog"},
               {"nov 22 10:00:01 lower-case month", t, 0, 15, "syslog"},
               {"Jan  5 03:04:05 h", Utc(2026, 1, 5, 3, 4, 5), 0, 15, "syslog"},
           });
}

TEST(DateDetector, SyslogTrailingNumberIsHostNotYear) {
  auto d = Make("auto");
  // 4 digits not followed by a space are a host name, not a year.
  CheckFind(*d, {"Nov 22 10:00:01 2026a x", Utc(2026, 11, 22, 10, 0, 1), 0, 15, "syslog"});
  CheckFind(*d, {"Nov 22 10:00:01 1234 x", Utc(2026, 11, 22, 10, 0, 1), 0, 15, "syslog"});
}

TEST(DateDetector, YearInferenceAroundNewYear) {
  auto d = Make("syslog");
  // Just after new year, last night's lines belong to the old year.
  CheckFind(*d, {"Dec 31 23:59:59 h x", Utc(2026, 12, 31, 23, 59, 59), 0, 15, "syslog"},
            Utc(2027, 1, 1, 0, 30, 0));
  // Just before new year, a line from a clock a bit ahead belongs to the new year.
  CheckFind(*d, {"Jan  1 00:10:00 h x", Utc(2027, 1, 1, 0, 10, 0), 0, 15, "syslog"},
            Utc(2026, 12, 31, 23, 30, 0));
  // Up to a day ahead is accepted; more than that is last year's date.
  CheckFind(*d, {"Nov 23 23:00:00 h", Utc(2026, 11, 23, 23, 0, 0), 0, 15, "syslog"});
  CheckFind(*d, {"Nov 24 01:00:00 h", Utc(2025, 11, 24, 1, 0, 0), 0, 15, "syslog"});
  // Feb 29 goes back to the last leap year.
  CheckFind(*d, {"Feb 29 12:00:00 h", Utc(2024, 2, 29, 12, 0, 0), 0, 15, "syslog"});
  CheckFind(*d, {"Feb 29 12:00:00 h", Utc(2028, 2, 29, 12, 0, 0), 0, 15, "syslog"},
            Utc(2028, 3, 1, 0, 0, 0));
  CheckFind(*d, {"Feb 29 12:00:00 h", Utc(2028, 2, 29, 12, 0, 0), 0, 15, "syslog"},
            Utc(2028, 2, 28, 13, 0, 0));
  CheckFind(*d, {"Feb 29 12:00:00 h", Utc(2024, 2, 29, 12, 0, 0), 0, 15, "syslog"},
            Utc(2028, 2, 27, 0, 0, 0));
  // Far from new year the year is now's, whatever the month.
  CheckFind(*d, {"Jan  1 00:00:00 h", Utc(2026, 1, 1, 0, 0, 0), 0, 15, "syslog"});
  CheckFind(*d, {"Dec 31 23:59:59 h", Utc(2025, 12, 31, 23, 59, 59), 0, 15, "syslog"});
  CheckFind(*d, {"Jul 15 12:00:00 h", Utc(2026, 7, 15, 12, 0, 0), 0, 15, "syslog"},
            Utc(2026, 7, 15, 11, 0, 0));
  CheckFind(*d, {"Jul 16 12:00:01 h", Utc(2025, 7, 16, 12, 0, 1), 0, 15, "syslog"},
            Utc(2026, 7, 15, 12, 0, 0));
  CheckFind(*d, {"Jul 16 12:00:00 h", Utc(2026, 7, 16, 12, 0, 0), 0, 15, "syslog"},
            Utc(2026, 7, 15, 12, 0, 0));
}

TEST(DateDetector, YearInferenceMatchesBruteForce) {
  auto d = Make("syslog");
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  uint64_t x = 7;
  auto next = [&x](uint64_t n) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (x >> 33) % n;
  };
  for (int i = 0; i < 20000; ++i) {
    const time_t now = 1600000000 + static_cast<time_t>(next(400000000));
    struct tm now_tm {};
    gmtime_r(&now, &now_tm);
    // Dates near now (so new year and the one-day limit are exercised) and anywhere in the year.
    const int month = i % 2 ? now_tm.tm_mon + 1 : static_cast<int>(next(12)) + 1;
    int day =
        i % 2 ? now_tm.tm_mday + static_cast<int>(next(5)) - 2 : static_cast<int>(next(31)) + 1;
    if (day < 1) {
      day = 1;
    }
    const int hour = static_cast<int>(next(24));
    double expected = -1;
    for (int y = now_tm.tm_year + 1900 + 1; y >= now_tm.tm_year + 1900 - 1; --y) {
      const double t = Utc(y, month, day, hour, 30, 0);
      struct tm check {};
      const time_t tt = static_cast<time_t>(t);
      gmtime_r(&tt, &check);
      if (check.tm_mday != day) {
        continue;  // timegm normalised an impossible date
      }
      if (t <= static_cast<double>(now) + 86400) {
        expected = t;
        break;
      }
    }
    char line[64];
    std::snprintf(line, sizeof(line), "%s %2d %02d:30:00 h", kMonths[month - 1], day, hour);
    std::optional<DateMatch> m = d->Find(line, static_cast<double>(now));
    if (expected < 0) {
      // Only Feb 29 (or an impossible date) can miss the three years; Feb 29 goes back further.
      if (m.has_value()) {
        EXPECT_TRUE(month == 2 && day == 29) << line;
      }
      continue;
    }
    ASSERT_TRUE(m.has_value()) << line << " now=" << now;
    EXPECT_EQ(m->time, expected) << line << " now=" << now;
  }
}

TEST(DateDetector, YearInferenceUsesDetectorZone) {
  auto d = Make("syslog", "+0200");
  // 2027-01-01 00:10 at +02:00 is 2026-12-31 22:10 UTC, 1 h 20 min after now.
  CheckFind(*d, {"Jan  1 00:10:00 h", Utc(2026, 12, 31, 22, 10, 0), 0, 15, "syslog"},
            Utc(2026, 12, 31, 20, 50, 0));
}

TEST(DateDetector, Iso8601Forms) {
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  CheckAll(
      "auto",
      {
          {"2026-11-22T10:00:01Z sshd x", t, 0, 20, "iso8601"},
          {"2026-11-22T10:00:01z x", t, 0, 20, "iso8601"},
          {"2026-11-22T10:00:01.123456+01:00 host x", t - 3600 + 0.123456, 0, 32, "iso8601"},
          {"2026-11-22 10:00:01 x", t, 0, 19, "iso8601"},
          {"2026-11-22 10:00:01,123 INFO x", t + 0.123, 0, 23, "iso8601"},
          {"2026-11-22T10:00:01+0100 x", t - 3600, 0, 24, "iso8601"},
          {"2026-11-22T10:00:01+01 x", t - 3600, 0, 22, "iso8601"},
          {"2026-11-22T10:00:01-05:30 x", t + 5 * 3600 + 1800, 0, 25, "iso8601"},
          {"2026-11-22 10:00:01 +0100 x", t - 3600, 0, 25, "iso8601"},
          {"2026-11-22 10:00:01 -05:00 x", t + 5 * 3600, 0, 26, "iso8601"},
          {"2026-11-22 10:00:01.5 UTC x", t + 0.5, 0, 25, "iso8601"},
          {"2026-11-22 10:00:01 -5 items", t, 0, 19, "iso8601"},
          {"2026-11-22T10:00:01.123456Z 0 [Note] Access denied", t + 0.123456, 0, 27, "iso8601"},
          {"2026-11-22T10:00:01.123456789Z x", t + 0.123456789, 0, 30, "iso8601"},
          {"<13>2026-11-22T10:00:01Z x", t, 4, 24, "iso8601"},
          {"[2026-11-22 10:00:01] x", t, 0, 21, "iso8601"},
          {"[2026-11-22 10:00:01 +0100] x", t - 3600, 0, 27, "iso8601"},
      });
}

TEST(DateDetector, Rfc5424) {
  CheckAll("auto", {
                       {"<34>1 2026-11-22T10:00:01.003Z host app 1234 ID47 - msg",
                        Utc(2026, 11, 22, 10, 0, 1) + 0.003, 6, 30, "rfc5424"},
                       {"<165>1 2026-11-22T10:00:01.003+02:00 host app - - - x",
                        Utc(2026, 11, 22, 8, 0, 1) + 0.003, 7, 36, "rfc5424"},
                   });
  auto d = Make("auto");
  EXPECT_FALSE(d->Find("<34>1 - host app - - - no time", kNow).has_value());
}

TEST(DateDetector, ApacheAndNginx) {
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  CheckAll(
      "auto",
      {
          {"192.0.2.1 - - [22/Nov/2026:10:00:01 +0100] \"GET / HTTP/1.1\" 404 12", t - 3600, 14, 42,
           "apache-access"},
          {"192.0.2.1 - frank [22/Nov/2026:10:00:01 -0000] \"GET /\"", t, 18, 46, "apache-access"},
          {"[22/Nov/2026:10:00:01] x", t, 0, 22, "apache-access"},
          {"[Sun Nov 22 10:00:01.123456 2026] [core:error] [pid 1] [client 192.0.2.1:1] AH01",
           t + 0.123456, 0, 33, "apache-error"},
          {"[Sun Nov 22 10:00:01 2026] [error] [client 192.0.2.1] x", t, 0, 26, "apache-error"},
          {"2026/11/22 10:00:01 [error] 123#0: *1 limiting requests, client: 192.0.2.1", t, 0, 19,
           "datetime"},
      });
}

TEST(DateDetector, OtherFormats) {
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  CheckAll("auto", {
                       {"Sun Nov 22 10:00:01 2026 [pid 2] [ftp] FAIL LOGIN: Client \"192.0.2.1\"",
                        t, 0, 24, "ctime"},
                       {"Sun Nov  2 10:00:01 2026 x", Utc(2026, 11, 2, 10, 0, 1), 0, 24, "ctime"},
                       {"22-Nov-2026 10:00:01.123 client @0x1 192.0.2.1#53: query denied",
                        t + 0.123, 0, 24, "bind"},
                       {"2-Nov-2026 10:00:01 x", Utc(2026, 11, 2, 10, 0, 1), 0, 19, "bind"},
                       {"061122 10:00:01 [Note] Access denied", Utc(2006, 11, 22, 10, 0, 1), 0, 15,
                        "mysql"},
                       {"061122  9:00:01 [Note] x", Utc(2006, 11, 22, 9, 0, 1), 0, 15, "mysql"},
                       {"1700000000 x", 1700000000.0, 0, 10, "epoch"},
                       {"1700000000.123 x", 1700000000.123, 0, 14, "epoch"},
                       {"type=USER_AUTH msg=audit(1124013600.123:456): pid=1 res=failed",
                        1124013600.123, 25, 39, "epoch"},
                       {"@4000000063f5a1b20bdcc4b4 sshd: x", 1677042088.199017652, 0, 25, "tai64n"},
                   });
}

// Random instants written by the C library's strftime in every built-in format read back to the
// same second, through auto-detection and through the equivalent custom pattern.
TEST(DateDetector, ReadsBackWhatStrftimeWrites) {
  struct Format {
    const char* strftime;
    const char* pattern;
    std::string_view name;
    bool has_year;
  };
  const Format formats[] = {
      {"%b %e %H:%M:%S host x", "^%b %e %H:%M:%S", "syslog", false},
      {"%Y-%m-%dT%H:%M:%SZ x", "%Y-%m-%dT%H:%M:%S%z", "iso8601", true},
      {"%Y-%m-%d %H:%M:%S,123 x", "%Y-%m-%d %H:%M:%S", "iso8601", true},
      {"<34>1 %Y-%m-%dT%H:%M:%S+00:00 h a - - - x", "%Y-%m-%dT%H:%M:%S%z", "rfc5424", true},
      {"192.0.2.1 - - [%d/%b/%Y:%H:%M:%S +0000] \"GET /\"", "%d/%b/%Y:%H:%M:%S %z", "apache-access",
       true},
      {"[%a %b %d %H:%M:%S.000001 %Y] [error] x", "[%a %b %d %H:%M:%S.%f %Y]", "apache-error",
       true},
      {"%a %b %e %H:%M:%S %Y [pid 1] x", "%a %b %e %H:%M:%S %Y", "ctime", true},
      {"%Y/%m/%d %H:%M:%S [error] x", "%Y/%m/%d %H:%M:%S", "datetime", true},
      {"%d-%b-%Y %H:%M:%S.000 client x", "%d-%b-%Y %H:%M:%S", "bind", true},
      {"%y%m%d %k:%M:%S [Note] x", "%y%m%d %k:%M:%S", "mysql", true},
      {"%s x", "%s", "epoch", true},
  };
  uint64_t x = 42;
  for (int i = 0; i < 3000; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    // 2001-09-10 .. 2038: ten-digit epochs, two-digit years in this century.
    const time_t t = 1000100000 + static_cast<time_t>((x >> 33) % 1100000000);
    struct tm tm {};
    gmtime_r(&t, &tm);
    for (const Format& f : formats) {
      char line[256];
      ASSERT_GT(strftime(line, sizeof(line), f.strftime, &tm), 0u);
      // A year-less date is read relative to a `now` shortly after it.
      const double now = f.has_year ? kNow : static_cast<double>(t) + 3600;
      auto detector = Make("auto");
      auto custom = Make(f.pattern);
      ASSERT_NE(custom, nullptr);
      std::optional<DateMatch> m = detector->Find(line, now);
      ASSERT_TRUE(m.has_value()) << line;
      EXPECT_EQ(m->name, f.name) << line;
      EXPECT_EQ(static_cast<int64_t>(m->time), static_cast<int64_t>(t)) << line;
      std::optional<DateMatch> c = custom->Find(line, now);
      ASSERT_TRUE(c.has_value()) << line << " | " << f.pattern;
      EXPECT_EQ(static_cast<int64_t>(c->time), static_cast<int64_t>(t))
          << line << " | " << f.pattern;
    }
  }
}

TEST(DateDetector, KnownConstants) {
  // Independent anchors: 1700000000 is 2023-11-14 22:13:20 UTC.
  auto d = Make("auto");
  CheckFind(*d, {"2023-11-14T22:13:20Z x", 1700000000.0, 0, 20, "iso8601"});
  CheckFind(*d, {"[14/Nov/2023:23:13:20 +0100] x", 1700000000.0, 0, 28, "apache-access"});
  CheckFind(*d, {"Nov 14 22:13:20 h", 1700000000.0, 0, 15, "syslog"}, 1700000000.0 + 3600);
}

TEST(DateDetector, DetectorZoneAppliesOnlyWithoutZoneInLine) {
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  struct Case {
    const char* zone;
    double expected;
  };
  for (const Case& c :
       {Case{"UTC", t}, Case{"GMT", t}, Case{"+0200", t - 7200}, Case{"-05:30", t + 19800},
        Case{"UTC+2", t - 7200}, Case{"GMT-0100", t + 3600}, Case{"+02", t - 7200},
        Case{"UTC-5", t + 18000}, Case{"utc+02:30", t - 9000}}) {
    SCOPED_TRACE(c.zone);
    auto d = Make("auto", c.zone);
    ASSERT_NE(d, nullptr);
    EXPECT_NEAR(d->Find("Nov 22 10:00:01 h", kNow)->time, c.expected, 1e-6);
    EXPECT_NEAR(d->Find("2026-11-22 10:00:01 x", kNow)->time, c.expected, 1e-6);
    EXPECT_NEAR(d->Find("2026-11-22T10:00:01Z x", kNow)->time, t, 1e-6);
    EXPECT_NEAR(d->Find("2026-11-22T10:00:01+01:00 x", kNow)->time, t - 3600, 1e-6);
    EXPECT_NEAR(d->Find("1.2.3.4 - - [22/Nov/2026:10:00:01 +0000] x", kNow)->time, t, 1e-6);
  }
}

TEST(DateDetector, UnknownZoneIsInvalidArgument) {
  for (const char* zone : {"Mars/Olympus", "+25", "UTC+", "+0160", "CETX", "0200"}) {
    SCOPED_TRACE(zone);
    Result<std::unique_ptr<DateDetector>> d = DateDetector::Create("auto", zone);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find(zone), std::string::npos) << d.status().message();
  }
}

TEST(DateDetector, LocalZoneFollowsTzAcrossDst) {
  // Both strings switch to summer time at 01:00 UTC on 2026-03-29. The first (the form our tests
  // and the corpus scorer use) switches back at 02:00 summer time, POSIX's default, so its
  // repeated hour is 01:xx; the second switches back at 03:00 like the EU, repeating 02:xx.
  struct Case {
    const char* tz;
    int repeated_hour;
  };
  for (const Case& c : {Case{kCet, 1}, Case{kCetEu, 2}}) {
    ScopedTz tz(c.tz);
    for (const char* zone : {"", "local"}) {
      SCOPED_TRACE(std::string(c.tz) + " zone=" + zone);
      auto d = Make("iso8601", zone);
      ASSERT_NE(d, nullptr);
      auto at = [&d](const std::string& line) { return d->Find(line, kNow)->time; };
      EXPECT_EQ(at("2026-01-15 12:00:00"), Utc(2026, 1, 15, 11, 0, 0));  // CET
      EXPECT_EQ(at("2026-07-15 12:00:00"), Utc(2026, 7, 15, 10, 0, 0));  // CEST
      // Spring forward: 02:00 CET jumps to 03:00 CEST.
      EXPECT_EQ(at("2026-03-29 01:59:59"), Utc(2026, 3, 29, 0, 59, 59));
      EXPECT_EQ(at("2026-03-29 03:00:00"), Utc(2026, 3, 29, 1, 0, 0));
      EXPECT_EQ(at("2026-03-29 03:30:00"), Utc(2026, 3, 29, 1, 30, 0));
      // 02:30 does not exist; it is read with the offset before the change (= 03:30 CEST).
      EXPECT_EQ(at("2026-03-29 02:30:00"), Utc(2026, 3, 29, 1, 30, 0));
      EXPECT_EQ(at("2026-03-29 02:00:00"), Utc(2026, 3, 29, 1, 0, 0));
      // Fall back: the repeated hour gives the earlier instant (summer time, UTC+2); the hour
      // before is summer time, the hour after winter time.
      const std::string day = "2026-10-25 0";
      const int h = c.repeated_hour;
      EXPECT_EQ(at(day + std::to_string(h - 1) + ":30:00"), Utc(2026, 10, 25, h - 1, 30, 0) - 7200);
      EXPECT_EQ(at(day + std::to_string(h) + ":00:00"), Utc(2026, 10, 25, h, 0, 0) - 7200);
      EXPECT_EQ(at(day + std::to_string(h) + ":30:00"), Utc(2026, 10, 25, h, 30, 0) - 7200);
      EXPECT_EQ(at(day + std::to_string(h) + ":59:59"), Utc(2026, 10, 25, h, 59, 59) - 7200);
      EXPECT_EQ(at(day + std::to_string(h + 1) + ":00:00"), Utc(2026, 10, 25, h + 1, 0, 0) - 3600);
      EXPECT_EQ(at(day + std::to_string(h + 1) + ":30:00"), Utc(2026, 10, 25, h + 1, 30, 0) - 3600);
      // The cached hours give the same answers the second time.
      EXPECT_EQ(at(day + std::to_string(h) + ":30:00"), Utc(2026, 10, 25, h, 30, 0) - 7200);
      EXPECT_EQ(at("2026-03-29 02:30:00"), Utc(2026, 3, 29, 1, 30, 0));
      EXPECT_EQ(at("2026-01-15 12:59:59"), Utc(2026, 1, 15, 11, 59, 59));
      // A zone in the line still wins.
      EXPECT_EQ(at("2026-07-15 12:00:00Z"), Utc(2026, 7, 15, 12, 0, 0));
    }
  }
}

TEST(DateDetector, LocalZoneMatchesMktimeForEveryHourOfAYear) {
  ScopedTz tz(kCet);
  TimeZone zone = TimeZone::Local();
  for (int64_t day = DaysFromCivil(2026, 1, 1); day < DaysFromCivil(2027, 1, 1); ++day) {
    for (int hour = 0; hour < 24; ++hour) {
      int y = 0, m = 0, d = 0;
      CivilFromDays(day, &y, &m, &d);
      struct tm tm {};
      tm.tm_year = y - 1900;
      tm.tm_mon = m - 1;
      tm.tm_mday = d;
      tm.tm_hour = hour;
      tm.tm_min = 17;
      tm.tm_isdst = -1;
      const time_t expected = mktime(&tm);
      // Outside the two transition hours mktime is unambiguous; compare there.
      if (tm.tm_hour != hour) {
        continue;
      }
      const bool ambiguous = m == 10 && d == 25 && hour == 1;
      if (ambiguous) {
        continue;
      }
      ASSERT_EQ(zone.ToEpoch(day * 86400 + int64_t{hour} * 3600 + 17 * int64_t{60}), expected)
          << y << "-" << m << "-" << d << " " << hour;
    }
  }
}

// Zones whose changes fall on odd minutes or shift by half an hour take the uncached path for
// the hour of the change; every unambiguous, existing wall-clock time must agree with mktime.
TEST(DateDetector, LocalZoneMatchesMktimeForOddTransitions) {
  for (const char* tz : {"XST-1XDT,M3.5.0/2:30,M10.5.0/3:30", "LHST-10:30LHDT-11,M10.1.0,M4.1.0",
                         "EST5EDT,M3.2.0,M11.1.0", kCet}) {
    ScopedTz scoped(tz);
    TimeZone zone = TimeZone::Local();
    int compared = 0;
    for (int64_t local = DaysFromCivil(2026, 1, 1) * 86400;
         local < DaysFromCivil(2027, 1, 1) * 86400; local += 600) {
      int y = 0, m = 0, d = 0;
      CivilFromDays(local / 86400, &y, &m, &d);
      const int sec_of_day = static_cast<int>(local % 86400);
      struct tm tm {};
      tm.tm_year = y - 1900;
      tm.tm_mon = m - 1;
      tm.tm_mday = d;
      tm.tm_hour = sec_of_day / 3600;
      tm.tm_min = sec_of_day / 60 % 60;
      tm.tm_isdst = -1;
      const time_t t = mktime(&tm);
      // Same wall clock at another instant nearby: ambiguous. mktime moved the fields: a gap.
      auto wall = [](time_t at) {
        struct tm out {};
        localtime_r(&at, &out);
        return DaysFromCivil(out.tm_year + 1900, out.tm_mon + 1, out.tm_mday) * 86400 +
               out.tm_hour * 3600 + out.tm_min * 60 + out.tm_sec;
      };
      if (wall(t) != local) {
        continue;
      }
      bool ambiguous = false;
      for (int shift : {-3600, -1800, 1800, 3600}) {
        ambiguous = ambiguous || wall(t + shift) == local;
      }
      if (ambiguous) {
        continue;
      }
      ++compared;
      ASSERT_EQ(zone.ToEpoch(local), t)
          << tz << " " << y << "-" << m << "-" << d << " +" << sec_of_day;
    }
    EXPECT_GT(compared, 52000) << tz;
  }
}

TEST(DateDetector, SyslogInLocalZoneAcrossNewYear) {
  ScopedTz tz(kCet);
  auto d = Make("syslog", "local");
  // Now = 2027-01-01 00:30 CET = 2026-12-31 23:30 UTC.
  const double now = Utc(2026, 12, 31, 23, 30, 0);
  CheckFind(*d, {"Dec 31 23:59:59 h", Utc(2026, 12, 31, 22, 59, 59), 0, 15, "syslog"}, now);
  CheckFind(*d, {"Jan  1 00:10:00 h", Utc(2026, 12, 31, 23, 10, 0), 0, 15, "syslog"}, now);
}

TEST(TimeZoneParse, FixedOffsets) {
  struct Case {
    const char* spec;
    int32_t offset;
  };
  for (const Case& c : {Case{"UTC", 0}, Case{"Z", 0}, Case{"+0200", 7200}, Case{"-05:30", -19800},
                        Case{"UTC+2", 7200}, Case{"GMT-0100", -3600}, Case{"+14", 50400}}) {
    SCOPED_TRACE(c.spec);
    Result<TimeZone> z = TimeZone::Parse(c.spec);
    ASSERT_TRUE(z.ok());
    EXPECT_FALSE(z->is_local());
    EXPECT_EQ(z->OffsetAt(0), c.offset);
    EXPECT_EQ(z->ToEpoch(100000), 100000 - c.offset);
  }
  Result<TimeZone> local = TimeZone::Parse("local");
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->is_local());
}

TEST(TimeZoneParse, CivilDaysRoundTrip) {
  for (int64_t day = -800000; day < 800000; day += 97) {
    int y = 0, m = 0, d = 0;
    CivilFromDays(day, &y, &m, &d);
    ASSERT_EQ(DaysFromCivil(y, m, d), day);
  }
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
}

TEST(DateDetector, AutoDetectionPrefersLastMatchedTemplate) {
  auto d = Make("auto");
  const std::string bracketed = "[Sun Nov 22 10:00:01 2026] [error] x";
  // A fresh detector reads a bracketed ctime as the Apache error format...
  EXPECT_EQ(d->Find(bracketed, kNow)->name, "apache-error");
  // ...but after a vsftpd line, ctime is tried first and matches the same text.
  EXPECT_EQ(d->Find("Sun Nov 22 10:00:01 2026 [pid 2] x", kNow)->name, "ctime");
  std::optional<DateMatch> m = d->Find(bracketed, kNow);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "ctime");
  EXPECT_EQ(m->begin, 0u);
  EXPECT_EQ(m->end, 26u);
  // Other formats still match after the switch, and switch the order back.
  EXPECT_EQ(d->Find("Nov 22 10:00:01 h", kNow)->name, "syslog");
  EXPECT_EQ(d->Find("2026-11-22 10:00:01 x", kNow)->name, "iso8601");
  EXPECT_EQ(d->Find("[22/Nov/2026:10:00:01 +0000] x", kNow)->name, "apache-access");
  EXPECT_EQ(d->Find(bracketed, kNow)->name, "ctime");
}

TEST(DateDetector, LeftmostSiteWins) {
  auto d = Make("auto");
  // The head of the line beats a bracket further in, whatever was matched last.
  d->Find("x [22/Nov/2026:10:00:01 +0000]", kNow);
  std::optional<DateMatch> m = d->Find("Nov 22 10:00:01 h [22/Nov/2026:11:00:01 +0000]", kNow);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "syslog");
  // Among brackets, the first dated one.
  m = d->Find("x [pid 1] [2026-11-22 09:00:00] [22/Nov/2026:11:00:01 +0000]", kNow);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->name, "iso8601");
  EXPECT_EQ(m->begin, 10u);
  EXPECT_EQ(m->end, 31u);
}

TEST(DateDetector, BracketWithoutClosingKeepsInnerSpan) {
  auto d = Make("auto");
  CheckFind(*d, {"x [2026-11-22 10:00:01 more] y", Utc(2026, 11, 22, 10, 0, 1), 3, 22, "iso8601"});
}

TEST(DateDetector, ForcedTemplateMatchesOnlyItsFormat) {
  auto syslog = Make("syslog");
  EXPECT_FALSE(syslog->Find("2026-11-22 10:00:01 x", kNow).has_value());
  EXPECT_TRUE(syslog->Find("Nov 22 10:00:01 x", kNow).has_value());
  auto iso = Make("iso8601");
  EXPECT_FALSE(iso->Find("Nov 22 10:00:01 x", kNow).has_value());
  EXPECT_EQ(iso->Find("2026-11-22 10:00:01 x", kNow)->name, "iso8601");
  auto apache = Make("apache-error");
  EXPECT_FALSE(apache->Find("Sun Nov 22 10:00:01 2026 x", kNow).has_value());
  EXPECT_EQ(apache->Find("[Sun Nov 22 10:00:01 2026] x", kNow)->name, "apache-error");
  auto epoch = Make("epoch");
  EXPECT_FALSE(epoch->Find("x 1700000000", kNow).has_value());
  for (std::string_view name : DateDetector::TemplateNames()) {
    EXPECT_NE(Make(name), nullptr) << name;
  }
  // fail2ban's spellings.
  EXPECT_EQ(Make("Epoch")->Find("1700000000 x", kNow)->name, "epoch");
  EXPECT_EQ(Make("TAI64N")->Find("@4000000063f5a1b20bdcc4b4 x", kNow)->name, "tai64n");
  EXPECT_EQ(Make("ISO8601")->Find("2026-11-22T10:00:01Z", kNow)->name, "iso8601");
  EXPECT_TRUE(Make("None")->uses_no_date());
  EXPECT_FALSE(Make("AUTO")->uses_no_date());
}

TEST(DateDetector, TemplateNamesListsEveryBuiltIn) {
  const std::vector<std::string_view> expected = {
      "syslog",   "iso8601", "rfc5424", "apache-access", "apache-error", "ctime",
      "datetime", "bind",    "mysql",   "epoch",         "tai64n"};
  EXPECT_EQ(DateDetector::TemplateNames(), expected);
}

TEST(DateDetector, NoneMeansNoDate) {
  auto d = Make("none");
  EXPECT_TRUE(d->uses_no_date());
  EXPECT_FALSE(d->Find("Nov 22 10:00:01 h", kNow).has_value());
  EXPECT_FALSE(Make("auto")->uses_no_date());
  EXPECT_FALSE(Make("%H:%M:%S")->uses_no_date());
}

TEST(DateDetector, UnknownTemplateNameIsInvalidArgument) {
  Result<std::unique_ptr<DateDetector>> d = DateDetector::Create("sylog", "UTC");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("\"sylog\""), std::string::npos);
  EXPECT_NE(d.status().message().find("syslog"), std::string::npos);
}

TEST(DateDetector, ImpossibleDatesDoNotMatch) {
  auto d = Make("auto");
  for (const char* line :
       {"Feb 30 10:00:01 h", "Nov 31 10:00:01 h", "Nov 22 25:00:01 h", "Nov 22 24:00:00 h",
        "Nov 22 10:60:01 h", "Nov 22 10:00:61 h", "Nov 00 10:00:01 h", "2026-02-30T10:00:00Z",
        "2026-13-01 10:00:00", "2026-00-10 10:00:00", "2025-02-29 10:00:00", "2026-11-22 25:00:01",
        "[31/Apr/2026:10:00:01 +0000]", "2026/11/22 24:00:01", "2026-11-22T10:00:01+1500",
        "Xyz 22 10:00:01 h", "Sun Nov 31 10:00:01 2026 x"}) {
    EXPECT_FALSE(d->Find(line, kNow).has_value()) << line;
  }
  EXPECT_TRUE(d->Find("2024-02-29 10:00:00", kNow).has_value());
}

TEST(DateDetector, NumbersRunningOnAreNotDates) {
  auto d = Make("auto");
  for (const char* line : {"2026-11-22 10:00:011", "17000000001 x", "Nov 22 10:00:012 h",
                           "0611221 10:00:01", "@4000000063f5a1b20bdcc4b x", "0700000000 x",
                           "@3000000063f5a1b20bdcc4b4 x", "@4000000063f5a1b2fbdcc4b4 x"}) {
    EXPECT_FALSE(d->Find(line, kNow).has_value()) << line;
  }
}

TEST(DateDetector, LinesWithoutDates) {
  auto d = Make("auto");
  for (const char* line : {"", "x", "hello world", "<34>", "<34", "[", "[]", "audit(", "audit(12",
                           "Nov", "Nov 22", "Nov 22 10:00", "2026-11-22", "2026-11-22T10:00",
                           "@4000", "[22/Nov/2026:10:00:01", "<999999>Nov 22 10:00:01 h"}) {
    EXPECT_FALSE(d->Find(line, kNow).has_value()) << line;
  }
}

TEST(DateDetector, GarbageBytesAreSafe) {
  auto d = Make("auto");
  auto custom = Make("%Y-%m-%d %H:%M:%S");
  std::string bytes;
  uint32_t x = 12345;
  for (int i = 0; i < 200000; ++i) {
    x = x * 1103515245 + 12345;
    bytes.push_back(static_cast<char>(x >> 16));
  }
  for (size_t off = 0; off + 300 < bytes.size(); off += 257) {
    std::string_view line(bytes.data() + off, 300);
    (void)d->Find(line, kNow);
    (void)custom->Find(line, kNow);
  }
  std::string nul("Nov 22 10:00:01\0h", 17);
  EXPECT_TRUE(d->Find(nul, kNow).has_value());
  std::string prefix_nul("\0Nov 22 10:00:01", 16);
  EXPECT_FALSE(d->Find(prefix_nul, kNow).has_value());
  EXPECT_FALSE(d->Find("\xff\xfe\xc3(\x80[\xe2\x82", kNow).has_value());
}

TEST(DateDetector, HugeLinesCostBoundedWork) {
  auto d = Make("auto");
  auto custom = Make("%Y-%m-%d %H:%M:%S");
  for (std::string line : {std::string(1 << 20, '['), std::string(1 << 20, '1'),
                           std::string(1 << 20, 'a'), std::string(1 << 20, ' ')}) {
    line += " 2026-11-22 10:00:01";
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) {
      EXPECT_FALSE(d->Find(line, kNow).has_value());
      EXPECT_FALSE(custom->Find(line, kNow).has_value());
    }
    // 200 searches of a megabyte; scanning every byte would take far longer than this.
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
}

TEST(DatePattern, SearchesAndAnchors) {
  auto d = Make("%Y-%m-%d %H:%M:%S");
  CheckFind(
      *d, {"host x: at 2026-11-22 10:00:01 failed", Utc(2026, 11, 22, 10, 0, 1), 11, 30, "custom"});
  CheckFind(*d, {"2026-11-22 10:00:01", Utc(2026, 11, 22, 10, 0, 1), 0, 19, "custom"});
  // Not inside a longer number.
  EXPECT_FALSE(d->Find("12026-11-22 10:00:01", kNow).has_value());
  for (const char* pattern : {"^%Y-%m-%d %H:%M:%S", "{^LN-BEG}%Y-%m-%d %H:%M:%S"}) {
    auto anchored = Make(pattern);
    EXPECT_TRUE(anchored->Find("2026-11-22 10:00:01 x", kNow).has_value()) << pattern;
    EXPECT_FALSE(anchored->Find("x 2026-11-22 10:00:01", kNow).has_value()) << pattern;
  }
  // The first valid date wins; an invalid one earlier is skipped.
  CheckFind(*d, {"2026-02-30 10:00:01 then 2026-11-22 10:00:01", Utc(2026, 11, 22, 10, 0, 1), 25,
                 44, "custom"});
}

TEST(DatePattern, Directives) {
  struct Case {
    const char* pattern;
    const char* line;
    double time;
    size_t begin;
    size_t end;
    bool zoned = false;  // the line gives its zone; otherwise the detector's +0100 applies
  };
  const double t = Utc(2026, 11, 22, 10, 0, 1);
  const Case cases[] = {
      {"%d/%m/%Y %H:%M:%S", "at 22/11/2026 10:00:01 x", t, 3, 22},
      {"%d.%m.%y %H:%M", "22.11.26 10:00 x", t - 1, 0, 14},
      {"%b %e %H:%M:%S", "Nov  2 10:00:01 x", Utc(2026, 11, 2, 10, 0, 1), 0, 15},
      {"%B %d, %Y %I:%M:%S %p", "November 22, 2026 10:00:01 PM", t + 12 * 3600, 0, 29},
      {"%B %d, %Y %I:%M:%S %p", "November 22, 2026 12:00:01 am", t - 10 * 3600, 0, 29},
      {"%B %d, %Y %I:%M:%S %p", "November 22, 2026 12:00:01 PM", t + 2 * 3600, 0, 29},
      {"%a %b %d %H:%M:%S %Y", "Sunday Nov 22 10:00:01 2026", t, 0, 27},
      {"%A, %d-%b-%Y %T", "Sun, 22-NOV-2026 10:00:01", t, 0, 25},
      {"%Y-%m-%dT%H:%M:%S%z", "2026-11-22T10:00:01+0200", t - 7200, 0, 24, true},
      {"%Y-%m-%dT%H:%M:%S%z", "2026-11-22T10:00:01-03:00", t + 3 * 3600, 0, 25, true},
      {"%Y-%m-%d %H:%M:%S %Z", "2026-11-22 10:00:01 UTC x", t, 0, 23, true},
      {"%Y-%m-%d %H:%M:%S %Z", "2026-11-22 10:00:01 x", t, 0, 19},
      {"[%Y-%m-%d %H:%M:%S %Z]", "[2026-11-22 10:00:01 ] x", t, 0, 22},
      {"[%Y-%m-%d %H:%M:%S %Z]", "[2026-11-22 10:00:01 GMT] x", t, 0, 25, true},
      {"%F %T.%f", "2026-11-22 10:00:01.25 x", t + 0.25, 0, 22},
      {"%s", "ts=1700000000 x", 1700000000, 3, 13, true},
      {"%s.%f", "1700000000.5", 1700000000.5, 0, 12, true},
      {"%Y %j %H:%M:%S", "2026 326 10:00:01", t, 0, 17},
      {"%H:%M:%S %%", "10:00:01 %", t, 0, 10},
      {"%Y%m%d%H%M%S", "x 20261122100001 y", t, 2, 16},
      {"%k:%M:%S", "  9:00:01 x", Utc(2026, 11, 22, 9, 0, 1), 1, 9},
      {"%D %R", "11/22/26 10:00", t - 1, 0, 14},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.pattern) + " | " + c.line);
    // The zone "+0100" applies where the line gives none.
    Result<std::unique_ptr<DateDetector>> made = DateDetector::Create(c.pattern, "+0100");
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    std::optional<DateMatch> m = (*made)->Find(c.line, kNow);
    ASSERT_TRUE(m.has_value());
    EXPECT_NEAR(m->time, c.zoned ? c.time : c.time - 3600, 1e-6);
    EXPECT_EQ(m->begin, c.begin);
    EXPECT_EQ(m->end, c.end);
    EXPECT_EQ(m->name, "custom");
  }
}

TEST(DatePattern, MissingYearAndDateAreInferred) {
  auto d = Make("%b %d %H:%M:%S");
  CheckFind(*d, {"Dec 31 23:59:59", Utc(2026, 12, 31, 23, 59, 59), 0, 15, "custom"},
            Utc(2027, 1, 1, 0, 30, 0));
  auto time_only = Make("%H:%M:%S");
  // Today, unless that is more than an hour ahead: then yesterday.
  CheckFind(*time_only, {"at 10:00:01", Utc(2026, 11, 22, 10, 0, 1), 3, 11, "custom"},
            Utc(2026, 11, 22, 12, 0, 0));
  CheckFind(*time_only, {"at 23:59:59", Utc(2026, 11, 21, 23, 59, 59), 3, 11, "custom"},
            Utc(2026, 11, 22, 0, 0, 30));
}

TEST(DatePattern, InvalidPatternsNameTheProblem) {
  struct Case {
    const char* pattern;
    const char* needle;
  };
  for (const Case& c :
       {Case{"%Y-%m-%d %Q", "%Q"}, Case{"%Y-%m-%", "lone %"}, Case{"%a %Z", "no date or time"},
        Case{"x%", "lone %"}, Case{"%Y %E", "%E"}}) {
    SCOPED_TRACE(c.pattern);
    Result<std::unique_ptr<DateDetector>> d = DateDetector::Create(c.pattern, "UTC");
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(d.status().message().find(c.needle), std::string::npos) << d.status().message();
    EXPECT_NE(d.status().message().find(c.pattern), std::string::npos) << d.status().message();
  }
}

TEST(DatePattern, ImpossibleValuesDoNotMatch) {
  auto d = Make("%Y-%m-%d %H:%M:%S");
  for (const char* line : {"2026-02-30 10:00:01", "2026-11-22 25:00:01", "2026-11-22 10:61:00",
                           "2026-00-22 10:00:01", "2026-11-00 10:00:01"}) {
    EXPECT_FALSE(d->Find(line, kNow).has_value()) << line;
  }
  EXPECT_FALSE(Make("%I:%M %p")->Find("13:00 PM", kNow).has_value());
  EXPECT_FALSE(Make("%Y %j")->Find("2026 366", kNow).has_value());
  EXPECT_TRUE(Make("%Y %j")->Find("2024 366", kNow).has_value());
}

}  // namespace
}  // namespace portcullis
