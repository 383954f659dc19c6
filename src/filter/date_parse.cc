#include "filter/date_parse.h"

#include <cmath>

namespace portcullis::date_internal {
namespace {

constexpr int64_t kDay = 86400;

// Three letters, lower-cased and packed, so a name compares as one integer (no locale involved).
inline uint32_t Key3(const char* p) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(p[0] | 0x20)) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(p[1] | 0x20)) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(p[2] | 0x20));
}

constexpr uint32_t K(const char (&s)[4]) {
  return (static_cast<uint32_t>(s[0]) << 16) | (static_cast<uint32_t>(s[1]) << 8) |
         static_cast<uint32_t>(s[2]);
}

// Consumes the rest of a full name (`rest`, lower case) if it follows, any case.
const char* FullNameRest(const char* p, const char* end, std::string_view rest) {
  if (static_cast<size_t>(end - p) < rest.size()) {
    return p;
  }
  for (size_t i = 0; i < rest.size(); ++i) {
    if ((p[i] | 0x20) != rest[i]) {
      return p;
    }
  }
  return p + rest.size();
}

bool DateOf(const Fields& f, int year, int* month, int* day) {
  if (f.yday > 0) {
    int left = f.yday;
    if (left > (IsLeapYear(year) ? 366 : 365)) {
      return false;
    }
    int m = 1;
    while (left > DaysInMonth(year, m)) {
      left -= DaysInMonth(year, m++);
    }
    *month = m;
    *day = left;
    return true;
  }
  const int m = f.month < 0 ? 1 : f.month;
  const int d = f.day < 0 ? 1 : f.day;
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(year, m)) {
    return false;
  }
  *month = m;
  *day = d;
  return true;
}

inline double WithNanos(int64_t seconds, int32_t nanos) {
  return static_cast<double>(seconds) + static_cast<double>(nanos) * 1e-9;
}

// ---- built-in templates -------------------------------------------------------------------

// Moves `p` to `next` unless the step failed (`next` is nullptr). Parsers chain steps with &&,
// which evaluates them in order and stops at the first failure.
inline bool Step(const char*& p, const char* next) {
  if (next == nullptr) {
    return false;
  }
  p = next;
  return true;
}

// Day of month, "22", " 2" or "2".
inline const char* PaddedDay(const char* p, const char* end, int* day) {
  if (p < end && *p == ' ') {
    ++p;
  }
  return UpToDigits(p, end, 2, day);
}

// A year of four digits between 1970 and 2099 followed by the end, a space or ']' -- what may
// follow a syslog time without being mistaken for a host name that happens to be numeric.
inline const char* TrailingYear(const char* p, const char* end, int* year) {
  int y = 0;
  const char* q = Digits(p, end, 4, &y);
  if (q == nullptr || y < 1970 || y > 2099 || (q < end && *q != ' ' && *q != ']' && *q != '\t')) {
    return nullptr;
  }
  *year = y;
  return q;
}

// "Nov 22 10:00:01", "Nov  2 10:00:01.123", "Nov 22 2026 10:00:01", "Nov 22 10:00:01 2026".
const char* ParseSyslog(const char* p, const char* end, Fields* f) {
  if (!(Step(p, MonthName(p, end, false, &f->month)) && Step(p, Char(p, end, ' ')) &&
        Step(p, PaddedDay(p, end, &f->day)) && Step(p, Char(p, end, ' ')))) {
    return nullptr;
  }
  if (end - p >= 5 && IsDigit(p[2]) && p[4] == ' ') {  // "2026 10:00:01"
    if (!(Step(p, Digits(p, end, 4, &f->year)) && Step(p, Char(p, end, ' ')) &&
          Step(p, ClockTime(p, end, f)))) {
      return nullptr;
    }
    return OptionalFraction(p, end, &f->nanos);
  }
  if (!Step(p, ClockTime(p, end, f))) {
    return nullptr;
  }
  p = OptionalFraction(p, end, &f->nanos);
  if (end - p >= 5 && *p == ' ') {
    if (const char* q = TrailingYear(p + 1, end, &f->year)) {
      return q;
    }
  }
  return p;
}

