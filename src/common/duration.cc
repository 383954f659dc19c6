#include "common/duration.h"

#include <array>

#include "common/quote.h"

namespace portcullis {
namespace {

struct Unit {
  char letter;
  int64_t seconds;
};

// Largest first: the order components must appear in, and the order FormatDuration emits.
constexpr std::array<Unit, 6> kUnits = {{
    {'y', int64_t{365} * 86400},
    {'w', int64_t{7} * 86400},
    {'d', 86400},
    {'h', 3600},
    {'m', 60},
    {'s', 1},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string Quote(std::string_view text) { return QuoteForMessage(text); }

// Reads a run of decimal digits at `*pos` into `*value`; false on no digits or overflow.
bool ReadNumber(std::string_view text, size_t* pos, int64_t* value, bool* overflow) {
  const size_t start = *pos;
  int64_t v = 0;
  while (*pos < text.size() && IsDigit(text[*pos])) {
    if (__builtin_mul_overflow(v, int64_t{10}, &v) ||
        __builtin_add_overflow(v, int64_t{text[*pos] - '0'}, &v)) {
      *overflow = true;
      return false;
    }
    ++*pos;
  }
  *value = v;
  return *pos > start;
}

}  // namespace

Result<Duration> ParseDuration(std::string_view text) {
  auto fail = [&text](std::string_view why) {
    return Status::InvalidArgument("invalid duration " + Quote(text) + ": " + std::string(why));
  };
  if (text.empty()) {
    return fail("empty");
  }
  if (IsSpace(text.front()) || IsSpace(text.back())) {
    return fail("leading or trailing space");
  }
  if (text == "permanent" || text == "-1") {
    return Duration::Permanent();
  }
  if (text.front() == '-') {
    return fail("negative (use \"permanent\" or -1 for no expiry)");
  }

  size_t pos = 0;
  bool overflow = false;
  int64_t value = 0;
  if (!ReadNumber(text, &pos, &value, &overflow)) {
    if (overflow) {
      return fail("too large");
    }
    return fail("expected a number, optionally followed by s, m, h, d, w or y");
  }
  if (pos == text.size()) {
    return Duration::Seconds(value);
  }

  int64_t total = 0;
  size_t next_unit = 0;  // index into kUnits of the smallest unit still allowed
  while (true) {
    if (pos == text.size()) {
      return fail("missing unit after the last number");
    }
    const char letter = text[pos];
    size_t u = next_unit;
    while (u < kUnits.size() && kUnits[u].letter != letter) {
      ++u;
    }
    if (u == kUnits.size()) {
      for (const Unit& unit : kUnits) {
        if (unit.letter == letter) {
          return fail("units must go from largest to smallest, once each");
        }
      }
      return fail("unknown unit (use s, m, h, d, w or y)");
    }
    ++pos;
    int64_t part = 0;
    if (__builtin_mul_overflow(value, kUnits[u].seconds, &part) ||
        __builtin_add_overflow(total, part, &total)) {
      return fail("too large");
    }
    next_unit = u + 1;
    while (pos < text.size() && IsSpace(text[pos])) {
      ++pos;
    }
    if (pos == text.size()) {
      break;
    }
    if (!ReadNumber(text, &pos, &value, &overflow)) {
      if (overflow) {
        return fail("too large");
      }
      return fail("expected a number after a unit");
    }
  }
  return Duration::Seconds(total);
}

std::string FormatDuration(const Duration& d) {
  if (d.permanent) {
    return "permanent";
  }
  if (d.seconds == 0) {
    return "0s";
  }
  std::string out;
  // Work on the magnitude as unsigned so that INT64_MIN does not overflow on negation.
  uint64_t rest = static_cast<uint64_t>(d.seconds);
  if (d.seconds < 0) {
    out += '-';
    rest = ~rest + 1;
  }
  for (const Unit& unit : kUnits) {
    const auto size = static_cast<uint64_t>(unit.seconds);
    if (rest >= size) {
      out += std::to_string(rest / size);
      out += unit.letter;
      rest %= size;
    }
  }
  return out;
}

}  // namespace portcullis
