#include "filter/date_detector.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "filter/date_parse.h"
#include "filter/date_pattern.h"
#include "filter/time_zone.h"

namespace portcullis {
namespace {

using date_internal::BuiltinTemplates;
using date_internal::Fields;
using date_internal::IsDigit;
using date_internal::SiteKind;
using date_internal::Template;

// Brackets and "audit(" are looked for only this far into a line: a timestamp sits near the start,
// and the bound keeps a megabyte line as cheap as a short one.
constexpr size_t kSearchWindow = 256;
constexpr int kMaxBrackets = 8;
constexpr size_t kMaxTemplates = 16;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i] && !(date_internal::IsAlpha(a[i]) && (a[i] | 0x20) == (b[i] | 0x20))) {
      return false;
    }
  }
  return true;
}

struct Site {
  size_t pos;  // line start, just after "<PRI>", the '[' itself, or just after "audit("
  SiteKind kind;
};

// Finds the first "audit(" of a line's window piece by piece.
class AuditScan {
 public:
  AuditScan(std::string_view line, size_t window) : line_(line), window_(window) {}

  // The offset just after the first "audit(" that starts before `limit`, once; npos if there is
  // none or it was returned before.
  size_t NextBefore(size_t limit) {
    if (done_ || limit <= scanned_) {
      return std::string_view::npos;
    }
    const size_t stop =
        std::min(limit + kWord.size() - 1, std::min(window_ + kWord.size() - 1, line_.size()));
    const size_t found = line_.substr(0, stop).find(kWord, scanned_);
    scanned_ = limit;
    if (found == std::string_view::npos || found >= limit) {
      return std::string_view::npos;
    }
    done_ = true;
    return found + kWord.size();
  }

 private:
  static constexpr std::string_view kWord = "audit(";
  std::string_view line_;
  size_t window_;
  size_t scanned_ = 0;
  bool done_ = false;
};

class NoDateDetector final : public DateDetector {
 public:
  std::optional<DateMatch> Find(std::string_view, double) override { return std::nullopt; }
  bool uses_no_date() const override { return true; }
};

class CustomDetector final : public DateDetector {
 public:
  CustomDetector(DatePattern pattern, TimeZone zone)
      : pattern_(std::move(pattern)), resolver_(zone) {}
  std::optional<DateMatch> Find(std::string_view line, double now) override {
    return pattern_.Find(line, resolver_, now);
  }
  bool uses_no_date() const override { return false; }

 private:
  DatePattern pattern_;
  date_internal::Resolver resolver_;
};

// Tries built-in templates at the sites where a timestamp can start, leftmost site first, so a
// date inside the message never beats the one that starts the line. At each site the templates go
// most recently matched first: a log file keeps one format, so the first try nearly always hits.
class TemplateDetector final : public DateDetector {
 public:
  TemplateDetector(std::span<const Template> templates, TimeZone zone) : resolver_(zone) {
    for (const Template& t : templates) {
      if (count_ < kMaxTemplates) {
        order_[count_++] = &t;
      }
    }
  }

  std::optional<DateMatch> Find(std::string_view line, double now) override {
    if (line.empty()) {
      return std::nullopt;
    }
    // The head of the line: its start, or just after a "<PRI>"; no template starts with '<' or
    // '[', so a head '[' is tried as a bracket site only.
    const size_t body = PriEnd(line);
    Site head{body, body > 0 ? date_internal::kSiteAfterPri : date_internal::kSiteLineStart};
    if (body < line.size() && line[body] == '[') {
      head.kind = date_internal::kSiteBracket;
    }
    DateMatch m;
    if (TryTemplates(line, head, now, &m)) {
      return m;
    }
    // Further in: each '[' and "audit(" in the window, leftmost first. "audit(" is looked for
    // only before the bracket about to be tried, so a dated bracket early in the line (the
    // access-log case) costs no scan of the rest of the window.
    const size_t window = std::min(line.size(), kSearchWindow);
    AuditScan audit(line, window);
    int brackets = 0;
    for (size_t pos = body + 1; pos < window && brackets < kMaxBrackets; ++pos) {
      const void* hit = std::memchr(line.data() + pos, '[', window - pos);
      if (hit == nullptr) {
        break;
      }
      pos = static_cast<size_t>(static_cast<const char*>(hit) - line.data());
      if (const size_t a = audit.NextBefore(pos); a != std::string_view::npos) {
        if (TryTemplates(line, {a, date_internal::kSiteAudit}, now, &m)) {
          return m;
        }
      }
      ++brackets;
      if (TryTemplates(line, {pos, date_internal::kSiteBracket}, now, &m)) {
        return m;
      }
    }
    if (const size_t a = audit.NextBefore(window); a != std::string_view::npos) {
      if (TryTemplates(line, {a, date_internal::kSiteAudit}, now, &m)) {
        return m;
      }
    }
    return std::nullopt;
  }

