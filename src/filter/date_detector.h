// Finding and parsing the timestamp of a log line.
//
// Pure: never reads a clock (the caller passes `now`), never logs. Not thread-safe: auto-detection
// moves the template that matched last to the front, so each jail (or tester) owns its detector.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/status.h"

namespace portcullis {

struct DateMatch {
  double time = 0;        // seconds since the epoch (UTC), with fractions where the log has them
  size_t begin = 0;       // [begin, end) is the timestamp's text in the line; a bracketed
  size_t end = 0;         // format includes its brackets
  std::string_view name;  // template name, e.g. "syslog" (static storage)
};

class DateDetector {
 public:
  // `pattern`: empty or "auto" = try every built-in template; a template name (see TemplateNames():
  // "syslog", "iso8601", "rfc5424", "apache-access", "apache-error", "ctime", "datetime", "bind",
  // "mysql", "epoch", "tai64n"); "none" = the line carries no date; or a strptime-style pattern
  // such as "%Y-%m-%d %H:%M:%S", "^" anchoring it at line start (docs/dates.md has the syntax).
  // `timezone`: empty or "local" = the TZ of this process (read through the C library, so set TZ
  // before creating the detector); "UTC"; a fixed offset "+0200", "-05:30", "UTC+2" (east is
  // positive). A zone written in the line itself always wins.
  // Errors (InvalidArgument) name the bad pattern, directive or zone.
  static Result<std::unique_ptr<DateDetector>> Create(std::string_view pattern,
                                                      std::string_view timezone);
  virtual ~DateDetector() = default;

  // The first timestamp found in `line` (templates are tried in most-recently-matched order; each is
  // tried where its format can start: line start, after a syslog priority, inside the first "[").
  // `now` (epoch seconds) resolves dates without a year: the year that puts the date no more than one
  // day after `now`. Returns nullopt when the line has no recognisable date, or when the pattern is
  // "none". Work per line is bounded: only the first few hundred bytes are searched (1024 for a
  // custom pattern), however long the line.
  virtual std::optional<DateMatch> Find(std::string_view line, double now) = 0;

  // True when created with "none": callers then use `now` as the time of every line.
  virtual bool uses_no_date() const = 0;

  // Names of the built-in templates, for docs and `filter-test` output.
  static const std::vector<std::string_view>& TemplateNames();
};

}  // namespace portcullis
