#define PCRE2_CODE_UNIT_WIDTH 8

#include "filter/filter.h"

#include <pcre2.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <array>
#include <cstring>
#include <list>
#include <map>
#include <set>
#include <unordered_map>

#include "filter/date_detector.h"
#include "filter/literal_set.h"

namespace portcullis {
namespace {

// ---------------------------------------------------------------------------------------------
// Tags. The address patterns are written to be linear: every repetition is bounded, and
// lookarounds make sure an address is a whole token, so "1.2.3.4.5" is neither 1.2.3.4 nor
// 2.3.4.5, and "x1.2.3.4" is no address either. Octets accept a leading zero ("030") because some
// services log them that way; IpAddress::Parse then decides whether the text is an address.

constexpr std::string_view kOctet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|0?[0-9]?[0-9])";
constexpr std::string_view kHex = "[0-9A-Fa-f]{1,4}";

std::string Ip4Core() {
  std::string o(kOctet);
  return "(?:" + o + "\\.){3}" + o;
}

std::string Ip4() { return "(?<![0-9A-Za-z_.])" + Ip4Core() + "(?![0-9A-Za-z_]|\\.[0-9A-Za-z])"; }

std::string Ip6() {
  std::string x(kHex);
  std::string v4 = Ip4Core();
  // Full form, or a "::"-compressed form, or either with an embedded IPv4 tail. The ':'
  // separators make every repetition unambiguous, so matching stays linear.
  std::string alts = x + "(?::" + x + "){7}" +                                                  //
                     "|(?:" + x + "(?::" + x + "){0,6})?::(?:" + x + "(?::" + x + "){0,6})?" +  //
                     "|(?:(?:" + x + ":){6}|(?:" + x + "(?::" + x + "){0,4})?::(?:" + x +
                     ":){0,4})" + v4;
  // A trailing ':' is allowed only when what follows cannot continue the address (": 11: Bye").
  return "(?<![0-9A-Za-z_:.])(?:" + alts + ")(?![0-9A-Za-z_]|\\.[0-9A-Za-z]|:[0-9A-Fa-f:])";
}

std::string Dns() {
  // Must contain a letter, so digit-only junk like 1.2.3.4.5 is not taken as a host name.
  // Possessive repeats: no backtracking inside a name.
  return "(?<![\\w.-])(?=[\\w.-]*[A-Za-z])[\\w-]{1,63}+(?:\\.[\\w-]{1,63}+){0,30}+"
         "(?![\\w-]|\\.[\\w-])";
}

// The address patterns are defined once per compiled pattern and called as subroutines from
// every tag: a filter with twenty <HOST> tags would otherwise exceed PCRE2's pattern size limit.
// Placed at the end so that they do not shift the group numbers of the regexes before them.
const std::string& DefineBlock() {
  static const std::string block = "(?(DEFINE)(?<pcip4>(?>" + Ip4() + "))(?<pcip6>(?>" + Ip6() +
                                   "))(?<pcdns>(?>" + Dns() + ")))";
  return block;
}
constexpr int kDefineGroups = 3;

constexpr std::string_view kZone = "(?:%[\\w.-]{1,32})?";

std::string TagExpansionBody(std::string_view tag, bool inline_tags);

// The address inside a tag is an atomic group: an address is a whole token, so once one
// alternative matched there is no other way to read the same text, and retrying them all when
// the rest of the regex fails (common: most lines miss) only burns time.
// `inline_tags`: copy the address patterns into the tag, or call them as subroutines of
// DefineBlock() (what Filter::Compile does: as fast, and much less JIT code).
std::string TagExpansion(std::string_view tag, bool inline_tags) {
  return TagExpansionBody(tag, inline_tags);
}

std::string TagExpansionBody(std::string_view tag, bool inline_tags) {
  // IPv4 is tried first: it is the common case and cannot match the start of an IPv6 address
  // (its lookarounds reject a neighbouring ':' or hex digit run).
  std::string zone(kZone);
  const std::string ip4 = inline_tags ? "(?>" + Ip4() + ")" : "(?&pcip4)";
  const std::string ip6 = inline_tags ? "(?>" + Ip6() + ")" : "(?&pcip6)";
  const std::string dns = inline_tags ? "(?>" + Dns() + ")" : "(?&pcdns)";
  // One copy of each address pattern per tag (the pattern size matters, see Compile): optional
  // brackets on either side instead of a bracketed and a bare alternative. Only the address is
  // atomic, so a regex that writes its own \[<HOST>\] still gets the closing bracket.
  if (tag == "HOST") {
    return "\\[?(?<host>(?>" + ip4 + "|" + ip6 + "|" + dns + "))" + zone + "\\]?";
  }
  if (tag == "ADDR") {
    return "\\[?(?<host>(?>" + ip4 + "|" + ip6 + "))" + zone + "\\]?";
  }
  if (tag == "IP4") {
    return "(?<host>" + ip4 + ")";
  }
  if (tag == "IP6") {
    return "\\[?(?<host>" + ip6 + ")" + zone + "\\]?";
  }
  if (tag == "CIDR") {
    return "(?<cidr>[0-9]{1,3})(?![0-9])";
  }
  if (tag == "SUBNET") {
    return "(?<host>" + ip6 + "|" + ip4 + ")(?:/(?<cidr>[0-9]{1,3})(?![0-9]))?";
  }
  return {};
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Length of a character class starting at re[i] == '['; returns the index after its ']'.
size_t SkipClass(std::string_view re, size_t i) {
  size_t j = i + 1;
  if (j < re.size() && re[j] == '^') {
    ++j;
  }
  if (j < re.size() && re[j] == ']') {
    ++j;  // a leading ']' is a literal
  }
  while (j < re.size() && re[j] != ']') {
    if (re[j] == '\\') {
      j += 2;
    } else if (re[j] == '[' && j + 1 < re.size() && re[j + 1] == ':') {
      size_t end = re.find(":]", j + 2);
      j = end == std::string_view::npos ? j + 1 : end + 2;
    } else {
      ++j;
    }
  }
  return std::min(j + 1, re.size());
}

class Expander {
 public:
  Expander(const std::map<std::string, std::string>& vars, std::vector<std::string>* sets,
           std::vector<std::string>* needs, bool inline_tags)
      : vars_(vars), sets_(sets), needs_(needs), inline_tags_(inline_tags) {}

  Status Expand(std::string_view re, std::string* out, int depth) {
    if (depth > 32) {
      return Status::InvalidArgument("vars nested more than 32 levels");
    }
    size_t i = 0;
    while (i < re.size()) {
      char c = re[i];
      if (c == '\\') {
        // \k<name> and \g<name> are back references: copy the name verbatim.
        if (i + 2 < re.size() && (re[i + 1] == 'k' || re[i + 1] == 'g') && re[i + 2] == '<') {
          size_t end = re.find('>', i + 3);
          end = end == std::string_view::npos ? re.size() : end + 1;
          out->append(re.substr(i, end - i));
          i = end;
          continue;
        }
        out->append(re.substr(i, std::min<size_t>(2, re.size() - i)));
        i += 2;
        continue;
      }
      if (c == '[') {
        size_t end = SkipClass(re, i);
        out->append(re.substr(i, end - i));
        i = end;
        continue;
      }
      if (c == '(' && re.substr(i, 3) == "(?<") {
        out->append("(?<");
        i += 3;
        continue;
      }
      if (c == '(' && re.substr(i, 4) == "(?P<") {
        out->append("(?P<");
        i += 4;
        continue;
      }
      if (c == '<') {
        size_t j = i + 1;
        while (j < re.size() && IsNameChar(re[j])) {
          ++j;
        }
        size_t colon = std::string_view::npos;
        if (j < re.size() && re[j] == ':' && j > i + 1) {
          colon = j;
          ++j;
          while (j < re.size() && IsNameChar(re[j])) {
            ++j;
          }
        }
        if (j > i + 1 && j < re.size() && re[j] == '>' &&
            (colon == std::string_view::npos || j > colon + 1)) {
          std::string_view name = re.substr(i + 1, j - i - 1);
          PORTCULLIS_RETURN_IF_ERROR(ExpandName(
              name, colon == std::string_view::npos ? std::string_view::npos : colon - i - 1, out,
              depth));
          i = j + 1;
          continue;
        }
      }
      out->push_back(c);
      ++i;
    }
    return Status::Ok();
  }

 private:
  Status ExpandName(std::string_view name, size_t colon, std::string* out, int depth) {
    bool upper = name[0] >= 'A' && name[0] <= 'Z';
    if (colon != std::string_view::npos) {
      std::string_view tag = name.substr(0, colon);
      std::string flag(name.substr(colon + 1));
      if (tag == "SET") {
        if (sets_ != nullptr) {
          sets_->push_back(flag);
        }
        return Status::Ok();
      }
      if (tag == "NEED") {
        if (needs_ != nullptr) {
          needs_->push_back(flag);
        }
        return Status::Ok();
      }
      return Status::InvalidArgument("unknown tag <" + std::string(name) + ">");
    }
    if (upper) {
      std::string exp = TagExpansion(name, inline_tags_);
      if (exp.empty()) {
        return Status::InvalidArgument("unknown tag <" + std::string(name) +
                                       "> (tags: HOST, ADDR, IP4, IP6, CIDR, SUBNET, SET:flag, "
                                       "NEED:flag; write \\< for a literal '<')");
      }
      out->append(exp);
      return Status::Ok();
    }
    std::string key(name);
    auto it = vars_.find(key);
    if (it == vars_.end()) {
      return Status::InvalidArgument("unknown var <" + key +
                                     "> (define it in [vars], or write \\< for a literal '<')");
    }
    if (std::find(stack_.begin(), stack_.end(), key) != stack_.end()) {
      std::string cycle;
      for (const std::string& s : stack_) {
        cycle += s + " -> ";
      }
      return Status::InvalidArgument("var cycle: " + cycle + key);
    }
    stack_.push_back(key);
    Status st = Expand(it->second, out, depth + 1);
    stack_.pop_back();
    if (!st.ok()) {
      return st;
    }
    return Status::Ok();
  }

  const std::map<std::string, std::string>& vars_;
  std::vector<std::string>* sets_;
  std::vector<std::string>* needs_;
  bool inline_tags_;
  std::vector<std::string> stack_;
};

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Index after the group starting at re[i] == '('.
size_t SkipGroup(std::string_view re, size_t i) {
  int depth = 0;
  size_t j = i;
  while (j < re.size()) {
    char c = re[j];
    if (c == '\\') {
      j += 2;
      continue;
    }
    if (c == '[') {
      j = SkipClass(re, j);
      continue;
    }
    if (c == '(') {
      ++depth;
    }
    if (c == ')') {
      --depth;
      if (depth == 0) {
        return j + 1;
      }
    }
    ++j;
  }
  return re.size();
}

// Index after the escape starting at re[i] == '\\'.
size_t SkipEscape(std::string_view re, size_t i) {
  if (i + 1 >= re.size()) {
    return re.size();
  }
  char d = re[i + 1];
  size_t j = i + 2;
  auto skip_braced = [&](char open, char close) {
    if (j < re.size() && re[j] == open) {
      size_t end = re.find(close, j);
      j = end == std::string_view::npos ? re.size() : end + 1;
      return true;
    }
    return false;
  };
  switch (d) {
    case 'x':
      if (!skip_braced('{', '}')) {
        while (j < re.size() && j < i + 4 && std::isxdigit(static_cast<unsigned char>(re[j]))) {
          ++j;
        }
      }
      break;
    case 'p':
    case 'P':
    case 'N':
    case 'o':
      if (!skip_braced('{', '}') && d != 'N' && j < re.size()) {
        ++j;
      }
      break;
    case 'k':
      if (!skip_braced('<', '>') && !skip_braced('{', '}')) {
        skip_braced('\'', '\'');
      }
      break;
    case 'g':
      if (!skip_braced('<', '>') && !skip_braced('{', '}') && !skip_braced('\'', '\'')) {
        if (j < re.size() && (re[j] == '-' || re[j] == '+')) {
          ++j;
        }
        while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j]))) {
          ++j;
        }
      }
      break;
    case 'c':
      if (j < re.size()) {
        ++j;
      }
      break;
    case 'Q': {
      size_t end = re.find("\\E", j);
      j = end == std::string_view::npos ? re.size() : end + 2;
      break;
    }
    default:
      if (d >= '0' && d <= '9') {
        while (j < re.size() && std::isdigit(static_cast<unsigned char>(re[j]))) {
          ++j;
        }
      }
      break;
  }
  return j;
}

