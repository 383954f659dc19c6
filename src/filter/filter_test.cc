#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter/filter.h"

#include <gtest/gtest.h>
#include <pcre2.h>

#include <cstdint>
#include <string>
#include <vector>

#include "filter/literal_set.h"
#include "filters/filter_test_util.h"

namespace portcullis {
namespace {

// A dateless filter: every line gets the time `now`, so tests step time through `now`.
FilterDef Def(std::vector<std::string> failregex) {
  FilterDef def;
  def.name = "t";
  def.source = "t.toml";
  def.failregex = std::move(failregex);
  def.datepattern = "none";
  def.no_date = NoDatePolicy::kNow;
  return def;
}

std::unique_ptr<Filter> MustCompile(const FilterDef& def, std::string_view mode = "",
                                    const FilterOptions& options = {}) {
  Result<std::unique_ptr<Filter>> f = Filter::Compile(def, mode, options);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(*f) : nullptr;
}

std::string HostOf(Filter& f, std::string_view line, double now = 1000) {
  LineResult r = f.Process(line, now);
  return r.kind == LineKind::kFailure ? r.failure->host
                                      : "<" + std::string(LineKindName(r.kind)) + ">";
}

TEST(FilterTags, HostMatchesAddressesAndNames) {
  auto f = MustCompile(Def({"^bad login from <HOST>(?: port \\d+)?$"}));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(HostOf(*f, "bad login from 192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(HostOf(*f, "bad login from 2001:db8::1 port 22"), "2001:db8::1");
  EXPECT_EQ(HostOf(*f, "bad login from [2001:db8::2]"), "2001:db8::2");
  EXPECT_EQ(HostOf(*f, "bad login from [192.0.2.3]"), "192.0.2.3");
  EXPECT_EQ(HostOf(*f, "bad login from ::ffff:192.0.2.4"), "::ffff:192.0.2.4");
  EXPECT_EQ(HostOf(*f, "bad login from fe80::1%eth0"), "fe80::1");
  EXPECT_EQ(HostOf(*f, "bad login from 1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(HostOf(*f, "bad login from ::1"), "::1");
  EXPECT_EQ(HostOf(*f, "bad login from mail.example.org"), "mail.example.org");
  // Not addresses, and not host names either.
  EXPECT_EQ(HostOf(*f, "bad login from 1.2.3.4.5"), "<missed>");
  EXPECT_EQ(HostOf(*f, "bad login from 192.0.2.300"), "<missed>");
}

TEST(FilterTags, RegexMayWriteItsOwnBrackets) {
  auto f = MustCompile(Def({"^connect from \\S+\\[<HOST>\\]: rejected$"}));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(HostOf(*f, "connect from unknown[192.0.2.44]: rejected"), "192.0.2.44");
  EXPECT_EQ(HostOf(*f, "connect from mx.example.com[2001:db8::44]: rejected"), "2001:db8::44");
}

TEST(FilterTags, AddressIsParsedForIpsOnly) {
  auto f = MustCompile(Def({"^x <HOST>$"}));
  ASSERT_NE(f, nullptr);
  LineResult r = f->Process("x ::ffff:192.0.2.9", 0);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  ASSERT_TRUE(r.failure->address.has_value());
  EXPECT_EQ(r.failure->address->ToString(), "192.0.2.9");
  r = f->Process("x host.example.net", 0);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_FALSE(r.failure->address.has_value());
  EXPECT_EQ(r.failure->host, "host.example.net");
}

TEST(FilterTags, AddrIp4Ip6SubnetCidr) {
  auto addr = MustCompile(Def({"^a <ADDR>$"}));
  ASSERT_NE(addr, nullptr);
  EXPECT_EQ(HostOf(*addr, "a 198.51.100.2"), "198.51.100.2");
  EXPECT_EQ(HostOf(*addr, "a example.com"), "<missed>");
  auto ip4 = MustCompile(Def({"^a <IP4>$"}));
  ASSERT_NE(ip4, nullptr);
  EXPECT_EQ(HostOf(*ip4, "a 2001:db8::1"), "<missed>");
  EXPECT_EQ(HostOf(*ip4, "a 203.0.113.7"), "203.0.113.7");
  auto ip6 = MustCompile(Def({"^a <IP6>$"}));
  ASSERT_NE(ip6, nullptr);
  EXPECT_EQ(HostOf(*ip6, "a 203.0.113.7"), "<missed>");
  EXPECT_EQ(HostOf(*ip6, "a 2001:db8:1:2:3:4:5:6"), "2001:db8:1:2:3:4:5:6");
  auto subnet = MustCompile(Def({"^net <SUBNET>$"}));
  ASSERT_NE(subnet, nullptr);
  LineResult r = subnet->Process("net 192.0.2.0/24", 0);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.failure->host, "192.0.2.0");
  ASSERT_EQ(r.failure->fields.size(), 1u);
  EXPECT_EQ(r.failure->fields[0], (std::pair<std::string, std::string>("cidr", "24")));
}

// Many host tags exceed PCRE2's pattern size when the address patterns are copied into each tag;
// Compile then falls back to calling them as subroutines.
TEST(FilterTags, ManyHostTagsStillCompile) {
  std::vector<std::string> regexes;
  for (int i = 0; i < 120; ++i) {
    regexes.push_back("^event" + std::to_string(i) + " from <HOST> to <HOST>$");
  }
  auto f = MustCompile(Def(regexes));
  ASSERT_NE(f, nullptr);
  LineResult r = f->Process("event117 from 2001:db8::5 to 192.0.2.1", 0);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.regex_index, 117);
  EXPECT_EQ(r.failure->host, "2001:db8::5");
}

TEST(FilterTags, AddressIsAWholeToken) {
  auto f = MustCompile(Def({"<IP4>"}));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(HostOf(*f, "v1.2.3.4"), "<missed>");
  EXPECT_EQ(HostOf(*f, "1.2.3.4.5"), "<missed>");
  EXPECT_EQ(HostOf(*f, "11.2.3.4x"), "<missed>");
  EXPECT_EQ(HostOf(*f, "at 10.0.0.1."), "10.0.0.1");
  EXPECT_EQ(HostOf(*f, "[10.0.0.2]:22"), "10.0.0.2");
}

TEST(FilterExpand, VarsNestAndGroupsStayUntouched) {
  std::map<std::string, std::string> vars = {{"a", "x<b>"}, {"b", "y"}};
  Result<std::string> r = ExpandRegex("(?<user>\\S+) (?P<n>.) \\k<user> \\g<n> \\<lt> <a>", vars);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "(?<user>\\S+) (?P<n>.) \\k<user> \\g<n> \\<lt> xy");
  // Lookbehinds and classes are not tags.
  r = ExpandRegex("(?<=a)(?<!b)[<a>]", vars);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "(?<=a)(?<!b)[<a>]");
}

TEST(FilterExpand, Errors) {
  std::map<std::string, std::string> vars = {{"a", "<b>"}, {"b", "<a>"}};
  EXPECT_EQ(ExpandRegex("<a>", vars).status().message(), "var cycle: a -> b -> a");
  EXPECT_EQ(ExpandRegex("<nope>", vars).status().message(),
            "unknown var <nope> (define it in [vars], or write \\< for a literal '<')");
  EXPECT_EQ(ExpandRegex("<HOSTS>", vars).status().message(),
            "unknown tag <HOSTS> (tags: HOST, ADDR, IP4, IP6, CIDR, SUBNET, SET:flag, NEED:flag; "
            "write \\< for a literal '<')");
  std::vector<std::string> sets, needs;
  ASSERT_TRUE(ExpandRegex("a<SET:x>b<NEED:y>", {}, &sets, &needs).ok());
  EXPECT_EQ(sets, std::vector<std::string>{"x"});
  EXPECT_EQ(needs, std::vector<std::string>{"y"});
}

TEST(FilterCompile, RegexErrorsNameFileKeyMessageAndOffset) {
  FilterDef def = Def({"^ok <HOST>$", "^broken (<HOST>$"});
  Result<std::unique_ptr<Filter>> f = Filter::Compile(def, "", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "t.toml: failregex[1]: missing closing parenthesis at offset 16");
  def = Def({"^ok <HOST>$"});
  def.modes["more"].failregex = {"^fine <HOST>$", "x<nope>"};
  f = Filter::Compile(def, "more", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "t.toml: modes.more.failregex[1]: unknown var <nope> (define it in [vars], or write "
            "\\< for a literal '<')");
  f = Filter::Compile(def, "missing", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "t.toml: no mode named 'missing'");
}

TEST(FilterMatch, FirstBranchDecidesAndCapturesAreKept) {
  FilterDef def = Def(
      {"^auth failed for (?<user>\\S+) from <HOST> via (?<iface>\\w+)$", "^probe from <HOST>$"});
  def.ignoreregex = {"from 192\\.0\\.2\\.99"};
  auto f = MustCompile(def);
  ASSERT_NE(f, nullptr);
  LineResult r = f->Process("auth failed for eve from 203.0.113.5 via eth1", 42);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.regex_index, 0);
  EXPECT_EQ(r.failure->user, "eve");
  EXPECT_EQ(r.failure->time, 42);
  ASSERT_EQ(r.failure->fields.size(), 1u);
  EXPECT_EQ(r.failure->fields[0].first, "iface");
  EXPECT_EQ(r.failure->fields[0].second, "eth1");
  r = f->Process("probe from 2001:db8::7", 42);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.regex_index, 1);
  EXPECT_EQ(r.failure->host, "2001:db8::7");
  EXPECT_EQ(f->Process("probe from 192.0.2.99", 42).kind, LineKind::kIgnored);
  EXPECT_EQ(f->Process("probe at 192.0.2.98", 42).kind, LineKind::kSkipped);  // no literal
  EXPECT_EQ(f->Process("probe from nowhere!", 42).kind, LineKind::kMissed);
}

