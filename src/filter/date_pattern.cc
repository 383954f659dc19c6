#include "filter/date_pattern.h"

#include <algorithm>

namespace portcullis {

using date_internal::Fields;
using date_internal::IsAlpha;
using date_internal::IsDigit;

namespace {

// Digits with an optional leading space (%e, %k, %l): "2", " 2", "22".
const char* Number(const char* p, const char* end, int max_digits, bool space_pad, int* out) {
  if (space_pad && p < end && *p == ' ') {
    ++p;
  }
  return date_internal::UpToDigits(p, end, max_digits, out);
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

}  // namespace

Result<DatePattern> DatePattern::Compile(std::string_view pattern) {
  DatePattern out;
  const std::string quoted = "date pattern \"" + std::string(pattern) + "\"";
  std::string_view s = pattern;
  // fail2ban spells the anchor "{^LN-BEG}"; accept it so its patterns can be reused.
  constexpr std::string_view kFail2banAnchor = "{^LN-BEG}";
  if (s.substr(0, kFail2banAnchor.size()) == kFail2banAnchor) {
    out.anchored_ = true;
    s.remove_prefix(kFail2banAnchor.size());
  } else if (!s.empty() && s[0] == '^') {
    out.anchored_ = true;
    s.remove_prefix(1);
  }
  // Expand the composite directives first so the step loop sees only simple ones.
  std::string expanded;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%' || i + 1 == s.size()) {
      expanded += s[i];
      continue;
    }
    switch (s[i + 1]) {
      case 'T':
        expanded += "%H:%M:%S";
        break;
      case 'F':
        expanded += "%Y-%m-%d";
        break;
      case 'R':
        expanded += "%H:%M";
        break;
      case 'D':
        expanded += "%m/%d/%y";
        break;
      default:
        expanded += s[i];
        expanded += s[i + 1];
        break;
    }
    ++i;
  }
  struct Directive {
    char letter;
    Op op;
    bool space_padded;  // the number may be preceded by one space ("%e" reads " 2")
  };
  static constexpr Directive kDirectives[] = {
      {'Y', Op::kYear4, false},      {'y', Op::kYear2, false},     {'m', Op::kMonth, false},
      {'d', Op::kDay, false},        {'e', Op::kDay, true},        {'j', Op::kYday, false},
      {'H', Op::kHour, false},       {'k', Op::kHour, true},       {'I', Op::kHour12, false},
      {'l', Op::kHour12, true},      {'M', Op::kMinute, false},    {'S', Op::kSecond, false},
      {'f', Op::kFraction, false},   {'b', Op::kMonthName, false}, {'B', Op::kMonthName, false},
      {'h', Op::kMonthName, false},  {'a', Op::kWeekday, false},   {'A', Op::kWeekday, false},
      {'z', Op::kZoneOffset, false}, {'Z', Op::kZoneName, false},  {'p', Op::kAmPm, false},
      {'s', Op::kEpoch, false},
  };
  bool has_field = false;
  for (size_t i = 0; i < expanded.size(); ++i) {
    const char c = expanded[i];
    if (IsSpace(c)) {
      if (out.steps_.empty() || out.steps_.back().op != Op::kSpace) {
        out.steps_.push_back({Op::kSpace, ' '});
      }
      continue;
    }
    if (c != '%') {
      out.steps_.push_back({Op::kLiteral, c});
      continue;
    }
    if (i + 1 == expanded.size()) {
      return Status::InvalidArgument(quoted + ": lone % at the end (write %% for a percent sign)");
    }
    const char d = expanded[++i];
    if (d == 'n' || d == 't') {
      if (out.steps_.empty() || out.steps_.back().op != Op::kSpace) {
        out.steps_.push_back({Op::kSpace, ' '});
      }
      continue;
    }
    if (d == '%') {
      out.steps_.push_back({Op::kLiteral, '%'});
      continue;
    }
    const Directive* directive = nullptr;
    for (const Directive& candidate : kDirectives) {
      if (candidate.letter == d) {
        directive = &candidate;
      }
    }
    if (directive == nullptr) {
      return Status::InvalidArgument(quoted + ": unknown directive %" + std::string(1, d));
    }
    const Op op = directive->op;
    const char arg = directive->space_padded ? ' ' : '\0';
    if (op != Op::kZoneName && op != Op::kZoneOffset && op != Op::kWeekday && op != Op::kAmPm) {
      has_field = true;
    }
    out.steps_.push_back({op, arg});
  }
  if (!has_field) {
    return Status::InvalidArgument(quoted + " has no date or time directive (such as %H or %s)");
  }
  // Which bytes can start a match, so the search skips the rest of the line quickly.
  const Step& first = out.steps_.front();
  auto allow_digits = [&out] {
    for (char c = '0'; c <= '9'; ++c) {
      out.can_start_[static_cast<unsigned char>(c)] = true;
    }
  };
  auto allow_letters = [&out] {
    for (char c = 'a'; c <= 'z'; ++c) {
      out.can_start_[static_cast<unsigned char>(c)] = true;
      out.can_start_[static_cast<unsigned char>(c - 'a' + 'A')] = true;
    }
  };
  switch (first.op) {
    case Op::kLiteral:
      out.can_start_[static_cast<unsigned char>(first.c)] = true;
      break;
    case Op::kSpace:
      out.can_start_[' '] = out.can_start_['\t'] = true;
      break;
    case Op::kMonthName:
    case Op::kWeekday:
    case Op::kAmPm:
      allow_letters();
      out.first_is_name_ = true;
      break;
    case Op::kZoneOffset:
    case Op::kZoneName:
      out.can_start_.fill(true);  // %Z may be empty; %z starts with a sign or Z
      break;
    default:
      allow_digits();
      if (first.c == ' ') {
        out.can_start_[' '] = true;
      }
      out.first_is_number_ = true;
      break;
  }
  return out;
}