// If re[i] starts a quantifier, returns {index after it, minimum count}; else {i, -1}.
std::pair<size_t, int> Quantifier(std::string_view re, size_t i) {
  if (i >= re.size()) {
    return {i, -1};
  }
  size_t j = i;
  int min = -1;
  char c = re[i];
  if (c == '*' || c == '?') {
    min = 0;
    j = i + 1;
  } else if (c == '+') {
    min = 1;
    j = i + 1;
  } else if (c == '{') {
    size_t k = i + 1;
    size_t digits_start = k;
    while (k < re.size() && std::isdigit(static_cast<unsigned char>(re[k]))) {
      ++k;
    }
    bool has_min = k > digits_start;
    if (k < re.size() && re[k] == ',') {
      ++k;
      while (k < re.size() && std::isdigit(static_cast<unsigned char>(re[k]))) {
        ++k;
      }
    }
    if (!has_min || k >= re.size() || re[k] != '}') {
      return {i, -1};
    }
    min = std::atoi(std::string(re.substr(digits_start, k - digits_start)).c_str());
    j = k + 1;
  } else {
    return {i, -1};
  }
  if (j < re.size() && (re[j] == '?' || re[j] == '+')) {
    ++j;  // lazy / possessive
  }
  return {j, min};
}

std::string_view SafeMark(const char* s) { return s == nullptr ? std::string_view() : s; }