TEST(FilterMatch, PrefregexContentNarrowsAndAnchors) {
  FilterDef def = Def({"^denied <HOST>$"});
  def.prefregex = "^\\S+ app\\[(?<pid>\\d+)\\]: (?<content>.+)$";
  auto f = MustCompile(def);
  ASSERT_NE(f, nullptr);
  LineResult r = f->Process("host app[7]: denied 192.0.2.5", 0);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  ASSERT_EQ(r.failure->fields.size(), 1u);
  EXPECT_EQ(r.failure->fields[0].second, "7");
  // ^ anchors at the start of the content: text before it cannot take part.
  EXPECT_EQ(f->Process("host other[7]: denied 192.0.2.5", 0).kind, LineKind::kMissed);
}

TEST(FilterMatch, ModesAddRegexesAndIncludeOthers) {
  FilterDef def = Def({"^base <HOST>$"});
  def.modes["normal"] = {};
  def.modes["ddos"].failregex = {"^flood <HOST>$"};
  def.modes["extra"].failregex = {"^odd <HOST>$"};
  def.modes["aggressive"].include = {"normal", "ddos", "extra"};
  def.default_mode = "normal";
  auto normal = MustCompile(def);
  auto aggressive = MustCompile(def, "aggressive");
  ASSERT_NE(normal, nullptr);
  ASSERT_NE(aggressive, nullptr);
  EXPECT_EQ(normal->failregexes().size(), 1u);
  EXPECT_EQ(aggressive->failregexes().size(), 3u);
  EXPECT_EQ(HostOf(*normal, "flood 192.0.2.1"), "<skipped>");
  EXPECT_EQ(HostOf(*aggressive, "flood 192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(HostOf(*aggressive, "odd 192.0.2.2"), "192.0.2.2");
}

TEST(FilterMatch, InjectedAddressInUserTextIsNotTheHost) {
  auto f = MustCompile(Def({"^Invalid user (?<user>.*?) from <HOST> port \\d+$"}));
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(HostOf(*f, "Invalid user x from 192.0.2.66 port 22 from 198.51.100.8 port 4"),
            "198.51.100.8");
  EXPECT_EQ(HostOf(*f, "Invalid user root from 198.51.100.1 from 203.0.113.8 port 4"),
            "203.0.113.8");
}

TEST(FilterMatch, NoDateSkipsUnlessNow) {
  FilterDef def = Def({"^bad <HOST>$"});
  def.datepattern = "";  // auto detection; the line has no date
  def.no_date = NoDatePolicy::kSkip;
  auto skip = MustCompile(def);
  ASSERT_NE(skip, nullptr);
  EXPECT_EQ(skip->Process("bad 192.0.2.1", 5).kind, LineKind::kNoDate);
  def.no_date = NoDatePolicy::kNow;
  auto now = MustCompile(def);
  ASSERT_NE(now, nullptr);
  LineResult r = now->Process("bad 192.0.2.1", 5);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.failure->time, 5);
}

// ^(a+)+$ on "aaa...ab" backtracks exponentially; the match limit must stop it.
TEST(FilterLimits, CatastrophicBacktrackingHitsTheMatchLimit) {
  FilterDef def = Def({"^(a+)+$"});
  auto f = MustCompile(def);
  ASSERT_NE(f, nullptr);
  std::string line(40, 'a');
  line += 'b';
  LineResult r = f->Process(line, 0);
  EXPECT_EQ(r.kind, LineKind::kMissed);
  EXPECT_TRUE(r.limit_exceeded);
}

// The same bound, checked on PCRE2's own result code with the settings Filter uses.
TEST(FilterLimits, Pcre2ReportsMatchLimitForPathologicalPattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  const char* pattern = "^(a+)+$";
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED, 0,
                                   &err, &off, nullptr);
  ASSERT_NE(code, nullptr);
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(ctx, FilterOptions().match_limit);
  pcre2_set_depth_limit(ctx, FilterOptions().depth_limit);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  std::string subject(40, 'a');
  subject += 'b';
  int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0, 0, md,
                       ctx);
  EXPECT_TRUE(rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT) << rc;
  pcre2_match_data_free(md);
  pcre2_match_context_free(ctx);
  pcre2_code_free(code);
}

