// Custom strptime-style date patterns ("%Y-%m-%d %H:%M:%S"), compiled once and matched without a
// regex engine. Internal to src/filter; the syntax is documented in docs/dates.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/date_detector.h"
#include "filter/date_parse.h"
#include "filter/time_zone.h"
#include "portcullis/status.h"

namespace portcullis {

class DatePattern {
 public:
  // InvalidArgument names the pattern and the bad directive.
  static Result<DatePattern> Compile(std::string_view pattern);

  // The first place in `line` where the pattern matches and gives a valid date. A pattern
  // starting with '^' is only tried at offset 0; otherwise start offsets are limited to the first
  // kSearchWindow bytes, so a long line costs a bounded amount of work.
  std::optional<DateMatch> Find(std::string_view line, date_internal::Resolver& resolver,
                                double now) const;

  static constexpr size_t kSearchWindow = 1024;

 private:
  enum class Op : uint8_t {
    kLiteral,     // `c`
    kSpace,       // one or more spaces or tabs
    kYear4,       // %Y
    kYear2,       // %y
    kMonth,       // %m
    kDay,         // %d, %e
    kYday,        // %j
    kHour,        // %H, %k
    kHour12,      // %I, %l
    kMinute,      // %M
    kSecond,      // %S
    kFraction,    // %f
    kMonthName,   // %b %B %h
    kWeekday,     // %a %A
    kZoneOffset,  // %z
    kZoneName,    // %Z (optional)
    kAmPm,        // %p
    kEpoch,       // %s
  };
  struct Step {
    Op op;
    char c;
  };

  DatePattern() = default;
  // Matches the steps at `p`; returns the end of the match or nullptr. A space that only
  // preceded an absent %Z is not part of the match.
  const char* MatchAt(const char* p, const char* end, date_internal::Fields* f) const;

  std::vector<Step> steps_;
  bool anchored_ = false;
  std::array<bool, 256> can_start_{};  // bytes the first step can start with
  bool first_is_number_ = false;       // skip starts inside a longer number
  bool first_is_name_ = false;         // skip starts inside a longer word
};

}  // namespace portcullis
