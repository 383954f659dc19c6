#include "config/filter_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace portcullis {
namespace {

constexpr std::string_view kBase = R"(
description = "test"
failregex = ['^a <HOST>$', '^b <HOST>$']
ignoreregex = ['^c']
prefregex = '^(?<content>.*)$'
datepattern = "syslog"
journalmatch = ["_COMM=x"]
no_date = "now"
default_mode = "normal"

[vars]
one = "1"
two = "2"

[modes.normal]

[modes.extra]
failregex = ['^e <HOST>$']

[modes.aggressive]
include = ["normal", "extra"]

[session]
key = "pid"
remember = ['^r (?<pid>\d+)']
max_sessions = 10
max_age = 30
)";

Status ParseError(std::string_view text) {
  Result<FilterDef> r = ParseFilterToml(text, "f.toml", "f");
  return r.ok() ? Status::Ok() : r.status();
}

TEST(FilterFile, ParsesEveryKey) {
  Result<FilterDef> r = ParseFilterToml(kBase, "f.toml", "f");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const FilterDef& d = *r;
  EXPECT_EQ(d.name, "f");
  EXPECT_EQ(d.source, "f.toml");
  EXPECT_EQ(d.description, "test");
  EXPECT_EQ(d.failregex, (std::vector<std::string>{"^a <HOST>$", "^b <HOST>$"}));
  EXPECT_EQ(d.ignoreregex, std::vector<std::string>{"^c"});
  EXPECT_EQ(d.prefregex, "^(?<content>.*)$");
  EXPECT_EQ(d.datepattern, "syslog");
  EXPECT_EQ(d.journalmatch, std::vector<std::string>{"_COMM=x"});
  EXPECT_EQ(d.no_date, NoDatePolicy::kNow);
  EXPECT_EQ(d.default_mode, "normal");
  EXPECT_EQ(d.vars.at("two"), "2");
  EXPECT_EQ(d.modes.size(), 3u);
  EXPECT_EQ(d.modes.at("aggressive").include, (std::vector<std::string>{"normal", "extra"}));
  EXPECT_TRUE(d.has_session);
  EXPECT_EQ(d.session.key, "pid");
  EXPECT_EQ(d.session.max_sessions, 10);
  EXPECT_EQ(d.session.max_age, 30);
}

TEST(FilterFile, UnknownKeysAreErrorsWithSuggestions) {
  EXPECT_EQ(ParseError("failregx = ['a']").message(),
            "f.toml: unknown key 'failregx' (did you mean 'failregex'?)");
  EXPECT_EQ(ParseError("colour = 'red'").message(), "f.toml: unknown key 'colour'");
  EXPECT_EQ(ParseError("[modes.x]\nignoregex = []").message(),
            "f.toml: unknown key 'modes.x.ignoregex' (did you mean 'modes.x.ignoreregex'?)");
  EXPECT_EQ(ParseError("[session]\nkey='pid'\nmax_session = 3").message(),
            "f.toml: unknown key 'session.max_session' (did you mean 'session.max_sessions'?)");
}

TEST(FilterFile, TypeErrorsNameLineKeyAndIndex) {
  EXPECT_EQ(ParseError("failregex = 'a'").message(),
            "f.toml:1: key 'failregex': expected an array of strings");
  EXPECT_EQ(ParseError("\nfailregex = ['a', 3]").message(),
            "f.toml:2: key 'failregex[1]': expected a string");
  EXPECT_EQ(ParseError("no_date = 'later'").message(),
            "f.toml:1: key 'no_date': expected \"skip\" or \"now\", got \"later\"");
  EXPECT_EQ(ParseError("[vars]\nHost = 'x'").message(),
            "f.toml:2: key 'vars.Host': var names are lower-case letters, digits, '_' and '-', "
            "starting with a letter");
  EXPECT_EQ(ParseError("[session]\nremember = []").message(),
            "f.toml: key 'session.key' is required in [session]");
  EXPECT_EQ(ParseError("default_mode = 'x'").message(),
            "f.toml: key 'default_mode': no mode named 'x'");
  EXPECT_EQ(ParseError("[modes.a]\ninclude = ['b']").message(),
            "f.toml: key 'modes.a.include[0]': no mode named 'b'");
}

TEST(FilterFile, TomlSyntaxErrorsHaveLineAndColumn) {
  Status s = ParseError("failregex = [\n'a',,\n]");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("f.toml:2:", 0), 0u) << s.message();
}

TEST(FilterFile, LocalOverrideMergesKeyByKey) {
  constexpr std::string_view kLocal = R"(
failregex = ['^z <HOST>$']
[vars]
two = "22"
three = "3"
[modes.extra]
ignoreregex = ['^q']
[session]
max_age = 90
)";
  Result<FilterDef> r = ParseFilterToml(kBase, "f.toml", "f", kLocal, "f.local.toml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->source, "f.toml (+ f.local.toml)");
  EXPECT_EQ(r->failregex, std::vector<std::string>{"^z <HOST>$"});  // arrays replace
  EXPECT_EQ(r->ignoreregex, std::vector<std::string>{"^c"});        // untouched keys stay
  EXPECT_EQ(r->vars.at("one"), "1");                                // vars merge per var
  EXPECT_EQ(r->vars.at("two"), "22");
  EXPECT_EQ(r->vars.at("three"), "3");
  EXPECT_EQ(r->modes.at("extra").failregex, std::vector<std::string>{"^e <HOST>$"});
  EXPECT_EQ(r->modes.at("extra").ignoreregex, std::vector<std::string>{"^q"});
  EXPECT_EQ(r->session.key, "pid");
  EXPECT_EQ(r->session.max_age, 90);
}

TEST(FilterFile, LocalOverrideErrorsNameTheLocalFile) {
  Result<FilterDef> r = ParseFilterToml(kBase, "f.toml", "f", "failregx = []", "f.local.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "f.local.toml: unknown key 'failregx' (did you mean 'failregex'?)");
}

TEST(FilterFile, LoadsFileWithLocalNextToIt) {
  char dir[] = "/tmp/portcullis-filter-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string base = std::string(dir) + "/demo.toml";
  std::string local = std::string(dir) + "/demo.local.toml";
  std::ofstream(base) << "failregex = ['^a <HOST>$']\n";
  std::ofstream(local) << "failregex = ['^b <HOST>$']\n";
  Result<std::string> path = FindFilterFile("demo", {"/nonexistent", dir});
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, base);
  Result<FilterDef> r = LoadFilterFile(*path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "demo");
  EXPECT_EQ(r->failregex, std::vector<std::string>{"^b <HOST>$"});
  Result<std::string> missing = FindFilterFile("nope", {dir});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "filter 'nope' not found (searched " + std::string(dir) + ")");
  std::remove(local.c_str());
  std::remove(base.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace portcullis