TEST(FilterPrefilter, RequiredLiteral) {
  EXPECT_EQ(RequiredLiteral("^Failed password for (?<user>.*) from"), "Failed password for ");
  EXPECT_EQ(RequiredLiteral("abc\\.def\\[x"), "abc.def[x");
  EXPECT_EQ(RequiredLiteral("ab?cdef"), "cdef");
  EXPECT_EQ(RequiredLiteral("abx+yz"), "abx");
  EXPECT_EQ(RequiredLiteral("a|bcdef"), "");
  EXPECT_EQ(RequiredLiteral("(?i)abcdef"), "");
  EXPECT_EQ(RequiredLiteral("(?:optional text)?xy\\d+"), "xy");
  EXPECT_EQ(RequiredLiteral("[abc]defg{2,3}h"), "defg");
  EXPECT_EQ(RequiredLiteral("[abc]defg{0,3}h"), "def");
  EXPECT_EQ(RequiredLiteral("x{abc}"), "x{abc}");
  EXPECT_EQ(RequiredLiteral("\\x41bc\\QLIT\\Eword"), "word");
}

TEST(FilterPrefilter, SkipsLinesWithoutLiteralsAndDisablesWhenNone) {
  auto f = MustCompile(Def({"^Failed login from <HOST>$", "^Bad thing <HOST>$"}));
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->prefilter_enabled());
  EXPECT_EQ(f->Process("unrelated line", 0).kind, LineKind::kSkipped);
  EXPECT_EQ(f->Process("Bad thing here!", 0).kind, LineKind::kMissed);
  auto off = MustCompile(Def({"^Failed login from <HOST>$", "^\\w+ <HOST>$"}));
  ASSERT_NE(off, nullptr);
  EXPECT_FALSE(off->prefilter_enabled());
  EXPECT_EQ(off->Process("unrelated line!", 0).kind, LineKind::kMissed);
}