// "Sun Nov 22 10:00:01 2026", "Sun Nov 22 10:00:01.123456 2026" (ctime, Apache error log).
const char* ParseCtime(const char* p, const char* end, Fields* f) {
  if (!(Step(p, WeekdayName(p, end, false)) && Step(p, Char(p, end, ' ')) &&
        Step(p, MonthName(p, end, false, &f->month)) && Step(p, Char(p, end, ' ')) &&
        Step(p, PaddedDay(p, end, &f->day)) && Step(p, Char(p, end, ' ')) &&
        Step(p, ClockTime(p, end, f)))) {
    return nullptr;
  }
  p = OptionalFraction(p, end, &f->nanos);
  if (!Step(p, Char(p, end, ' '))) {
    return nullptr;
  }
  return Digits(p, end, 4, &f->year);
}

// "22/Nov/2026:10:00:01 +0000" (common log format; the zone may be missing).
const char* ParseApacheAccess(const char* p, const char* end, Fields* f) {
  if (!(Step(p, UpToDigits(p, end, 2, &f->day)) && Step(p, Char(p, end, '/')) &&
        Step(p, MonthName(p, end, false, &f->month)) && Step(p, Char(p, end, '/')) &&
        Step(p, Digits(p, end, 4, &f->year)) && Step(p, Char(p, end, ':')) &&
        Step(p, ClockTime(p, end, f)))) {
    return nullptr;
  }
  p = OptionalFraction(p, end, &f->nanos);
  if (p < end && *p == ' ') {
    if (const char* q = ZoneOffset(p + 1, end, &f->zone_offset)) {
      f->has_zone = true;
      return q;
    }
  }
  return p;
}

// The zone after an ISO 8601 time at `p`: attached ("Z", "+01", "+0100", "+01:00") or after a
// space ("+0100", "+01:00", "UTC", "GMT"; not "+01", so "... 10:00:01 -5 items" stays text).
// Returns `p` when there is none, nullptr when an attached offset is malformed.
const char* IsoZone(const char* p, const char* end, Fields* f) {
  if (p == end) {
    return p;
  }
  if (*p == 'Z' || *p == 'z' || *p == '+' || *p == '-') {
    const char* q = ZoneOffset(p, end, &f->zone_offset);
    if (q == nullptr) {
      const bool looks_like_offset = *p != 'Z' && *p != 'z' && p + 1 < end && IsDigit(p[1]);
      return looks_like_offset ? nullptr : p;
    }
    f->has_zone = true;
    return q;
  }
  if (*p != ' ' || end - p < 4) {
    return p;
  }
  const char* z = p + 1;
  if ((*z == '+' || *z == '-') && end - z >= 5 && IsDigit(z[1]) && IsDigit(z[2])) {
    const bool four = IsDigit(z[3]) && IsDigit(z[4]);
    const bool colon = end - z >= 6 && z[3] == ':' && IsDigit(z[4]) && IsDigit(z[5]);
    if (four || colon) {
      if (const char* q = ZoneOffset(z, end, &f->zone_offset)) {
        f->has_zone = true;
        return q;
      }
    }
    return p;
  }
  if ((Key3(z) == K("utc") || Key3(z) == K("gmt")) && (end - z == 3 || !IsAlpha(z[3]))) {
    f->has_zone = true;
    f->zone_offset = 0;
    return z + 3;
  }
  return p;
}

// "2026-11-22T10:00:01Z", "2026-11-22 10:00:01,123", "2026-11-22T10:00:01.5+01:00",
// "2026-11-22 10:00:01 +0100", "2026-11-22 10:00:01 UTC".
const char* ParseIso(const char* p, const char* end, Fields* f) {
  if (end - p < 19 || p[4] != '-' || p[7] != '-' || p[13] != ':' || p[16] != ':' ||
      (p[10] != 'T' && p[10] != ' ' && p[10] != 't')) {
    return nullptr;
  }
  if (!(Digits(p, end, 4, &f->year) && Digits(p + 5, end, 2, &f->month) &&
        Digits(p + 8, end, 2, &f->day) && Digits(p + 11, end, 2, &f->hour) &&
        Digits(p + 14, end, 2, &f->minute) && Digits(p + 17, end, 2, &f->second))) {
    return nullptr;
  }
  return IsoZone(OptionalFraction(p + 19, end, &f->nanos), end, f);
}

