// Durations as users write them in configuration and on the command line: bantime, findtime,
// bantime_maxtime, `portcullis set JAIL bantime 1h`.
//
// Pure functions, no clock. Text forms:
//   "600"                  bare integer: seconds
//   "10m", "1h30m", "1d12h", "1w", "2y"
//                          components of <digits><unit>, unit one of s m h d w y
//                          (y = 365 days, no months), each unit at most once and in that
//                          order from largest to smallest; spaces between components are allowed
//                          ("1h 30m"), not inside one
//   "permanent", "-1"      never expires ("-1" is fail2ban's spelling); no other negative values
// Everything else, and any value above INT64_MAX seconds, is an InvalidArgument error that quotes
// the text. Zero ("0", "0s") parses; whether zero makes sense is the caller's decision.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

struct Duration {
  int64_t seconds = 0;     // meaningless when permanent
  bool permanent = false;  // never expires

  static Duration Seconds(int64_t s) { return Duration{s, false}; }
  static Duration Permanent() { return Duration{0, true}; }

  // Permanent durations compare equal to each other and greater than any finite one.
  bool operator==(const Duration& o) const {
    return permanent == o.permanent && (permanent || seconds == o.seconds);
  }
  bool operator<(const Duration& o) const {
    if (permanent || o.permanent) {
      return !permanent && o.permanent;
    }
    return seconds < o.seconds;
  }
};

Result<Duration> ParseDuration(std::string_view text);

// The compact form used in logs and `status`: "permanent", "0s", "45s", "10m", "1h30m", "1w",
// "1y2d". Largest units first (y, w, d, h, m, s), zero components left out, so
// ParseDuration(FormatDuration(d)) == d for every d with seconds >= 0.
std::string FormatDuration(const Duration& d);

}  // namespace portcullis