TEST(LiteralSet, FindsAnyLiteralAnywhere) {
  LiteralSet s;
  s.Build({"Failed ", "Invalid user", "abc"});
  EXPECT_TRUE(s.Search("xx Failed password"));
  EXPECT_TRUE(s.Search("Invalid user"));
  EXPECT_TRUE(s.Search("zzabc"));
  EXPECT_TRUE(s.Search("abc"));
  EXPECT_FALSE(s.Search("ab"));
  EXPECT_FALSE(s.Search("Failed"));
  EXPECT_FALSE(s.Search(std::string_view("a\0bc", 4)));
  EXPECT_FALSE(s.Search(""));
  LiteralSet empty;
  empty.Build({});
  EXPECT_FALSE(empty.Search("anything"));
}

// Against a plain std::string_view::find on pseudo-random text over a small alphabet, so that
// near misses, overlaps and shared blocks all happen; shortest literals of 3 and 4 bytes.
TEST(LiteralSet, AgreesWithNaiveSearch) {
  const std::vector<std::vector<std::string>> sets = {
      {"abca", "bcab", "aabbcc", "cabcabca"}, {"abc", "cabba", "bb a"}, {"ab c", "b ca"}};
  uint32_t seed = 12345;
  auto next = [&seed]() {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  for (const auto& literals : sets) {
    LiteralSet s;
    s.Build(literals);
    for (int i = 0; i < 3000; ++i) {
      std::string text;
      size_t len = next() % 24;
      for (size_t j = 0; j < len; ++j) {
        text.push_back("abc "[next() % 4]);
      }
      bool want = false;
      for (const std::string& l : literals) {
        want = want || text.find(l) != std::string::npos;
      }
      EXPECT_EQ(s.Search(text), want) << text;
    }
  }
}

// Many literals over all 256 byte values: the hashed tables then hold blocks that share a slot
// and buckets that mix literals with different final blocks; none of that may change the answer.
TEST(LiteralSet, AgreesWithNaiveSearchWhenBlocksShareSlots) {
  uint32_t seed = 777;
  auto next = [&seed]() {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  for (size_t count : {3u, 40u, 400u, 5000u}) {
    std::vector<std::string> literals;
    for (size_t i = 0; i < count; ++i) {
      std::string l;
      size_t len = 3 + next() % 4;
      for (size_t j = 0; j < len; ++j) {
        // Mostly a few bytes, so texts hit literals; sometimes any byte, so slots collide.
        l.push_back(static_cast<char>(next() % 4 == 0 ? next() % 256 : "ab\x80\xff"[next() % 4]));
      }
      literals.push_back(l);
    }
    LiteralSet s;
    s.Build(literals);
    for (int i = 0; i < 2000; ++i) {
      std::string text;
      size_t len = next() % 40;
      for (size_t j = 0; j < len; ++j) {
        text.push_back(
            static_cast<char>(next() % 3 == 0 ? next() % 256 : "ab\x80\xff"[next() % 4]));
      }
      bool want = false;
      for (const std::string& l : literals) {
        want = want || text.find(l) != std::string::npos;
      }
      ASSERT_EQ(s.Search(text), want) << count << " literals, text of " << text.size();
    }
  }
}

TEST(LiteralSet, GroupsCanBeSwitchedOff) {
  LiteralSet s;
  s.Build({"always", "gated"}, {0, 3});
  EXPECT_TRUE(s.Search("x always", 1));
  EXPECT_FALSE(s.Search("x gated", 1));
  EXPECT_TRUE(s.Search("x gated", 1 | (1u << 3)));
  EXPECT_TRUE(s.Search("gated then always", 1));  // a closed hit does not end the scan
}

TEST(LiteralSet, HitsNamesTheGroupsFound) {
  LiteralSet s;
  s.Build({"always", "gated", "other"}, {0, 3, 5});
  const uint64_t all = 1 | (1u << 3) | (1u << 5);
  EXPECT_EQ(s.Hits("nothing here", all), 0u);
  EXPECT_EQ(s.Hits("x gated y other", all), (1u << 3) | (1u << 5));
  EXPECT_EQ(s.Hits("x gated y other", 1 | (1u << 5)), 1u << 5);  // closed groups are not named
  EXPECT_EQ(s.Hits("x gated", all), 1u << 3);
  EXPECT_NE(s.Hits("gated always", all) & 1, 0u);
}

FilterDef SessionDef() {
  FilterDef def = Def({"^\\[(?<pid>\\d+)\\] too many failures$",
                       "^\\[(?<pid>\\d+)\\] gave up from <HOST>$<NEED:locked>"});
  def.has_session = true;
  def.session.key = "pid";
  def.session.max_sessions = 2;
  def.session.max_age = 60;
  def.session.remember = {"^\\[(?<pid>\\d+)\\] connect from <HOST>$",
                          "^\\[(?<pid>\\d+)\\] account (?<user>\\S+) locked$<SET:locked>"};
  return def;
}

TEST(FilterSession, HostFromEarlierLineOfTheSameSession) {
  auto f = MustCompile(SessionDef());
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->Process("[1] connect from 192.0.2.1", 100).kind, LineKind::kRemembered);
  EXPECT_EQ(HostOf(*f, "[2] too many failures", 101), "<remembered>");
  EXPECT_EQ(HostOf(*f, "[1] too many failures", 102), "192.0.2.1");
}

TEST(FilterSession, FlagRequiredAndConsumed) {
  auto f = MustCompile(SessionDef());
  ASSERT_NE(f, nullptr);
  // No session holds "locked": the prefilter does not even let the line through.
  EXPECT_EQ(HostOf(*f, "[5] gave up from 192.0.2.5", 100), "<skipped>");
  f->Process("[6] account bob locked", 101);
  EXPECT_EQ(HostOf(*f, "[5] gave up from 192.0.2.5", 101), "<missed>");  // [6] holds it, not [5]
  f->Process("[5] account root locked", 101);
  LineResult r = f->Process("[5] gave up from 192.0.2.5", 102);
  ASSERT_EQ(r.kind, LineKind::kFailure);
  EXPECT_EQ(r.failure->host, "192.0.2.5");
  EXPECT_EQ(r.failure->user, "root");                                    // from the session
  EXPECT_EQ(HostOf(*f, "[5] gave up from 192.0.2.5", 103), "<missed>");  // used up; [6] still waits
}

// The session key comes from the prefregex: the flags are checked before the failregexes run,
// and the outcome must be the same as running them.
TEST(FilterSession, NeedCheckedBeforeTheFailregexes) {
  FilterDef def = Def({"^too many failures$", "^gave up from <HOST>$<NEED:locked>",
                       "^quit from <HOST>$<NEED:quit>"});
  def.prefregex = "^app\\[(?<pid>\\d+)\\]: (?<content>.+)$";
  def.has_session = true;
  def.session.key = "pid";
  def.session.max_sessions = 10;
  def.session.max_age = 60;
  def.session.remember = {"^account (?<user>\\S+) locked$<SET:locked>",
                          "^account (?<user>\\S+) quit$<SET:quit>"};
  auto f = MustCompile(def);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(HostOf(*f, "app[5]: gave up from 192.0.2.5", 100), "<skipped>");
  f->Process("app[6]: account bob locked", 100);
  EXPECT_EQ(HostOf(*f, "app[5]: gave up from 192.0.2.5", 101), "<missed>");   // no session
  f->Process("app[5]: account ann quit", 101);
  EXPECT_EQ(HostOf(*f, "app[5]: gave up from 192.0.2.5", 101), "<missed>");   // wrong flag
  EXPECT_EQ(HostOf(*f, "app[6]: gave up from 192.0.2.6", 102), "192.0.2.6");  // right flag
  EXPECT_EQ(HostOf(*f, "app[5]: quit from 192.0.2.5", 102), "192.0.2.5");
  // An aged-out session is expired by the line, as without the check.
  f->Process("app[8]: account dee locked", 104);
  size_t before = f->session_count();
  EXPECT_EQ(HostOf(*f, "app[8]: gave up from 192.0.2.8", 200), "<missed>");
  EXPECT_EQ(f->session_count(), before - 1);
}

TEST(FilterSession, BoundedByCountAndAge) {
  auto f = MustCompile(SessionDef());
  ASSERT_NE(f, nullptr);
  f->Process("[1] connect from 192.0.2.1", 100);
  f->Process("[2] connect from 192.0.2.2", 101);
  f->Process("[3] connect from 192.0.2.3", 102);  // evicts [1], the oldest
  EXPECT_EQ(f->session_count(), 2u);
  EXPECT_EQ(HostOf(*f, "[1] too many failures", 103), "<remembered>");
  EXPECT_EQ(HostOf(*f, "[3] too many failures", 104), "192.0.2.3");
  // 61 s of log time later, [3] has aged out.
  EXPECT_EQ(HostOf(*f, "[3] too many failures", 166), "<remembered>");
}

TEST(FilterSession, SetAndNeedRequireASessionSection) {
  FilterDef def = Def({"^x <HOST>$<NEED:a>"});
  Result<std::unique_ptr<Filter>> f = Filter::Compile(def, "", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "t.toml: failregex[0]: <SET:...>/<NEED:...> need a [session] section");
  def = SessionDef();
  def.session.key = "nokey";
  f = Filter::Compile(def, "", {});
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "t.toml: session.key: no regex has a group named 'nokey'");
}