const char* DatePattern::MatchAt(const char* p, const char* end, Fields* f) const {
  bool pm = false;
  bool am = false;
  bool hour12 = false;
  const char* before_space = nullptr;  // start of the last kSpace step's match
  for (const Step& step : steps_) {
    const char* start = p;
    int v = 0;
    switch (step.op) {
      case Op::kLiteral:
        p = date_internal::Char(p, end, step.c);
        break;
      case Op::kSpace:
        if (p < end && IsSpace(*p)) {
          while (p < end && IsSpace(*p)) {
            ++p;
          }
        } else {
          p = nullptr;
        }
        break;
      case Op::kYear4:
        p = date_internal::Digits(p, end, 4, &f->year);
        break;
      case Op::kYear2:
        if ((p = date_internal::Digits(p, end, 2, &v))) {
          f->year = v < 69 ? 2000 + v : 1900 + v;
        }
        break;
      case Op::kMonth:
        p = Number(p, end, 2, false, &f->month);
        if (p && f->month == 0) {
          p = nullptr;  // 0 would read as "absent"
        }
        break;
      case Op::kDay:
        p = Number(p, end, 2, step.c == ' ', &f->day);
        if (p && f->day == 0) {
          p = nullptr;
        }
        break;
      case Op::kYday:
        p = Number(p, end, 3, false, &f->yday);
        if (p && f->yday == 0) {
          p = nullptr;
        }
        break;
      case Op::kHour:
        p = Number(p, end, 2, step.c == ' ', &f->hour);
        break;
      case Op::kHour12:
        p = Number(p, end, 2, step.c == ' ', &f->hour);
        if (p && (f->hour < 1 || f->hour > 12)) {
          p = nullptr;
        }
        hour12 = true;
        break;
      case Op::kMinute:
        p = Number(p, end, 2, false, &f->minute);
        break;
      case Op::kSecond:
        p = Number(p, end, 2, false, &f->second);
        break;
      case Op::kFraction:
        p = date_internal::FractionDigits(p, end, &f->nanos);
        break;
      case Op::kMonthName:
        p = date_internal::MonthName(p, end, true, &f->month);
        break;
      case Op::kWeekday:
        p = date_internal::WeekdayName(p, end, true);
        break;
      case Op::kZoneOffset:
        if ((p = date_internal::ZoneOffset(p, end, &f->zone_offset))) {
          f->has_zone = true;
        }
        break;
      case Op::kZoneName:
        if (end - p >= 3 && ((p[0] == 'U' && p[1] == 'T' && p[2] == 'C') ||
                             (p[0] == 'G' && p[1] == 'M' && p[2] == 'T'))) {
          p += 3;
        } else if (end - p >= 1 && *p == 'Z') {
          p += 1;
        } else {
          // Absent: at the end of the pattern, a space put before it is not part of the date.
          if (before_space != nullptr && &step == &steps_.back()) {
            p = before_space;
          }
          break;
        }
        if (p < end && IsAlpha(*p)) {
          return nullptr;
        }
        f->has_zone = true;
        f->zone_offset = 0;
        break;
      case Op::kAmPm:
        if (end - p >= 2 && (p[1] | 0x20) == 'm' &&
            ((p[0] | 0x20) == 'a' || (p[0] | 0x20) == 'p')) {
          ((p[0] | 0x20) == 'p' ? pm : am) = true;
          p += 2;
        } else {
          p = nullptr;
        }
        break;
      case Op::kEpoch: {
        int64_t e = 0;
        int n = 0;
        while (p < end && n < 12 && IsDigit(*p)) {
          e = e * 10 + (*p++ - '0');
          ++n;
        }
        if (n == 0) {
          return nullptr;
        }
        f->has_epoch = true;
        f->epoch = e;
        break;
      }
    }
    if (p == nullptr) {
      return nullptr;
    }
    before_space = step.op == Op::kSpace ? start : nullptr;
  }
  if (hour12 || pm || am) {
    if (f->hour > 23) {
      return nullptr;
    }
    if (pm && f->hour < 12) {
      f->hour += 12;
    }
    if (am && f->hour == 12) {
      f->hour = 0;
    }
  }
  return p;
}

std::optional<DateMatch> DatePattern::Find(std::string_view line, date_internal::Resolver& resolver,
                                           double now) const {
  const char* const begin = line.data();
  const char* const end = begin + line.size();
  const size_t limit = std::min(line.size(), anchored_ ? size_t{1} : kSearchWindow);
  for (size_t i = 0; i < limit; ++i) {
    const char* p = begin + i;
    if (!can_start_[static_cast<unsigned char>(*p)]) {
      continue;
    }
    if (i > 0 && first_is_number_ && IsDigit(p[-1])) {
      continue;
    }
    if (i > 0 && first_is_name_ && IsAlpha(p[-1])) {
      continue;
    }
    Fields f;
    const char* q = MatchAt(p, end, &f);
    if (q == nullptr || q == p) {
      continue;
    }
    if (q < end && IsDigit(q[-1]) && IsDigit(*q)) {
      continue;  // "10:00:01" inside "10:00:012"
    }
    std::optional<double> t = resolver.Resolve(f, now);
    if (!t) {
      continue;
    }
    return DateMatch{*t, i, static_cast<size_t>(q - begin), "custom"};
  }
  return std::nullopt;
}

}  // namespace portcullis
