#include "jail/jail.h"

#include <gtest/gtest.h>

#include <set>

namespace portcullis {
namespace {

// A dateless filter: every failure gets the time `now` the test passes in.
FilterDef Def() {
  FilterDef def;
  def.name = "t";
  def.source = "t.toml";
  def.failregex = {"^bad login from <HOST>$"};
  def.datepattern = "none";
  def.no_date = NoDatePolicy::kNow;
  return def;
}

std::unique_ptr<Jail> MustCreate(int maxretry) {
  JailConfig config;
  config.name = "t";
  config.enabled = true;
  config.maxretry = maxretry;
  config.findtime = 600;
  config.ignore_cidrs = {*Cidr::Parse("198.51.100.0/24")};
  Result<std::unique_ptr<Jail>> jail = Jail::Create(config, Def(), nullptr);
  EXPECT_TRUE(jail.ok()) << jail.status().ToString();
  return jail.ok() ? std::move(*jail) : nullptr;
}

TEST(Jail, CandidateAtMaxretryWithTheMatchedLines) {
  auto jail = MustCreate(3);
  ASSERT_NE(jail, nullptr);
  EXPECT_FALSE(jail->OnLine("bad login from 192.0.2.1", 1000));
  EXPECT_FALSE(jail->OnLine("good login from 192.0.2.1", 1001));
  EXPECT_FALSE(jail->OnLine("bad login from 192.0.2.1", 1002));
  std::optional<BanCandidate> c = jail->OnLine("bad login from 192.0.2.1", 1003);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->address.ToString(), "192.0.2.1");
  EXPECT_EQ(c->failures, 3);
  EXPECT_EQ(c->matches.size(), 3u);
  EXPECT_EQ(jail->stats().failures, 3u);
  EXPECT_EQ(jail->stats().lines_skipped, 1u);  // the prefilter: no "bad login from" in it
}

TEST(Jail, IgnoredAndLoopbackAddressesNeverCount) {
  auto jail = MustCreate(1);
  ASSERT_NE(jail, nullptr);
  EXPECT_FALSE(jail->OnLine("bad login from 198.51.100.7", 1000));
  EXPECT_FALSE(jail->OnLine("bad login from 127.0.0.1", 1000));
  EXPECT_FALSE(jail->OnLine("bad login from ::1", 1000));
  EXPECT_EQ(jail->stats().ignored_ip, 3u);
  EXPECT_TRUE(jail->OnLine("bad login from 192.0.2.1", 1000));
}

TEST(Jail, FailuresOfBannedAddressesAreCountedButNeverRecorded) {
  auto jail = MustCreate(2);
  ASSERT_NE(jail, nullptr);
  std::set<std::string> banned = {"192.0.2.1"};
  jail->set_banned_check(
      [&banned](const IpAddress& a) { return banned.count(a.ToString()) != 0; });
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(jail->OnLine("bad login from 192.0.2.1", 1000 + i)) << i;
  }
  EXPECT_EQ(jail->stats().failures, 10u);
  EXPECT_EQ(jail->stats().already_banned, 10u);
  EXPECT_EQ(jail->currently_failed(), 0u);
  // Once the ban is gone the address starts from zero: one failure is not enough for maxretry 2.
  banned.clear();
  EXPECT_FALSE(jail->OnLine("bad login from 192.0.2.1", 1020));
  EXPECT_TRUE(jail->OnLine("bad login from 192.0.2.1", 1021));
  // Other addresses are unaffected while one is banned.
  banned = {"192.0.2.1"};
  EXPECT_FALSE(jail->OnLine("bad login from 192.0.2.2", 1030));
  EXPECT_TRUE(jail->OnLine("bad login from 192.0.2.2", 1031));
}

}  // namespace
}  // namespace portcullis