TEST(FilterMatch, InvalidUtf8AndNulBytesAreJustBytes) {
  auto f = MustCompile(Def({"^bad <HOST>$"}));
  ASSERT_NE(f, nullptr);
  std::string line("bad \xff\xfe\x00 192.0.2.1", 17);
  EXPECT_EQ(f->Process(line, 0).kind, LineKind::kMissed);
  EXPECT_EQ(HostOf(*f, "bad 192.0.2.1"), "192.0.2.1");
}

// ---------------------------------------------------------------------------------------------
// Tiered JIT: patterns run interpreted until FilterOptions::jit_after match calls.

bool JitAvailable() {
  uint32_t jit = 0;
  return pcre2_config(PCRE2_CONFIG_JIT, &jit) >= 0 && jit == 1;
}

// Every assertion below depends on whether PCRE2 has a JIT; on the architectures we ship for it
// has, and a PCRE2 built without it must not quietly turn the JIT tests into no-ops.
TEST(FilterJit, Pcre2HasAJitHere) {
#if defined(__x86_64__) || defined(__aarch64__)
  EXPECT_TRUE(JitAvailable());
#else
  GTEST_SUCCEED() << "JIT available: " << JitAvailable();
#endif
}

// prefregex, ignoreregex and failregex: three patterns, each reached by "host app[1]: ..." lines
// that are not ignored.
FilterDef ThreePatternDef() {
  FilterDef def = Def({"^denied (?<user>\\w+) from <HOST>$", "^probe from <HOST>$"});
  def.prefregex = "^\\S+ app\\[(?<pid>\\d+)\\]: (?<content>.+)$";
  def.ignoreregex = {"from 192\\.0\\.2\\.99$"};
  return def;
}

