// FilterDef: a filter as written in filters.d/NAME.toml, before compilation.
//
// Plain data, produced by src/config/filter_file.cc (the only place that reads TOML) and consumed
// by Filter::Compile (src/filter/filter.h). Regexes are kept exactly as written: tags such as
// <HOST> and var references such as <prefix> are expanded at compile time. docs/filters.md
// describes every field.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace portcullis {

enum class NoDatePolicy {
  kSkip,  // a line without a recognisable date is skipped (default)
  kNow,   // a line without a date gets the time `now`
};

// [modes.NAME]: regexes added to the base lists when the mode is selected, directly or through
// another mode's `include`.
struct FilterModeDef {
  std::vector<std::string> failregex;
  std::vector<std::string> ignoreregex;
  std::vector<std::string> include;  // other mode names
};

// [session]: multi-line state keyed by a capture group (e.g. sshd's pid).
struct SessionDef {
  std::string key;                    // name of the capture group that identifies a session
  std::vector<std::string> remember;  // regexes that only store host/user/flags in the session
  int max_sessions = 1000;            // oldest session evicted beyond this
  double max_age = 600;               // seconds of log time after which a session is forgotten
};

struct FilterDef {
  std::string name;    // "sshd"
  std::string source;  // file the definition came from (for error messages); ".local" noted
  std::string description;
  std::vector<std::string> failregex;
  std::vector<std::string> ignoreregex;
  std::string prefregex;    // empty = none
  std::string datepattern;  // empty = auto detection
  std::vector<std::string> journalmatch;
  NoDatePolicy no_date = NoDatePolicy::kSkip;
  std::string default_mode;                 // empty = base lists only
  std::map<std::string, std::string> vars;  // name -> regex snippet
  std::map<std::string, FilterModeDef> modes;
  bool has_session = false;
  SessionDef session;
};

}  // namespace portcullis