// RFC 5424 after "<PRI>": "1 2026-11-22T10:00:01.003Z"; the match is the timestamp only.
const char* ParseRfc5424(const char* p, const char* end, Fields* f) {
  int version = 0;
  const char* q = p;
  if (!(Step(q, UpToDigits(q, end, 2, &version)) && version != 0 && Step(q, Char(q, end, ' ')) &&
        end - q >= 20 && q[10] == 'T')) {
    return nullptr;
  }
  f->begin_skip = static_cast<int>(q - p);
  return ParseIso(q, end, f);
}

// "2026/11/22 10:00:01" (nginx error log and many others).
const char* ParseDatetime(const char* p, const char* end, Fields* f) {
  if (end - p < 19 || p[4] != '/' || p[7] != '/' || p[10] != ' ') {
    return nullptr;
  }
  if (!(Digits(p, end, 4, &f->year) && Digits(p + 5, end, 2, &f->month) &&
        Digits(p + 8, end, 2, &f->day) && Step(p, ClockTime(p + 11, end, f)))) {
    return nullptr;
  }
  return OptionalFraction(p, end, &f->nanos);
}

// "22-Nov-2026 10:00:01.123" (BIND).
const char* ParseBind(const char* p, const char* end, Fields* f) {
  if (!(Step(p, UpToDigits(p, end, 2, &f->day)) && Step(p, Char(p, end, '-')) &&
        Step(p, MonthName(p, end, false, &f->month)) && Step(p, Char(p, end, '-')) &&
        Step(p, Digits(p, end, 4, &f->year)) && Step(p, Char(p, end, ' ')) &&
        Step(p, ClockTime(p, end, f)))) {
    return nullptr;
  }
  return OptionalFraction(p, end, &f->nanos);
}

// "061122 10:00:01" and "061122  9:00:01" (MySQL before 5.7: yymmdd, hour padded with a space).
const char* ParseMysql(const char* p, const char* end, Fields* f) {
  int yy = 0;
  if (!(Step(p, Digits(p, end, 2, &yy)) && Step(p, Digits(p, end, 2, &f->month)) &&
        Step(p, Digits(p, end, 2, &f->day)) && Step(p, Char(p, end, ' ')))) {
    return nullptr;
  }
  f->year = yy < 69 ? 2000 + yy : 1900 + yy;
  const bool padded = p < end && *p == ' ';
  if (!(Step(p, padded ? Digits(p + 1, end, 1, &f->hour) : Digits(p, end, 2, &f->hour)) &&
        Step(p, Char(p, end, ':')) && Step(p, Digits(p, end, 2, &f->minute)) &&
        Step(p, Char(p, end, ':')))) {
    return nullptr;
  }
  return Digits(p, end, 2, &f->second);
}

// "1700000000" or "1700000000.123": ten digits of Unix time (2001-09-09 to 2286), an optional
// fraction. A leading zero is a counter or an id, not a time.
const char* ParseEpoch(const char* p, const char* end, Fields* f) {
  if (end - p < 10 || *p == '0') {
    return nullptr;
  }
  int64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (!IsDigit(p[i])) {
      return nullptr;
    }
    v = v * 10 + (p[i] - '0');
  }
  p += 10;
  if (p < end && IsDigit(*p)) {
    return nullptr;
  }
  f->has_epoch = true;
  f->epoch = v;
  if (end - p >= 2 && *p == '.' && IsDigit(p[1])) {
    p = FractionDigits(p + 1, end, &f->nanos);
  }
  return p;
}

inline int HexValue(char c) {
  if (IsDigit(c)) {
    return c - '0';
  }
  const char l = static_cast<char>(c | 0x20);
  if (l >= 'a' && l <= 'f') {
    return l - 'a' + 10;
  }
  return -1;
}