TEST(FilterJit, FreshFilterHasNoJitCodeUnlessAskedForAtOnce) {
  auto lazy = MustCompile(ThreePatternDef());
  ASSERT_NE(lazy, nullptr);
  EXPECT_GT(FilterOptions().jit_after, 0u);
  EXPECT_EQ(lazy->jit_pattern_count(), 0u);
  FilterOptions eager;
  eager.jit_after = 0;
  auto now = MustCompile(ThreePatternDef(), "", eager);
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->jit_pattern_count(), JitAvailable() ? 3u : 0u);
}

TEST(FilterJit, EachPatternIsJitCompiledAfterJitAfterMatchCalls) {
  const uint32_t n = FilterOptions().jit_after;
  const size_t all = JitAvailable() ? 3 : 0;
  auto f = MustCompile(ThreePatternDef());
  ASSERT_NE(f, nullptr);
  for (uint32_t i = 0; i + 1 < n; ++i) {
    ASSERT_EQ(f->Process("gw app[7]: denied eve from 203.0.113.5", 0).kind, LineKind::kFailure);
  }
  EXPECT_EQ(f->jit_pattern_count(), 0u);
  EXPECT_EQ(f->Process("gw app[7]: denied eve from 203.0.113.5", 0).kind, LineKind::kFailure);
  EXPECT_EQ(f->jit_pattern_count(), all);

  // Only match calls count, per pattern: skipped lines run no regex, and a prefregex miss runs
  // only the prefregex.
  auto g = MustCompile(ThreePatternDef());
  ASSERT_NE(g, nullptr);
  for (uint32_t i = 0; i < 2 * n; ++i) {
    ASSERT_EQ(g->Process("gw app[7]: nothing to see here", 0).kind, LineKind::kSkipped);
  }
  EXPECT_EQ(g->jit_pattern_count(), 0u);
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(g->Process("gw other[7]: denied eve from 203.0.113.5", 0).kind, LineKind::kMissed);
  }
  EXPECT_EQ(g->jit_pattern_count(), JitAvailable() ? 1u : 0u);
}