// ---------------------------------------------------------------------------------------------
// PCRE2 wrappers.

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* m) const { pcre2_match_data_free(m); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeDeleter>;
using MatchDataPtr = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

constexpr uint32_t kCompileOptions = PCRE2_DUPNAMES;

std::string PcreMessage(int code) {
  std::array<PCRE2_UCHAR, 256> buf{};
  pcre2_get_error_message(code, buf.data(), buf.size());
  return reinterpret_cast<const char*>(buf.data());
}

// Compiles without JIT: patterns that will match are JIT-compiled later by Pattern, once they
// have been used enough (see Pattern::Match).
Result<CodePtr> CompileOne(const std::string& pattern_text, const std::string& where,
                           bool with_defines = true, uint32_t extra_options = 0) {
  std::string pattern = with_defines ? pattern_text + DefineBlock() : pattern_text;
  int err = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   kCompileOptions | extra_options, &err, &offset, nullptr);
  if (code == nullptr) {
    return Status::InvalidArgument(where + ": " + PcreMessage(err) + " at offset " +
                                   std::to_string(offset));
  }
  return CodePtr(code);
}

uint32_t CaptureCount(const pcre2_code* code) {
  uint32_t n = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &n);
  return n;
}

// name -> group numbers (several with duplicate names).
std::vector<std::pair<std::string, std::vector<int>>> NameTable(const pcre2_code* code) {
  uint32_t count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  std::vector<std::pair<std::string, std::vector<int>>> out;
  for (uint32_t i = 0; i < count; ++i) {
    PCRE2_SPTR e = table + size_t(i) * entry_size;
    int num = (e[0] << 8) | e[1];
    std::string name(reinterpret_cast<const char*>(e + 2));
    if (name == "pcip4" || name == "pcip6" || name == "pcdns") {
      continue;  // DefineBlock()
    }
    if (out.empty() || out.back().first != name) {
      out.push_back({name, {}});
    }
    out.back().second.push_back(num);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string_view LineKindName(LineKind kind) {
  switch (kind) {
    case LineKind::kSkipped:
      return "skipped";
    case LineKind::kNoDate:
      return "no-date";
    case LineKind::kIgnored:
      return "ignored";
    case LineKind::kMissed:
      return "missed";
    case LineKind::kRemembered:
      return "remembered";
    case LineKind::kFailure:
      return "failure";
  }
  return "?";
}

Result<std::string> ExpandRegex(std::string_view regex,
                                const std::map<std::string, std::string>& vars,
                                std::vector<std::string>* sets, std::vector<std::string>* needs) {
  Expander ex(vars, sets, needs, /*inline_tags=*/false);
  std::string out;
  PORTCULLIS_RETURN_IF_ERROR(ex.Expand(regex, &out, 0));
  return out;
}

std::string RequiredLiteral(std::string_view re) {
  std::string best, cur;
  auto finish = [&] {
    if (cur.size() > best.size()) {
      best = cur;
    }
    cur.clear();
  };
  size_t i = 0;
  while (i < re.size()) {
    char c = re[i];
    bool literal = false;
    char lit = 0;
    size_t next = i + 1;
    if (c == '\\') {
      if (i + 1 < re.size() && !IsAlnum(re[i + 1])) {
        literal = true;
        lit = re[i + 1];
        next = i + 2;
      } else {
        next = SkipEscape(re, i);
      }
    } else if (c == '[') {
      next = SkipClass(re, i);
    } else if (c == '(') {
      // An inline option group such as (?i) or (?x) changes how the rest reads: give up.
      if (re.substr(i, 2) == "(?" && i + 2 < re.size() &&
          (std::isalpha(static_cast<unsigned char>(re[i + 2])) || re[i + 2] == '^' ||
           re[i + 2] == '-')) {
        size_t k = i + 2;
        while (k < re.size() &&
               (std::isalpha(static_cast<unsigned char>(re[k])) || re[k] == '-' || re[k] == '^')) {
          ++k;
        }
        if (k < re.size() && (re[k] == ')' || re[k] == ':') && re[i + 2] != 'P') {
          std::string_view opts = re.substr(i + 2, k - i - 2);
          if (opts.find_first_of("ixn") != std::string_view::npos && re[k] == ')') {
            return {};
          }
        }
      }
      next = SkipGroup(re, i);
    } else if (c == '|') {
      return {};
    } else if (c == '.' || c == '^' || c == '$') {
      next = i + 1;
    } else {
      literal = true;
      lit = c;
    }
    auto [after, min] = Quantifier(re, next);
    if (min >= 0) {
      if (literal && min >= 1) {
        cur.push_back(lit);
      }
      finish();
      i = after;
      continue;
    }
    if (literal) {
      cur.push_back(lit);
    } else {
      finish();
    }
    i = next;
  }
  finish();
  return best;
}

// ---------------------------------------------------------------------------------------------

namespace {

struct Branch {
  int failregex_index = -1;  // -1: a session remember regex
  uint64_t sets = 0;         // session flags set by a match
  uint64_t needs = 0;        // session flags required for the failure to count
  std::vector<int> host_groups;
  std::vector<int> user_groups;
  std::vector<int> key_groups;
  std::vector<std::pair<std::string, int>> field_groups;
};

struct Session {
  std::string key;
  std::string host;
  std::string user;
  uint64_t flags = 0;
  double last = 0;
};

// A compiled pattern with its match data. It starts interpreted and is JIT-compiled on its
// `jit_after`-th match call: a jail whose log stays quiet never pays the JIT's executable memory
// (about 45 KB per filter, resident for the daemon's lifetime, plus the JIT compiler's own pages
// of libpcre2), and a busy one switches after its first few hundred lines.
// The default of 512 sits at the break-even point of the two costs (the rent-or-buy rule:
// switching there never costs more than twice the better choice made in hindsight). For sshd,
// measured on the generated auth.log of bench/filter_throughput (Release, 2.6 GHz): JIT compilation
// of its patterns takes 0.65-0.8 ms, and a line that reaches the regexes costs 1.6 us interpreted
// against 0.6 us with JIT code (matcher_bench: 1.0 us more for a failure, 1.9 us for a benign
// miss), so the JIT pays for itself after 400-800 lines. Until then the interpreter still handles
// some 600,000 lines per second, far above what a log produces.
class Pattern {
 public:
  Pattern() = default;
  void Reset(CodePtr code, uint32_t jit_after) {
    code_ = std::move(code);
    data_.reset(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
    jit_ = false;
    until_jit_ = jit_after;
    if (code_ != nullptr && jit_after == 0) {
      CompileJit();
    }
  }
  bool valid() const { return code_ != nullptr; }
  bool jit() const { return jit_; }
  const pcre2_code* code() const { return code_.get(); }
  pcre2_match_data* data() const { return data_.get(); }
  // >0 match, PCRE2_ERROR_NOMATCH, or another negative PCRE2 code (limits).
  // JIT-compiled patterns go straight to pcre2_jit_match: pcre2_match would only repeat its
  // argument checks (about 3% of the per-line instructions of filter-test on an sshd log). The
  // match context, and so the match and depth limits, apply on both paths. Once JIT-compiled, the
  // cost of the tiering is the one well-predicted test of jit_.
  int Match(std::string_view subject, pcre2_match_context* ctx) {
    auto* s = reinterpret_cast<PCRE2_SPTR>(subject.empty() ? "" : subject.data());
    if (jit_) {
      return pcre2_jit_match(code_.get(), s, subject.size(), 0, 0, data_.get(), ctx);
    }
    // until_jit_ stays 0 after an attempt, so a failed JIT compilation is not retried per line.
    // After a successful one, pcre2_match below already runs the JIT code for this call.
    if (until_jit_ != 0 && --until_jit_ == 0) {
      CompileJit();
    }
    return pcre2_match(code_.get(), s, subject.size(), 0, 0, data_.get(), ctx);
  }
  const PCRE2_SIZE* ovector() const { return pcre2_get_ovector_pointer(data_.get()); }

 private:
  void CompileJit() {
    // JIT is an optimisation: when it is unavailable or fails (no executable memory, e.g. under
    // a W^X policy) the interpreter keeps running, with the same limits.
    if (pcre2_jit_compile(code_.get(), PCRE2_JIT_COMPLETE) != 0) {
      return;
    }
    size_t jit_size = 0;
    jit_ = pcre2_pattern_info(code_.get(), PCRE2_INFO_JITSIZE, &jit_size) == 0 && jit_size > 0;
    // Since PCRE2 10.41 the interpreter keeps its backtracking frames in the match data (20 KiB
    // at first, more after a deep match) and never gives them back; the JIT does not use them.
    // Called before a match, so no ovector of this pattern is being read.
    if (jit_) {
      MatchDataPtr fresh(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
      if (fresh != nullptr) {
        data_ = std::move(fresh);
      }
    }
#if defined(__GLIBC__)
    // The JIT compiler's scratch memory (and those frames) is freed in the middle of the heap,
    // where glibc keeps it resident: about 180 KB after the sshd filter's switch in an otherwise
    // idle daemon. Returning it costs little next to the JIT compilation it follows, and happens
    // at most three times per filter.
    malloc_trim(0);
#endif
  }

  CodePtr code_;
  MatchDataPtr data_;
  bool jit_ = false;
  uint32_t until_jit_ = 0;  // match calls left before JIT compilation; 0 = done or never
};

bool IsLimit(int rc) {
  return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
         rc == PCRE2_ERROR_JIT_STACKLIMIT || rc == PCRE2_ERROR_HEAPLIMIT;
}

}  // namespace

struct Filter::Impl {
  ~Impl() {
    if (match_ctx != nullptr) {
      pcre2_match_context_free(match_ctx);
    }
    if (jit_stack != nullptr) {
      pcre2_jit_stack_free(jit_stack);
    }
  }

  std::string source;
  std::vector<std::string> failregexes;
  std::vector<std::string> ignoreregexes;
  std::vector<std::string> literals;  // all of them, for display
  bool prefilter = false;
  // One scan for all literals. Group 0: regexes without <NEED:...>, always searched. Group g > 0:
  // the <NEED:...> regexes needing the flags gate_needs[g-1]; searched only while some session
  // holds those flags, so a benign "Accepted ..." line is skipped when no session waits for it.
  LiteralSet literal_set;
  std::vector<uint64_t> gate_needs;
  std::array<uint32_t, 64> flag_sessions{};  // per flag bit: sessions holding it
  uint64_t live_flags = 0;                   // bits with flag_sessions > 0
  std::unique_ptr<DateDetector> dates;
  bool no_date_now = false;

  Pattern pref;
  std::vector<int> pref_content;  // (?<content>) groups; several alternatives may define one
  std::vector<int> pref_key_groups;
  std::vector<int> pref_host_groups;
  std::vector<std::pair<std::string, int>> pref_fields;

  Pattern ignore;
  Pattern fail;
  std::vector<Branch> branches;

  pcre2_match_context* match_ctx = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;

  // The line with its date cut out; reused. It grows to the longest line seen instead of being
  // reserved for the longest possible one (64 KiB per filter: 650 KB of an idle 10-jail daemon).
  std::string work;

  // Sessions: LRU list (front = least recently used) + index.
  bool has_session = false;
  std::string session_key;
  size_t max_sessions = 1000;
  double max_age = 600;
  std::list<Session> lru;
  std::unordered_map<std::string, std::list<Session>::iterator> sessions;

  // True when every <NEED:...> regex takes its session key from the prefregex, so the key, and
  // with it the flags, are known before the failregexes run.
  bool need_gate_by_key = false;

  LineResult Process(std::string_view line, double now);
  bool NeedsMet(uint64_t hits, std::string_view text, double t) const;
  void SetFlags(Session* s, uint64_t flags);
  void DropOldest();
  Session* FindSession(std::string_view key, double t);
  Session* TouchSession(std::string_view key, double t);
};

namespace {

std::string_view Group(std::string_view subject, const PCRE2_SIZE* ov, int n) {
  if (ov[2 * size_t(n)] == PCRE2_UNSET) {
    return {};
  }
  return subject.substr(ov[2 * size_t(n)], ov[2 * size_t(n) + 1] - ov[2 * size_t(n)]);
}

// The first of `groups` that took part in the match (duplicate names: one per branch/alternative).
std::optional<std::string_view> FirstSet(std::string_view subject, const PCRE2_SIZE* ov,
                                         const std::vector<int>& groups) {
  for (int g : groups) {
    if (ov[2 * size_t(g)] != PCRE2_UNSET) {
      return Group(subject, ov, g);
    }
  }
  return std::nullopt;
}

}  // namespace

void Filter::Impl::SetFlags(Session* s, uint64_t flags) {
  uint64_t changed = s->flags ^ flags;
  for (int bit = 0; changed != 0; ++bit, changed >>= 1) {
    if ((changed & 1) == 0) {
      continue;
    }
    uint64_t mask = uint64_t{1} << bit;
    if ((flags & mask) != 0) {
      ++flag_sessions[size_t(bit)];
      live_flags |= mask;
    } else if (--flag_sessions[size_t(bit)] == 0) {
      live_flags &= ~mask;
    }
  }
  s->flags = flags;
}

void Filter::Impl::DropOldest() {
  SetFlags(&lru.front(), 0);
  sessions.erase(lru.front().key);
  lru.pop_front();
}

Session* Filter::Impl::FindSession(std::string_view key, double t) {
  auto it = sessions.find(std::string(key));
  if (it == sessions.end()) {
    return nullptr;
  }
  if (t - it->second->last > max_age) {
    SetFlags(&*it->second, 0);
    lru.erase(it->second);
    sessions.erase(it);
    return nullptr;
  }
  return &*it->second;
}

Session* Filter::Impl::TouchSession(std::string_view key, double t) {
  // Drop sessions that aged out, oldest first, so memory follows log time.
  while (!lru.empty() && t - lru.front().last > max_age) {
    DropOldest();
  }
  std::string k(key);
  auto it = sessions.find(k);
  if (it != sessions.end()) {
    lru.splice(lru.end(), lru, it->second);
    it->second->last = std::max(it->second->last, t);
    return &*it->second;
  }
  if (sessions.size() >= max_sessions && !lru.empty()) {
    DropOldest();
  }
  lru.push_back(Session{k, {}, {}, 0, t});
  auto last = std::prev(lru.end());
  sessions.emplace(std::move(k), last);
  return &*last;
}

// Called when the prefilter found only literals of <NEED:...> regexes (`hits` has bit 0 clear),
// so no other regex can match: when the line's session does not hold the flags of any group it
// hit, the failregexes could at best find a NEED branch that Process then drops, and running the
// alternation (a full miss on the tail of an "Accepted publickey" line) is wasted. Only reads the
// session table: a session that has aged out answers true, so that Process's own FindSession
// expires it exactly as before.
bool Filter::Impl::NeedsMet(uint64_t hits, std::string_view text, double t) const {
  const PCRE2_SIZE* pov = pref.ovector();
  std::optional<std::string_view> key = FirstSet(text, pov, pref_key_groups);
  if (!key || key->empty()) {
    return false;
  }
  auto it = sessions.find(std::string(*key));
  if (it == sessions.end()) {
    return false;
  }
  const Session& s = *it->second;
  if (t - s.last > max_age) {
    return true;
  }
  for (size_t g = 0; g < gate_needs.size(); ++g) {
    if (((hits >> (g + 1)) & 1) != 0 && (s.flags & gate_needs[g]) == gate_needs[g]) {
      return true;
    }
  }
  return false;
}

LineResult Filter::Impl::Process(std::string_view line, double now) {
  LineResult r;
  uint64_t hits = 1;  // literal groups found in the line; bit 0 (or no prefilter): run everything
  if (prefilter) {
    uint64_t open = 1;
    for (size_t g = 0; g < gate_needs.size(); ++g) {
      if ((live_flags & gate_needs[g]) == gate_needs[g]) {
        open |= uint64_t{2} << g;
      }
    }
    hits = literal_set.Hits(line, open);
    if (hits == 0) {
      r.kind = LineKind::kSkipped;
      return r;
    }
  }

  // Date: found, then cut out so that regexes see only the message.
  double time = now;
  std::string_view text = line;
  std::optional<DateMatch> dm;
  if (dates != nullptr && !dates->uses_no_date()) {
    dm = dates->Find(line, now);
  }
  if (dm.has_value() && dm->end <= line.size() && dm->begin <= dm->end) {
    time = dm->time;
    r.date_template = dm->name;
    size_t end = dm->end;
    if (dm->begin == 0) {
      while (end < line.size() && (line[end] == ' ' || line[end] == '\t')) {
        ++end;
      }
    }
    if (dm->begin == 0) {
      text = line.substr(end);  // the usual case: nothing before the date, no copy needed
    } else {
      work.assign(line.data(), dm->begin);
      work.append(line.data() + end, line.size() - end);
      text = work;
    }
  } else if (!no_date_now && (dates == nullptr || !dates->uses_no_date())) {
    r.kind = LineKind::kNoDate;
    return r;
  }

  r.kind = LineKind::kMissed;
  std::string_view subject = text;
  if (pref.valid()) {
    int rc = pref.Match(text, match_ctx);
    if (rc < 0) {
      r.limit_exceeded = IsLimit(rc);
      return r;
    }
    if (std::optional<std::string_view> content = FirstSet(text, pref.ovector(), pref_content)) {
      subject = *content;
    }
  }

  if (ignore.valid()) {
    int rc = ignore.Match(subject, match_ctx);
    if (rc >= 0) {
      r.kind = LineKind::kIgnored;
      return r;
    }
    if (IsLimit(rc)) {
      r.limit_exceeded = true;
    }
  }

  if (!fail.valid()) {
    return r;
  }
  if ((hits & 1) == 0 && need_gate_by_key && !NeedsMet(hits, text, time)) {
    return r;  // only <NEED:...> regexes could match, and this line's session lacks the flags
  }
  int rc = fail.Match(subject, match_ctx);
  if (rc < 0) {
    if (IsLimit(rc)) {
      r.limit_exceeded = true;
    }
    return r;
  }
  std::string_view mark = SafeMark(reinterpret_cast<const char*>(pcre2_get_mark(fail.data())));
  size_t bi = 0;
  for (char c : mark) {
    bi = bi * 10 + size_t(c - '0');
  }
  if (mark.empty() || bi >= branches.size()) {
    return r;
  }
  const Branch& b = branches[bi];
  const PCRE2_SIZE* ov = fail.ovector();
  const PCRE2_SIZE* pov = pref.valid() ? pref.ovector() : nullptr;

  std::optional<std::string_view> host = FirstSet(subject, ov, b.host_groups);
  if (!host && pov != nullptr) {
    host = FirstSet(text, pov, pref_host_groups);
  }
  std::optional<std::string_view> user = FirstSet(subject, ov, b.user_groups);
  std::optional<std::string_view> key;
  if (has_session) {
    key = FirstSet(subject, ov, b.key_groups);
    if (!key && pov != nullptr) {
      key = FirstSet(text, pov, pref_key_groups);
    }
  }

  Session* session = nullptr;
  if (key && !key->empty()) {
    session = FindSession(*key, time);
  }

  auto remember = [&]() {
    if (!key || key->empty()) {
      return;
    }
    Session* s = TouchSession(*key, time);
    if (host && !host->empty()) {
      s->host.assign(host->data(), host->size());
    }
    if (user && !user->empty()) {
      s->user.assign(user->data(), user->size());
    }
    SetFlags(s, s->flags | b.sets);
  };

  if (b.failregex_index < 0) {
    remember();
    r.kind = LineKind::kRemembered;
    return r;
  }
  if (b.needs != 0 && (session == nullptr || (session->flags & b.needs) != b.needs)) {
    return r;
  }

  std::string host_text;
  if (host && !host->empty()) {
    host_text.assign(host->data(), host->size());
  } else if (session != nullptr && !session->host.empty()) {
    host_text = session->host;
  } else {
    // A failure without a known host yet: keep what it says for a later line of the session.
    if (key && !key->empty()) {
      remember();
      r.kind = LineKind::kRemembered;
    }
    return r;
  }

  Failure f;
  f.host = std::move(host_text);
  Result<IpAddress> addr = IpAddress::Parse(f.host);
  if (addr.ok()) {
    f.address = *addr;
  }
  f.time = time;
  if (user) {
    f.user.assign(user->data(), user->size());
  } else if (session != nullptr) {
    f.user = session->user;
  }
  if (pov != nullptr) {
    for (const auto& [name, g] : pref_fields) {
      if (pov[2 * size_t(g)] != PCRE2_UNSET) {
        f.fields.emplace_back(name, std::string(Group(text, pov, g)));
      }
    }
  }
  for (const auto& field : b.field_groups) {
    const std::string& name = field.first;
    int g = field.second;
    if (ov[2 * size_t(g)] == PCRE2_UNSET) {
      continue;
    }
    std::string value(Group(subject, ov, g));
    auto it = std::find_if(f.fields.begin(), f.fields.end(),
                           [&](const auto& p) { return p.first == name; });
    if (it != f.fields.end()) {
      it->second = std::move(value);  // failregex captures override prefregex ones
    } else {
      f.fields.emplace_back(name, std::move(value));
    }
  }
  f.regex_index = b.failregex_index;
  if (session != nullptr) {
    // A counted failure uses up the session's flags: a pam_unix failure already counted by the
    // "Failed password" line after it must not count again when the user finally gets in.
    SetFlags(session, 0);
  }

  r.kind = LineKind::kFailure;
  r.regex_index = b.failregex_index;
  r.failure = std::move(f);
  return r;
}

// ---------------------------------------------------------------------------------------------

namespace {

struct Source {
  std::string key;  // "failregex[2]" etc.
  std::string regex;
};

Status CollectMode(const FilterDef& def, const std::string& name, std::set<std::string>* seen,
                   std::vector<Source>* fail, std::vector<Source>* ignore) {
  if (!seen->insert(name).second) {
    return Status::Ok();  // diamond or cycle: each mode once
  }
  auto it = def.modes.find(name);
  if (it == def.modes.end()) {
    return Status::InvalidArgument(def.source + ": no mode named '" + name + "'");
  }
  for (const std::string& inc : it->second.include) {
    PORTCULLIS_RETURN_IF_ERROR(CollectMode(def, inc, seen, fail, ignore));
  }
  for (size_t i = 0; i < it->second.failregex.size(); ++i) {
    fail->push_back(
        {"modes." + name + ".failregex[" + std::to_string(i) + "]", it->second.failregex[i]});
  }
  for (size_t i = 0; i < it->second.ignoreregex.size(); ++i) {
    ignore->push_back(
        {"modes." + name + ".ignoreregex[" + std::to_string(i) + "]", it->second.ignoreregex[i]});
  }
  return Status::Ok();
}

// Expands and checks one regex; errors name the file and the key. The raw text is compiled first
// so that a syntax error's offset points into what the user wrote.
Result<std::string> Prepare(const FilterDef& def, const Source& src, std::vector<std::string>* sets,
                            std::vector<std::string>* needs, bool inline_tags) {
  std::string where = def.source + ": " + src.key;
  std::string expanded;
  Expander ex(def.vars, sets, needs, inline_tags);
  Status st = ex.Expand(src.regex, &expanded, 0);
  if (!st.ok()) {
    return Status::InvalidArgument(where + ": " + st.message());
  }
  Result<CodePtr> raw = CompileOne(src.regex, where, false);
  if (!raw.ok()) {
    return raw.status();
  }
  Result<CodePtr> full = CompileOne(expanded, where + " (after expanding vars and tags)");
  if (!full.ok()) {
    return full.status();
  }
  return expanded;
}

}  // namespace

Result<std::unique_ptr<Filter>> Filter::Compile(const FilterDef& def, std::string_view mode_arg,
                                                const FilterOptions& options) {
  // Address tags call the DEFINE subroutines rather than carrying inline copies: the copies
  // were not measurably faster (matcher_bench, filter_throughput) but made every tag its own
  // JIT code, about 40 KB of resident memory per filter.
  return CompileImpl(def, mode_arg, options, /*inline_tags=*/false);
}

Result<std::unique_ptr<Filter>> Filter::CompileImpl(const FilterDef& def, std::string_view mode_arg,
                                                    const FilterOptions& options,
                                                    bool inline_tags) {
  auto impl = std::make_unique<Impl>();
  impl->source = def.source;

  std::vector<Source> fail, ignore;
  for (size_t i = 0; i < def.failregex.size(); ++i) {
    fail.push_back({"failregex[" + std::to_string(i) + "]", def.failregex[i]});
  }
  for (size_t i = 0; i < def.ignoreregex.size(); ++i) {
    ignore.push_back({"ignoreregex[" + std::to_string(i) + "]", def.ignoreregex[i]});
  }
  std::string mode(mode_arg.empty() ? def.default_mode : std::string(mode_arg));
  if (!mode.empty()) {
    std::set<std::string> seen;
    PORTCULLIS_RETURN_IF_ERROR(CollectMode(def, mode, &seen, &fail, &ignore));
  }
  if (fail.empty()) {
    return Status::InvalidArgument(def.source + ": no failregex");
  }

  std::vector<Source> remember;
  if (def.has_session) {
    for (size_t i = 0; i < def.session.remember.size(); ++i) {
      remember.push_back({"session.remember[" + std::to_string(i) + "]", def.session.remember[i]});
    }
    impl->has_session = true;
    impl->session_key = def.session.key;
    impl->max_sessions = size_t(std::max(1, def.session.max_sessions));
    impl->max_age = def.session.max_age;
  }

  // Flags are bits, numbered in order of first appearance.
  std::vector<std::string> flag_names;
  auto flag_bits = [&](const std::vector<std::string>& names, uint64_t* bits) -> Status {
    for (const std::string& n : names) {
      auto it = std::find(flag_names.begin(), flag_names.end(), n);
      size_t idx = size_t(it - flag_names.begin());
      if (it == flag_names.end()) {
        if (flag_names.size() >= 64) {
          return Status::InvalidArgument("more than 64 session flags");
        }
        flag_names.push_back(n);
      }
      *bits |= uint64_t(1) << idx;
    }
    return Status::Ok();
  };

  // failregexes then remember regexes, one combined pattern. Regexes with <NEED:...> go last:
  // when a line matches one with and one without, the one without decides (a NEED regex whose
  // flag is missing would otherwise hide a later regex that matches the same line).
  std::string combined = "(?:";
  bool prefilter = true;
  std::vector<std::string> all_literals;
  std::vector<uint8_t> literal_groups;
  std::vector<const Source*> all;
  all.reserve(fail.size() + remember.size());
  for (const Source& s : fail) {
    all.push_back(&s);
  }
  for (const Source& s : remember) {
    all.push_back(&s);
  }
  std::vector<std::string> expanded(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    std::vector<std::string> sets, needs;
    Result<std::string> exp = Prepare(def, *all[i], &sets, &needs, inline_tags);
    if (!exp.ok()) {
      return exp.status();
    }
    if ((!sets.empty() || !needs.empty()) && !def.has_session) {
      return Status::InvalidArgument(def.source + ": " + all[i]->key +
                                     ": <SET:...>/<NEED:...> need a [session] section");
    }
    Branch b;
    b.failregex_index = i < fail.size() ? int(i) : -1;
    PORTCULLIS_RETURN_IF_ERROR(flag_bits(sets, &b.sets));
    PORTCULLIS_RETURN_IF_ERROR(flag_bits(needs, &b.needs));
    impl->branches.push_back(std::move(b));
    std::string lit = RequiredLiteral(*exp);
    if (lit.size() < 3) {
      prefilter = false;
    } else {
      // Up to 63 flag sets get their own group; any beyond share the always-searched group 0.
      uint64_t needs = impl->branches.back().needs;
      uint8_t group = 0;
      if (needs != 0) {
        auto g = std::find(impl->gate_needs.begin(), impl->gate_needs.end(), needs);
        if (g == impl->gate_needs.end() && impl->gate_needs.size() < 63) {
          impl->gate_needs.push_back(needs);
          g = std::prev(impl->gate_needs.end());
        }
        if (g != impl->gate_needs.end()) {
          group = uint8_t(1 + (g - impl->gate_needs.begin()));
        }
      }
      literal_groups.push_back(group);
      all_literals.push_back(lit);
      if (std::find(impl->literals.begin(), impl->literals.end(), lit) == impl->literals.end()) {
        impl->literals.push_back(lit);
      }
    }
    expanded[i] = std::move(*exp);
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < all.size(); ++i) {
    if (impl->branches[i].needs == 0) {
      order.push_back(i);
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (impl->branches[i].needs != 0) {
      order.push_back(i);
    }
  }
  for (size_t k = 0; k < order.size(); ++k) {
    if (k > 0) {
      combined += "|";
    }
    // (?:...) around each regex keeps inline options such as (?i) inside their own branch.
    combined += "(*MARK:" + std::to_string(order[k]) + ")(?:" + expanded[order[k]] + ")";
  }
  combined += ")";
  for (const Source& s : fail) {
    impl->failregexes.push_back(s.regex);
  }
  for (const Source& s : ignore) {
    impl->ignoreregexes.push_back(s.regex);
  }

  // When every regex starts with ^, say so: PCRE2 does not see through the (*MARK) in front of
  // each ^ and would otherwise retry the whole alternation at every position of the line.
  bool all_anchored = std::all_of(expanded.begin(), expanded.end(),
                                  [](const std::string& e) { return !e.empty() && e[0] == '^'; });
  Result<CodePtr> code = CompileOne(combined, def.source + ": failregex (combined)", true,
                                    all_anchored ? PCRE2_ANCHORED : 0);
  if (!code.ok()) {
    return code.status();
  }
  // Group numbers run in branch order: branch i owns the numbers after those of branches < i.
  std::vector<std::pair<int, int>> ranges(all.size());  // [first, last] group numbers per branch
  int next_group = 1;
  for (size_t i : order) {
    Result<CodePtr> one = CompileOne(expanded[i], def.source);
    if (!one.ok()) {
      return one.status();
    }
    int n = int(CaptureCount(one->get())) - kDefineGroups;
    ranges[i] = {next_group, next_group + n - 1};
    next_group += n;
  }
  for (const auto& [name, nums] : NameTable(code->get())) {
    for (int g : nums) {
      for (size_t bi = 0; bi < ranges.size(); ++bi) {
        if (g < ranges[bi].first || g > ranges[bi].second) {
          continue;
        }
        Branch& b = impl->branches[bi];
        if (name == "host") {
          b.host_groups.push_back(g);
        } else if (name == "user") {
          b.user_groups.push_back(g);
        } else {
          if (impl->has_session && name == impl->session_key) {
            b.key_groups.push_back(g);
          }
          b.field_groups.push_back({name, g});
        }
      }
    }
  }
  impl->fail.Reset(std::move(*code), options.jit_after);

  if (!ignore.empty()) {
    std::string ign = "(?:";
    for (size_t i = 0; i < ignore.size(); ++i) {
      Result<std::string> exp = Prepare(def, ignore[i], nullptr, nullptr, inline_tags);
      if (!exp.ok()) {
        return exp.status();
      }
      if (i > 0) {
        ign += "|";
      }
      ign += "(?:" + *exp + ")";
    }
    ign += ")";
    Result<CodePtr> icode = CompileOne(ign, def.source + ": ignoreregex (combined)");
    if (!icode.ok()) {
      return icode.status();
    }
    impl->ignore.Reset(std::move(*icode), options.jit_after);
  }

  if (!def.prefregex.empty()) {
    Result<std::string> exp =
        Prepare(def, {"prefregex", def.prefregex}, nullptr, nullptr, inline_tags);
    if (!exp.ok()) {
      return exp.status();
    }
    Result<CodePtr> pcode = CompileOne(*exp, def.source + ": prefregex");
    if (!pcode.ok()) {
      return pcode.status();
    }
    for (const auto& [name, nums] : NameTable(pcode->get())) {
      if (name == "content") {
        impl->pref_content = nums;
      } else if (name == "host") {
        impl->pref_host_groups = nums;
      } else {
        if (impl->has_session && name == impl->session_key) {
          impl->pref_key_groups = nums;
        }
        for (int g : nums) {
          impl->pref_fields.push_back({name, g});
        }
      }
    }
    impl->pref.Reset(std::move(*pcode), options.jit_after);
  }

  if (impl->has_session) {
    bool key_found = !impl->pref_key_groups.empty();
    for (const Branch& b : impl->branches) {
      key_found = key_found || !b.key_groups.empty();
    }
    if (!key_found) {
      return Status::InvalidArgument(def.source + ": session.key: no regex has a group named '" +
                                     impl->session_key + "'");
    }
  }

  impl->prefilter = prefilter;
  if (prefilter) {
    impl->literal_set.Build(all_literals, literal_groups);
    impl->need_gate_by_key = impl->has_session && impl->pref.valid() &&
                             !impl->pref_key_groups.empty() &&
                             std::all_of(impl->branches.begin(), impl->branches.end(),
                                         [](const Branch& b) {
                                           return b.needs == 0 || b.key_groups.empty();
                                         });
  } else {
    impl->literals.clear();
    impl->gate_needs.clear();
  }

  std::string datepattern = options.datepattern.empty() ? def.datepattern : options.datepattern;
  Result<std::unique_ptr<DateDetector>> dd = DateDetector::Create(datepattern, options.logtimezone);
  if (!dd.ok()) {
    return Status::InvalidArgument(def.source + ": datepattern: " + dd.status().message());
  }
  impl->dates = std::move(*dd);
  impl->no_date_now = def.no_date == NoDatePolicy::kNow;

  impl->match_ctx = pcre2_match_context_create(nullptr);
  impl->jit_stack = pcre2_jit_stack_create(size_t{32} * 1024, size_t{512} * 1024, nullptr);
  if (impl->match_ctx == nullptr || impl->jit_stack == nullptr) {
    return Status::Unavailable("out of memory creating a PCRE2 match context");
  }
  pcre2_set_match_limit(impl->match_ctx, options.match_limit);
  pcre2_set_depth_limit(impl->match_ctx, options.depth_limit);
  pcre2_jit_stack_assign(impl->match_ctx, nullptr, impl->jit_stack);

  return std::unique_ptr<Filter>(new Filter(std::move(impl)));
}

Filter::Filter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Filter::~Filter() = default;

LineResult Filter::Process(std::string_view line, double now) { return impl_->Process(line, now); }
const std::vector<std::string>& Filter::failregexes() const { return impl_->failregexes; }
const std::vector<std::string>& Filter::ignoreregexes() const { return impl_->ignoreregexes; }
bool Filter::prefilter_enabled() const { return impl_->prefilter; }
const std::vector<std::string>& Filter::prefilter_literals() const { return impl_->literals; }
size_t Filter::session_count() const { return impl_->sessions.size(); }
size_t Filter::jit_pattern_count() const {
  return size_t(impl_->pref.jit()) + size_t(impl_->ignore.jit()) + size_t(impl_->fail.jit());
}

}  // namespace portcullis
