#include "control/duration.h"

#include "control/daemon_facade.h"

namespace portcullis {

Result<int64_t> ParseDuration(std::string_view text, bool allow_permanent) {
  if (allow_permanent && (text == "permanent" || text == "-1")) {
    return kPermanentBan;
  }
  auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("bad duration '" + std::string(text) + "': " + std::string(why));
  };
  if (text.empty()) {
    return bad("empty");
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t number = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      // Cap early so the multiplication below cannot overflow whatever the input length.
      if (number > kMaxDurationSeconds) {
        return bad("too long (at most ten years)");
      }
      ++i;
      ++digits;
    }
    if (digits == 0) {
      return bad("expected a number");
    }
    int64_t unit = 1;
    if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        case 'w':
          unit = int64_t{7} * 86400;
          break;
        default:
          return bad("unknown unit (use s, m, h, d or w)");
      }
      ++i;
    } else if (total != 0) {
      return bad("number without a unit after another part");
    }
    total += number * unit;
    if (total > kMaxDurationSeconds) {
      return bad("too long (at most ten years)");
    }
  }
  if (total == 0) {
    return bad("must be more than zero");
  }
  return total;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds == kPermanentBan) {
    return "permanent";
  }
  if (seconds <= 0) {
    return "0s";
  }
  std::string out;
  const struct {
    int64_t size;
    char unit;
  } kUnits[] = {{int64_t{7} * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& u : kUnits) {
    if (seconds >= u.size) {
      out += std::to_string(seconds / u.size);
      out += u.unit;
      seconds %= u.size;
    }
  }
  return out;
}

}  // namespace portcullis