std::string Describe(const LineResult& r) {
  std::string out = std::string(LineKindName(r.kind)) + " regex=" + std::to_string(r.regex_index) +
                    " date=" + std::string(r.date_template) +
                    " limit=" + (r.limit_exceeded ? "yes" : "no");
  if (r.failure) {
    const Failure& f = *r.failure;
    for (const std::string& part :
         {" host=" + f.host, " addr=" + (f.address ? f.address->ToString() : "-"),
          " time=" + std::to_string(f.time), " user=" + f.user,
          " index=" + std::to_string(f.regex_index)}) {
      out += part;
    }
    for (const auto& [name, value] : f.fields) {
      out.append(" ").append(name).append("=").append(value);
    }
  }
  return out;
}

// The sshd filter (prefregex, combined failregex with sessions, <NEED:...> gating) on lines of
// every kind: a filter that switches to JIT half-way agrees line by line with one that never
// JIT-compiles and one that does at once, sessions included.
TEST(FilterJit, SameResultsInterpretedAndJitCompiled) {
  // Long lines are split into adjacent literals, which clang-tidy takes for missing commas.
  // NOLINTBEGIN(bugprone-suspicious-missing-comma)
  const std::vector<std::string> lines = {
      "Nov 22 10:00:01 gw sshd[1001]: Failed password for root from 192.0.2.10 port 40122 ssh2",
      "Nov 22 10:00:02 gw sshd[1002]: Failed password for invalid user oracle from 2001:db8::7 "
      "port 40123 ssh2",
      "2026-11-22T10:00:03.123456+00:00 gw sshd-session[2001]: Invalid user bob from "
      "198.51.100.4 port 51001",
      "Nov 22 10:00:04 gw sshd[3001]: Invalid user john smith from 198.51.100.30 port 41000",
      "Nov 22 10:00:05 gw sshd[4001]: Invalid user x from 192.0.2.66 port 22 from 203.0.113.1 "
      "port 23",
      "Nov 22 10:00:06 gw sshd[5003]: message repeated 3 times: [ Failed password for root from "
      "192.0.2.77 port 1 ssh2]",
      "Nov 22 10:00:07 gw sshd[8001]: Accepted publickey for deploy from 192.0.2.120 port 1 ssh2",
      "Nov 22 10:00:08 gw sshd[8001]: pam_unix(sshd:session): session opened for user deploy",
      "Nov 22 10:00:09 gw sshd[8003]: Received disconnect from 192.0.2.122 port 5:11: bye",
      "Nov 22 10:00:10 gw CRON[8005]: pam_unix(cron:session): session opened for user root",
      "Nov 22 10:00:11 gw sudo[8006]: Invalid user x from 192.0.2.124 port 1",
      "Nov 22 10:00:12 gw sshd[8007]: Invalid user x from 1.2.3.4.5 port 1",
      "Nov 22 10:00:13 gw sshd[9001]: Connection from 198.51.100.9 port 51353 on 192.0.2.1 "
      "port 22 rdomain \"\"",
      "Nov 22 10:00:14 gw sshd[9001]: Disconnecting: Too many authentication failures for root "
      "[preauth]",
      "Nov 22 10:00:15 gw sshd[9101]: Disconnecting: Too many authentication failures for admin "
      "[preauth]",
      "Nov 22 10:00:16 gw sshd[9101]: Connection closed by 203.0.113.9 [preauth]",
      "Nov 22 10:00:17 gw sshd[9201]: pam_unix(sshd:auth): authentication failure; logname= "
      "uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.20  user=carol",
      "Nov 22 10:00:18 gw sshd[9201]: Accepted password for carol from 203.0.113.20 port 2 ssh2",
      "no date here",
  };
  // NOLINTEND(bugprone-suspicious-missing-comma)
  FilterOptions never;
  never.jit_after = UINT32_MAX;
  FilterOptions eager;
  eager.jit_after = 0;
  auto interpreted = portcullis::testing::LoadShippedFilter("sshd", "", never);
  auto jit = portcullis::testing::LoadShippedFilter("sshd", "", eager);
  auto tiered = portcullis::testing::LoadShippedFilter("sshd");
  ASSERT_NE(interpreted, nullptr);
  ASSERT_NE(jit, nullptr);
  ASSERT_NE(tiered, nullptr);
  EXPECT_EQ(interpreted->jit_pattern_count(), 0u);
  EXPECT_EQ(tiered->jit_pattern_count(), 0u);

  const double now = portcullis::testing::kTestNow;
  const size_t rounds = size_t{2} * FilterOptions().jit_after / lines.size() + 2;
  size_t failures = 0;
  for (size_t round = 0; round < rounds; ++round) {
    for (const std::string& line : lines) {
      std::string want = Describe(interpreted->Process(line, now));
      ASSERT_EQ(Describe(jit->Process(line, now)), want) << line;
      ASSERT_EQ(Describe(tiered->Process(line, now)), want) << line;
      failures += want.rfind("failure", 0) == 0 ? 1 : 0;
    }
  }
  EXPECT_GE(failures, rounds * 8);  // the lines do exercise the failure path
  EXPECT_EQ(interpreted->jit_pattern_count(), 0u);
  EXPECT_EQ(tiered->jit_pattern_count(), jit->jit_pattern_count());
  EXPECT_EQ(tiered->jit_pattern_count(), JitAvailable() ? 2u : 0u);  // prefregex + failregex
}

