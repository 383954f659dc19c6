// Filter: a compiled filters.d definition that turns one log line into "failure of host H at time
// T", "ignored", "missed" or "skipped".
//
// Compile once, then call Process for every line. Each pattern starts in PCRE2's interpreter and
// is JIT-compiled on its FilterOptions::jit_after-th match call, so a filter that sees no lines
// holds no JIT code. Process never reads a clock (the caller passes `now`), never logs and does
// not allocate on the miss path (match data and the work buffer are reused; the one exception is
// the JIT switch of each pattern). A line is bounded in time: every match runs with PCRE2 match
// and depth limits, so a pathological regex/line pair ends with a "limit exceeded" miss instead of
// hanging. Not thread-safe (the date detector reorders templates and sessions are mutable state):
// each jail or tester owns its Filter.
//
// Pipeline of Process (docs/filters.md has the user's view):
//   1. literal prefilter: a line containing none of the required literals of the failregexes (and
//      of the session's remember regexes) is kSkipped before any regex or date parsing;
//   2. date: the timestamp is found and cut out (kNoDate when there is none, unless no_date="now");
//   3. prefregex (if any) must match; its (?<content>...) group narrows what later regexes see;
//   4. ignoreregex (one combined pattern): a match gives kIgnored;
//   5. failregex + session remember regexes (one combined pattern): the matching branch decides.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/filter_def.h"
#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

struct Failure {
  std::string host;                  // text as captured (address or DNS name, no brackets)
  std::optional<IpAddress> address;  // set when `host` parses as an address
  double time = 0;                   // epoch seconds of the line (or `now` for dateless lines)
  std::string user;                  // (?<user>...) capture, may be empty
  std::vector<std::pair<std::string, std::string>> fields;  // other named captures
  int regex_index = -1;                                     // index into Filter::failregexes()
};

enum class LineKind {
  kSkipped,     // rejected by the literal prefilter (no regex ran, no date parsed)
  kNoDate,      // no timestamp and no_date = "skip"
  kIgnored,     // an ignoreregex matched
  kMissed,      // no failregex matched (includes prefregex misses and PCRE2 limit hits)
  kRemembered,  // a session remember regex (or an incomplete failregex) stored state
  kFailure,     // a failure: see LineResult::failure
};

std::string_view LineKindName(LineKind kind);

struct LineResult {
  LineKind kind = LineKind::kMissed;
  std::optional<Failure> failure;  // set only for kFailure
  int regex_index = -1;            // failregex index for kFailure; -1 otherwise
  std::string_view date_template;  // name of the date template used ("" if none; static storage)
  bool limit_exceeded = false;     // a PCRE2 match or depth limit stopped a match on this line
};

// Overrides the jail passes in (empty = use the filter's own).
struct FilterOptions {
  std::string datepattern;        // replaces the filter's datepattern
  std::string logtimezone;        // see DateDetector::Create
  uint32_t match_limit = 100000;  // PCRE2 match limit per match call
  uint32_t depth_limit = 5000;    // PCRE2 depth (backtracking memory) limit per match call
  // Match calls a pattern (prefregex, ignoreregexes, failregexes) runs in PCRE2's interpreter
  // before it is JIT-compiled; 0 = JIT-compile at once. Results are the same either way and a
  // runaway match ends with limit_exceeded on both (the depth limit binds the interpreter, a
  // 512 KiB stack the JIT); only speed and memory differ (the default is explained in filter.cc).
  uint32_t jit_after = 512;
};

class Filter {
 public:
  // Expands vars and tags, compiles every regex. `mode` empty = the filter's default_mode.
  // InvalidArgument errors name the file (FilterDef::source), the key with its index
  // ("modes.ddos.failregex[2]") and, for PCRE2 errors, PCRE2's message and the offset.
  static Result<std::unique_ptr<Filter>> Compile(const FilterDef& def, std::string_view mode,
                                                 const FilterOptions& options);
  ~Filter();
  Filter(const Filter&) = delete;
  Filter& operator=(const Filter&) = delete;

  // Classifies one line (without its '\n'). `now` (epoch seconds) resolves year-less dates and is
  // the time of dateless lines when no_date = "now".
  LineResult Process(std::string_view line, double now);

  // The failregexes in effect (base + mode), as written, in index order.
  const std::vector<std::string>& failregexes() const;
  const std::vector<std::string>& ignoreregexes() const;
  // False when some failregex has no required literal of 3+ bytes (every line is then checked).
  bool prefilter_enabled() const;
  // The literals the prefilter searches for (for tests and `filter-test`).
  const std::vector<std::string>& prefilter_literals() const;
  size_t session_count() const;
  // How many of the filter's compiled patterns (prefregex, combined ignoreregex, combined
  // failregex: at most 3) run as JIT code now. 0 for a fresh filter unless jit_after is 0; stays
  // 0 where PCRE2 has no JIT or JIT compilation failed. For tests and diagnostics.
  size_t jit_pattern_count() const;

  struct Impl;

 private:
  explicit Filter(std::unique_ptr<Impl> impl);
  static Result<std::unique_ptr<Filter>> CompileImpl(const FilterDef& def, std::string_view mode,
                                                     const FilterOptions& options,
                                                     bool inline_tags);
  std::unique_ptr<Impl> impl_;
};

// Regex expansion, exposed for tests and tools.
//
// Expands `<name>` var references (lower-case names, from `vars`, recursively; cycles are an
// error) and upper-case tags (<HOST>, <ADDR>, <IP4>, <IP6>, <CIDR>, <SUBNET>, <SET:flag>,
// <NEED:flag>). `(?<name>`, `(?P<name>`, `\k<name>`, `\g<name>` and escaped `\<` are left alone.
// Flags named by <SET:x>/<NEED:x> are appended to `sets`/`needs` (either may be null). Address
// tags become calls of subroutines (?&pcip4), (?&pcip6), (?&pcdns) that Filter::Compile defines
// at the end of each pattern, so the result alone only compiles when it has no address tags.
Result<std::string> ExpandRegex(std::string_view regex,
                                const std::map<std::string, std::string>& vars,
                                std::vector<std::string>* sets = nullptr,
                                std::vector<std::string>* needs = nullptr);

// The longest run of literal bytes every match of `regex` must contain (top level only, outside
// groups, classes, alternations and quantified items). Empty if there is none, or if the regex
// has a top-level alternation or starts with an inline option such as (?i).
std::string RequiredLiteral(std::string_view regex);

}  // namespace portcullis
