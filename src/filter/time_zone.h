// Civil-time arithmetic and the zone a date detector falls back to when a line names none.
//
// Internal to src/filter. Pure apart from the C library's zone rules: a local TimeZone asks
// localtime_r (which follows the process's TZ, POSIX strings included) and caches the answers,
// so TZ must be set before the zone is first used and not changed while it lives.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The inverse of DaysFromCivil.
void CivilFromDays(int64_t days, int* year, int* month, int* day);

constexpr bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr int DaysInMonth(int64_t y, int m) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

// A fixed UTC offset or the process's local zone.
class TimeZone {
 public:
  // "" or "local": the process's TZ. "UTC", "GMT", "Z" (any case): offset 0. Fixed offsets:
  // "+0200", "-05:30", "+02", "UTC+2", "GMT-0100", "UTC+02:00" (east of Greenwich is positive,
  // unlike POSIX TZ strings). Anything else is InvalidArgument naming the zone.
  static Result<TimeZone> Parse(std::string_view spec);
  static TimeZone Fixed(int32_t offset_seconds);
  static TimeZone Local();

  bool is_local() const { return local_; }

  // Epoch seconds of the wall-clock time `local_seconds` (seconds since 1970-01-01 00:00 counted in
  // this zone's civil time). For a local zone across a DST change, an ambiguous time (the repeated
  // hour in autumn) gives the earlier instant, and a time that does not exist (the skipped hour in
  // spring) is read with the offset in force before the change (02:30 becomes 03:30 summer time).
  int64_t ToEpoch(int64_t local_seconds);

  // The offset (seconds east of UTC) of this zone at the instant `epoch`.
  int32_t OffsetAt(int64_t epoch);

 private:
  TimeZone(bool local, int32_t offset) : local_(local), offset_(offset) {}

  int32_t ResolveLocal(int64_t local_seconds) const;

  struct Entry {
    int64_t hour = INT64_MIN;  // key: local (ToEpoch) or UTC (OffsetAt) hour number
    int32_t offset = 0;
  };
  static constexpr size_t kCacheSize = 64;

  bool local_ = false;
  int32_t offset_ = 0;
  std::array<Entry, kCacheSize> to_epoch_cache_{};
  std::array<Entry, kCacheSize> offset_cache_{};
};

}  // namespace portcullis