// ^(a+)+$ on "aaa...ab" backtracks exponentially: the match limit stops it while the pattern is
// interpreted (the same match context as the JIT) and after the switch.
TEST(FilterJit, LimitsApplyInterpretedAndJitCompiled) {
  auto f = MustCompile(Def({"^(a+)+$"}));
  ASSERT_NE(f, nullptr);
  std::string bad(40, 'a');
  bad += 'b';
  LineResult r = f->Process(bad, 0);
  EXPECT_EQ(f->jit_pattern_count(), 0u);
  EXPECT_EQ(r.kind, LineKind::kMissed);
  EXPECT_TRUE(r.limit_exceeded);
  // A tighter depth limit, which only the interpreter knows (the JIT is bound by its stack),
  // stops a deep but otherwise cheap match.
  FilterOptions shallow;
  shallow.depth_limit = 10;
  auto g = MustCompile(Def({"^(?:a|b)*c$"}), "", shallow);
  ASSERT_NE(g, nullptr);
  r = g->Process(std::string(200, 'a') + "c", 0);
  EXPECT_EQ(g->jit_pattern_count(), 0u);
  EXPECT_EQ(r.kind, LineKind::kMissed);
  EXPECT_TRUE(r.limit_exceeded);

  for (uint32_t i = 1; i < FilterOptions().jit_after; ++i) {
    ASSERT_FALSE(f->Process("aaaa", 0).limit_exceeded);
  }
  EXPECT_EQ(f->jit_pattern_count(), JitAvailable() ? 1u : 0u);
  r = f->Process(bad, 0);
  EXPECT_EQ(r.kind, LineKind::kMissed);
  EXPECT_TRUE(r.limit_exceeded);
}

}  // namespace
}  // namespace portcullis