// "@4000000063f5a1b20bdcc4b4": TAI64N label (2^62 + TAI seconds) and nanoseconds. Like
// daemontools' tai64nlocal we take TAI as UTC + 10 s, which is what the loggers that write
// these labels (multilog, s6-log) add.
const char* ParseTai64n(const char* p, const char* end, Fields* f) {
  if (end - p < 25 || *p != '@') {
    return nullptr;
  }
  uint64_t seconds = 0;
  uint32_t nanos = 0;
  for (int i = 0; i < 24; ++i) {
    const int v = HexValue(p[1 + i]);
    if (v < 0) {
      return nullptr;
    }
    if (i < 16) {
      seconds = (seconds << 4) | static_cast<uint64_t>(v);
    } else {
      nanos = (nanos << 4) | static_cast<uint32_t>(v);
    }
  }
  constexpr uint64_t kBase = (uint64_t{1} << 62) + 10;
  // Labels outside 1970..~2^40 s are not timestamps a log would carry.
  if (seconds < kBase || seconds - kBase > (uint64_t{1} << 40) || nanos > 999999999) {
    return nullptr;
  }
  f->has_epoch = true;
  f->epoch = static_cast<int64_t>(seconds - kBase);
  f->nanos = static_cast<int32_t>(nanos);
  return p + 25;
}

constexpr uint8_t kCommonSites = kSiteLineStart | kSiteAfterPri | kSiteBracket;

constexpr Template kTemplates[] = {
    {"syslog", ParseSyslog, kCommonSites, false, FirstByte::kLetter},
    {"iso8601", ParseIso, kCommonSites, false, FirstByte::kDigit},
    {"rfc5424", ParseRfc5424, kSiteAfterPri, false, FirstByte::kDigit},
    {"apache-access", ParseApacheAccess, kSiteBracket, true, FirstByte::kDigit},
    {"apache-error", ParseCtime, kSiteBracket, true, FirstByte::kLetter},
    {"ctime", ParseCtime, kCommonSites, false, FirstByte::kLetter},
    {"datetime", ParseDatetime, kCommonSites, false, FirstByte::kDigit},
    {"bind", ParseBind, kCommonSites, false, FirstByte::kDigit},
    {"mysql", ParseMysql, kCommonSites, false, FirstByte::kDigit},
    {"epoch", ParseEpoch, kSiteLineStart | kSiteAfterPri | kSiteAudit, false, FirstByte::kDigit},
    {"tai64n", ParseTai64n, kSiteLineStart | kSiteAfterPri, false, FirstByte::kAt},
};

}  // namespace

const char* ClockTime(const char* p, const char* end, Fields* f) {
  if (end - p < 8 || p[2] != ':' || p[5] != ':') {
    return nullptr;
  }
  if (!Digits(p, end, 2, &f->hour) || !Digits(p + 3, end, 2, &f->minute) ||
      !Digits(p + 6, end, 2, &f->second)) {
    return nullptr;
  }
  return p + 8;
}

const char* FractionDigits(const char* p, const char* end, int32_t* nanos) {
  int32_t v = 0;
  int n = 0;
  while (p < end && IsDigit(*p)) {
    if (n < 9) {
      v = v * 10 + (*p - '0');
      ++n;
    }
    ++p;
  }
  if (n == 0) {
    return nullptr;
  }
  for (; n < 9; ++n) {
    v *= 10;
  }
  *nanos = v;
  return p;
}

const char* OptionalFraction(const char* p, const char* end, int32_t* nanos) {
  if (end - p >= 2 && (*p == '.' || *p == ',') && IsDigit(p[1])) {
    return FractionDigits(p + 1, end, nanos);
  }
  return p;
}

const char* MonthName(const char* p, const char* end, bool allow_full, int* month) {
  static constexpr uint32_t kKeys[12] = {K("jan"), K("feb"), K("mar"), K("apr"),
                                         K("may"), K("jun"), K("jul"), K("aug"),
                                         K("sep"), K("oct"), K("nov"), K("dec")};
  static constexpr std::string_view kRest[12] = {
      "uary", "ruary", "ch", "il", "", "e", "y", "ust", "tember", "ober", "ember", "ember"};
  if (end - p < 3) {
    return nullptr;
  }
  const uint32_t key = Key3(p);
  for (int i = 0; i < 12; ++i) {
    if (kKeys[i] == key) {
      *month = i + 1;
      return allow_full ? FullNameRest(p + 3, end, kRest[i]) : p + 3;
    }
  }
  return nullptr;
}

