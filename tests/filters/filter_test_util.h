// Helpers for the per-filter tests in tests/filters/ (sample lines for each shipped filter).
//
//   auto f = LoadShippedFilter("sshd");            // default mode; "aggressive" etc. also work
//   ExpectFailure(*f, "Jan  1 00:00:00 host sshd[1]: Invalid user x from 192.0.2.1 port 2",
//   "192.0.2.1", "x"); ExpectNoFailure(*f, "Jan  1 00:00:00 host sshd[1]: Accepted publickey for x
//   from ...");
//
// Lines are classified with `now` = kTestNow (14 Aug 2005), so syslog dates without a year
// resolve to 2005 or 2004; tests should not depend on the process time zone.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "filter/filter.h"

namespace portcullis::testing {

inline constexpr double kTestNow = 1124013600;

// Loads PORTCULLIS_SOURCE_DIR/filters.d/NAME.toml (without any .local override) and compiles it
// in `mode` ("" = the filter's default mode). On error, records a test failure naming the error
// and returns nullptr (callers: ASSERT_NE(f, nullptr)).
std::unique_ptr<Filter> LoadShippedFilter(std::string_view name, std::string_view mode = "",
                                          const FilterOptions& options = {});

// Expects `line` to be a failure of `host` (compared as text, and also as an address when both
// parse, so "::ffff:192.0.2.1" equals "192.0.2.1"). When `user` is given, the captured user must
// equal it. Returns the LineResult for further checks.
LineResult ExpectFailure(Filter& filter, std::string_view line, std::string_view host,
                         std::optional<std::string_view> user = std::nullopt,
                         double now = kTestNow);

// Expects `line` not to be a failure (missed, ignored, skipped, remembered or without date).
LineResult ExpectNoFailure(Filter& filter, std::string_view line, double now = kTestNow);

// Feeds a context line (e.g. the first line of a multi-line session) and expects no failure.
inline void Feed(Filter& filter, std::string_view line, double now = kTestNow) {
  ExpectNoFailure(filter, line, now);
}

}  // namespace portcullis::testing
