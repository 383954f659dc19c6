// Building blocks shared by the built-in date templates and custom date patterns.
//
// Internal to src/filter. Every parser takes [p, end) and returns the position after what it
// consumed, or nullptr; none reads past `end`, so any bytes (NUL, invalid UTF-8) are safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "filter/time_zone.h"

namespace portcullis::date_internal {

// What a parser found. Unset date parts are resolved from `now` by ResolveFields.
struct Fields {
  int year = -1;   // -1: not in the text
  int month = -1;  // 1..12 when in the text
  int day = -1;    // 1..31 when in the text
  int yday = 0;    // 1..366 from %j; 0: not in the text
  int hour = 0;
  int minute = 0;
  int second = 0;
  int32_t nanos = 0;
  bool has_zone = false;
  int32_t zone_offset = 0;  // seconds east of UTC, when has_zone
  bool has_epoch = false;   // epoch/TAI64N: `epoch` + `nanos` is the time, the rest is unused
  int64_t epoch = 0;
  int begin_skip = 0;  // bytes before the timestamp proper (RFC 5424's "1 ")
};

// Turns Fields into epoch time for one detector: its zone and a cache of the calendar year of
// `now`, which year inference needs on every line.
class Resolver {
 public:
  explicit Resolver(TimeZone zone) : zone_(zone) {}

  // The epoch time of `f`. A date without a year takes the latest year that puts it no more than
  // one day after `now`; a time without a date takes today (in the zone), or yesterday if today
  // would be more than an hour after `now`. nullopt for impossible dates and times (Feb 30, 25:00).
  std::optional<double> Resolve(const Fields& f, double now);

 private:
  int64_t Convert(const Fields& f, int64_t local_seconds) {
    return f.has_zone ? local_seconds - f.zone_offset : zone_.ToEpoch(local_seconds);
  }

  TimeZone zone_;
  int64_t now_day_ = INT64_MIN;  // days since 1970 (UTC) of the last `now`
  int now_year_ = 0;
};

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }
inline bool IsAlpha(char c) { return static_cast<unsigned char>((c | 0x20) - 'a') < 26; }

// Exactly `n` digits.
inline const char* Digits(const char* p, const char* end, int n, int* out) {
  if (end - p < n) {
    return nullptr;
  }
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (!IsDigit(p[i])) {
      return nullptr;
    }
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return p + n;
}

// One to `max` digits.
inline const char* UpToDigits(const char* p, const char* end, int max, int* out) {
  int v = 0;
  int n = 0;
  while (p < end && n < max && IsDigit(*p)) {
    v = v * 10 + (*p - '0');
    ++p;
    ++n;
  }
  if (n == 0) {
    return nullptr;
  }
  *out = v;
  return p;
}

inline const char* Char(const char* p, const char* end, char c) {
  return p < end && *p == c ? p + 1 : nullptr;
}

// "HH:MM:SS" (two-digit fields).
const char* ClockTime(const char* p, const char* end, Fields* f);

// Digits after a '.' or ',' already consumed: nanoseconds from the first nine, the rest skipped.
const char* FractionDigits(const char* p, const char* end, int32_t* nanos);

// An optional ".123" or ",123" fraction; returns `p` when there is none.
const char* OptionalFraction(const char* p, const char* end, int32_t* nanos);

// A month name, abbreviated ("Nov") or, if `allow_full`, full ("November"); any case.
const char* MonthName(const char* p, const char* end, bool allow_full, int* month);

// A weekday name, abbreviated or, if `allow_full`, full; any case.
const char* WeekdayName(const char* p, const char* end, bool allow_full);

// "Z", "+HH", "+HHMM" or "+HH:MM" (at most 14 hours, minutes below 60).
const char* ZoneOffset(const char* p, const char* end, int32_t* offset);

// Where a template may start. Line start and after a "<PRI>" are tried before brackets and
// "audit(" further into the line.
enum SiteKind : uint8_t {
  kSiteLineStart = 1,
  kSiteAfterPri = 2,
  kSiteBracket = 4,  // the parser starts after the '['; a match ending at ']' includes both
  kSiteAudit = 8,    // just after "audit("
};

using ParseFn = const char* (*)(const char* p, const char* end, Fields* f);

// What the first byte of a template's text can be, so most templates are skipped without a call.
enum class FirstByte : uint8_t { kDigit, kLetter, kAt };

struct Template {
  std::string_view name;
  ParseFn parse;
  uint8_t sites;        // SiteKind bits
  bool needs_brackets;  // only matches as "[...]"
  FirstByte first;
};

inline bool CanStart(FirstByte first, char c) {
  switch (first) {
    case FirstByte::kDigit:
      return IsDigit(c);
    case FirstByte::kLetter:
      return IsAlpha(c);
    case FirstByte::kAt:
      return c == '@';
  }
  return false;
}

// The built-in templates in their initial auto-detection order.
std::span<const Template> BuiltinTemplates();

}  // namespace portcullis::date_internal