const char* WeekdayName(const char* p, const char* end, bool allow_full) {
  static constexpr uint32_t kKeys[7] = {K("mon"), K("tue"), K("wed"), K("thu"),
                                        K("fri"), K("sat"), K("sun")};
  static constexpr std::string_view kRest[7] = {"day", "sday",  "nesday", "rsday",
                                                "day", "urday", "day"};
  if (end - p < 3) {
    return nullptr;
  }
  const uint32_t key = Key3(p);
  for (int i = 0; i < 7; ++i) {
    if (kKeys[i] == key) {
      return allow_full ? FullNameRest(p + 3, end, kRest[i]) : p + 3;
    }
  }
  return nullptr;
}

const char* ZoneOffset(const char* p, const char* end, int32_t* offset) {
  if (p >= end) {
    return nullptr;
  }
  if (*p == 'Z' || *p == 'z') {
    *offset = 0;
    return p + 1;
  }
  if (*p != '+' && *p != '-') {
    return nullptr;
  }
  const int sign = *p == '-' ? -1 : 1;
  int hours = 0;
  int minutes = 0;
  const char* q = Digits(p + 1, end, 2, &hours);
  if (q == nullptr) {
    return nullptr;
  }
  if (q < end && *q == ':') {
    if (const char* r = Digits(q + 1, end, 2, &minutes)) {
      q = r;
    }
  } else if (const char* r = Digits(q, end, 2, &minutes)) {
    q = r;
  }
  if (hours > 14 || minutes > 59) {
    return nullptr;
  }
  *offset = sign * (hours * 3600 + minutes * 60);
  return q;
}

std::span<const Template> BuiltinTemplates() { return kTemplates; }

std::optional<double> Resolver::Resolve(const Fields& f, double now) {
  if (f.has_epoch) {
    return WithNanos(f.epoch, f.nanos);
  }
  if (f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  const int64_t time_of_day = f.hour * 3600 + f.minute * 60 + f.second;
  const int64_t now_seconds = static_cast<int64_t>(std::floor(now));
  int month = 0;
  int day = 0;
  if (f.year >= 0) {
    if (!DateOf(f, f.year, &month, &day)) {
      return std::nullopt;
    }
    const int64_t local = DaysFromCivil(f.year, month, day) * kDay + time_of_day;
    return WithNanos(Convert(f, local), f.nanos);
  }
  if (f.month < 0 && f.day < 0 && f.yday == 0) {
    // Time of day only: today in the line's (or the detector's) zone.
    const int32_t offset = f.has_zone ? f.zone_offset : zone_.OffsetAt(now_seconds);
    const int64_t today = (now_seconds + offset) / kDay - ((now_seconds + offset) % kDay < 0);
    int64_t t = Convert(f, today * kDay + time_of_day);
    if (t > now_seconds + 3600) {
      t = Convert(f, (today - 1) * kDay + time_of_day);
    }
    return WithNanos(t, f.nanos);
  }
  const int64_t now_day = now_seconds / kDay - (now_seconds % kDay < 0);
  if (now_day != now_day_) {
    int unused_month = 0;
    int unused_day = 0;
    CivilFromDays(now_day, &now_year_, &unused_month, &unused_day);
    now_day_ = now_day;
  }
  const int64_t limit = now_seconds + kDay;
  // The latest year that puts the date no more than a day ahead. This year first: next year can
  // only fit if this year's date is almost a year back (a January date read in late December).
  if (DateOf(f, now_year_, &month, &day)) {
    const int64_t t = Convert(f, DaysFromCivil(now_year_, month, day) * kDay + time_of_day);
    if (t <= limit) {
      if (t + 363 * kDay <= limit && DateOf(f, now_year_ + 1, &month, &day)) {
        const int64_t next =
            Convert(f, DaysFromCivil(now_year_ + 1, month, day) * kDay + time_of_day);
        if (next <= limit) {
          return WithNanos(next, f.nanos);
        }
      }
      return WithNanos(t, f.nanos);
    }
  }
  // Otherwise an earlier year; Feb 29 may need to go back a few.
  for (int year = now_year_ - 1; year >= now_year_ - 8; --year) {
    if (!DateOf(f, year, &month, &day)) {
      continue;
    }
    const int64_t t = Convert(f, DaysFromCivil(year, month, day) * kDay + time_of_day);
    if (t <= limit) {
      return WithNanos(t, f.nanos);
    }
  }
  return std::nullopt;
}

}  // namespace portcullis::date_internal
