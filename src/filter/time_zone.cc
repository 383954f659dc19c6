#include "filter/time_zone.h"

#include <time.h>

#include <string>

namespace portcullis {
namespace {

constexpr int64_t kDay = 86400;

// Floor division: hour numbers of times before 1970 must not round towards zero, or two different
// hours would share a cache key.
int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// The local zone's UTC offset at `epoch`, from the C library (which follows TZ).
int32_t LocalOffset(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  struct tm tm {};
  if (localtime_r(&t, &tm) == nullptr) {
    return 0;
  }
  return static_cast<int32_t>(tm.tm_gmtoff);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') {
      x = static_cast<char>(x - 'a' + 'A');
    }
    if (y >= 'a' && y <= 'z') {
      y = static_cast<char>(y - 'a' + 'A');
    }
    if (x != y) {
      return false;
    }
  }
  return true;
}

// "+HH", "+HHMM", "+HH:MM", and after "UTC"/"GMT" also "+H" and "+H:MM". Returns false if `s` is
// not an offset of at most 14 hours.
bool ParseOffset(std::string_view s, bool allow_one_digit_hour, int32_t* out) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) {
    return false;
  }
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t hour_digits = 0;
  while (hour_digits < s.size() && hour_digits < 2 && digit(s[hour_digits])) {
    ++hour_digits;
  }
  if (hour_digits == 0 || (hour_digits == 1 && !allow_one_digit_hour)) {
    return false;
  }
  int hours = 0;
  for (size_t i = 0; i < hour_digits; ++i) {
    hours = hours * 10 + (s[i] - '0');
  }
  s.remove_prefix(hour_digits);
  int minutes = 0;
  if (!s.empty()) {
    if (s[0] == ':') {
      s.remove_prefix(1);
    }
    if (s.size() != 2 || !digit(s[0]) || !digit(s[1])) {
      return false;
    }
    minutes = (s[0] - '0') * 10 + (s[1] - '0');
  }
  if (hours > 14 || minutes > 59) {
    return false;
  }
  *out = sign * (hours * 3600 + minutes * 60);
  return true;
}

}  // namespace

void CivilFromDays(int64_t days, int* year, int* month, int* day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *year = static_cast<int>(yoe + era * 400 + (m <= 2));
  *month = m;
  *day = d;
}

Result<TimeZone> TimeZone::Parse(std::string_view spec) {
  if (spec.empty() || EqualsNoCase(spec, "local")) {
    return Local();
  }
  if (EqualsNoCase(spec, "UTC") || EqualsNoCase(spec, "GMT") || EqualsNoCase(spec, "Z")) {
    return Fixed(0);
  }
  int32_t offset = 0;
  if (ParseOffset(spec, false, &offset)) {
    return Fixed(offset);
  }
  if (spec.size() > 3 &&
      (EqualsNoCase(spec.substr(0, 3), "UTC") || EqualsNoCase(spec.substr(0, 3), "GMT"))) {
    if (ParseOffset(spec.substr(3), true, &offset)) {
      return Fixed(offset);
    }
  }
  return Status::InvalidArgument("unknown time zone \"" + std::string(spec) +
                                 "\" (use local, UTC or an offset such as +0200 or UTC-5)");
}

TimeZone TimeZone::Fixed(int32_t offset_seconds) { return TimeZone(false, offset_seconds); }

TimeZone TimeZone::Local() { return TimeZone(true, 0); }

// The offsets a day before and a day after bracket any single DST change near `local_seconds`
// (zones change their rules at most a few times a year). Each candidate offset is kept only if
// the instant it gives really has that offset; two survivors mean an ambiguous time, none a gap.
int32_t TimeZone::ResolveLocal(int64_t local_seconds) const {
  const int32_t before = LocalOffset(local_seconds - kDay);
  const int32_t after = LocalOffset(local_seconds + kDay);
  if (before == after) {
    return before;
  }
  const bool before_ok = LocalOffset(local_seconds - before) == before;
  const bool after_ok = LocalOffset(local_seconds - after) == after;
  if (before_ok && after_ok) {
    return before > after ? before : after;  // earlier instant
  }
  if (after_ok) {
    return after;
  }
  return before;
}

int64_t TimeZone::ToEpoch(int64_t local_seconds) {
  if (!local_) {
    return local_seconds - offset_;
  }
  const int64_t hour = FloorDiv(local_seconds, 3600);
  Entry& entry = to_epoch_cache_[static_cast<uint64_t>(hour) % kCacheSize];
  if (entry.hour == hour) {
    return local_seconds - entry.offset;
  }
  // Cache the hour only when its first and last second resolve alike; an hour holding a change
  // at an odd minute is resolved second by second.
  const int32_t first = ResolveLocal(hour * 3600);
  const int32_t last = ResolveLocal(hour * 3600 + 3599);
  if (first == last) {
    entry.hour = hour;
    entry.offset = first;
    return local_seconds - first;
  }
  return local_seconds - ResolveLocal(local_seconds);
}

int32_t TimeZone::OffsetAt(int64_t epoch) {
  if (!local_) {
    return offset_;
  }
  const int64_t hour = FloorDiv(epoch, 3600);
  Entry& entry = offset_cache_[static_cast<uint64_t>(hour) % kCacheSize];
  if (entry.hour == hour) {
    return entry.offset;
  }
  const int32_t first = LocalOffset(hour * 3600);
  const int32_t last = LocalOffset(hour * 3600 + 3599);
  if (first == last) {
    entry.hour = hour;
    entry.offset = first;
    return first;
  }
  return LocalOffset(epoch);
}

}  // namespace portcullis