  bool uses_no_date() const override { return false; }

 private:
  // Offset just after a leading "<PRI>" (1 to 3 digits), or 0.
  static size_t PriEnd(std::string_view line) {
    if (line.size() < 3 || line[0] != '<') {
      return 0;
    }
    size_t i = 1;
    while (i < line.size() && i < 4 && IsDigit(line[i])) {
      ++i;
    }
    if (i == 1 || i >= line.size() || line[i] != '>') {
      return 0;
    }
    return i + 1;
  }

  bool TryAt(const Template& t, std::string_view line, Site site, double now, DateMatch* out) {
    if ((t.sites & site.kind) == 0) {
      return false;
    }
    const bool bracket = site.kind == date_internal::kSiteBracket;
    const size_t start = bracket ? site.pos + 1 : site.pos;
    if (start >= line.size() || !date_internal::CanStart(t.first, line[start])) {
      return false;
    }
    const char* const base = line.data();
    const char* const end = base + line.size();
    Fields f;
    const char* q = t.parse(base + start, end, &f);
    if (q == nullptr) {
      return false;
    }
    if (q < end && IsDigit(q[-1]) && IsDigit(*q)) {
      return false;  // part of a longer number
    }
    size_t b = start + static_cast<size_t>(f.begin_skip);
    size_t e = static_cast<size_t>(q - base);
    if (bracket && q < end && *q == ']') {
      b = site.pos;
      ++e;
    } else if (t.needs_brackets) {
      return false;
    }
    std::optional<double> time = resolver_.Resolve(f, now);
    if (!time) {
      return false;
    }
    *out = DateMatch{*time, b, e, t.name};
    return true;
  }

  // Tries every template at `site`, most recently matched first, and moves the one that matches
  // to the front.
  bool TryTemplates(std::string_view line, Site site, double now, DateMatch* out) {
    for (size_t i = 0; i < count_; ++i) {
      if (TryAt(*order_[i], line, site, now, out)) {
        const Template* hit = order_[i];
        for (; i > 0; --i) {
          order_[i] = order_[i - 1];
        }
        order_[0] = hit;
        return true;
      }
    }
    return false;
  }

  std::array<const Template*, kMaxTemplates> order_{};
  size_t count_ = 0;
  date_internal::Resolver resolver_;
};

}  // namespace

Result<std::unique_ptr<DateDetector>> DateDetector::Create(std::string_view pattern,
                                                           std::string_view timezone) {
  Result<TimeZone> zone = TimeZone::Parse(timezone);
  if (!zone.ok()) {
    return zone.status();
  }
  if (EqualsIgnoreCase(pattern, "none")) {
    return std::unique_ptr<DateDetector>(new NoDateDetector());
  }
  const std::span<const Template> all = BuiltinTemplates();
  if (pattern.empty() || EqualsIgnoreCase(pattern, "auto")) {
    return std::unique_ptr<DateDetector>(new TemplateDetector(all, *zone));
  }
  // Names match in any case, so fail2ban's "Epoch", "TAI64N" and "ISO8601" work as written.
  for (const Template& t : all) {
    if (EqualsIgnoreCase(t.name, pattern)) {
      return std::unique_ptr<DateDetector>(new TemplateDetector(std::span(&t, 1), *zone));
    }
  }
  if (pattern.find('%') == std::string_view::npos) {
    std::string known;
    for (std::string_view name : TemplateNames()) {
      known += ", " + std::string(name);
    }
    return Status::InvalidArgument("unknown date template \"" + std::string(pattern) +
                                   "\" (known: auto, none" + known +
                                   "; or a pattern such as %Y-%m-%d %H:%M:%S)");
  }
  Result<DatePattern> compiled = DatePattern::Compile(pattern);
  if (!compiled.ok()) {
    return compiled.status();
  }
  return std::unique_ptr<DateDetector>(new CustomDetector(std::move(*compiled), *zone));
}

const std::vector<std::string_view>& DateDetector::TemplateNames() {
  static const std::vector<std::string_view>* const kNames = [] {
    auto* names = new std::vector<std::string_view>();
    for (const Template& t : BuiltinTemplates()) {
      names->push_back(t.name);
    }
    return names;
  }();
  return *kNames;
}

}  // namespace portcullis
