#include "ban/ban_policy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace portcullis {
namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

BanPolicyOptions Incrementing(int64_t bantime) {
  BanPolicyOptions o;
  o.bantime = Duration::Seconds(bantime);
  o.increment = true;
  return o;
}

int64_t Secs(const BanPolicy& p, int previous, uint64_t random = 0) {
  const Duration d = p.BanDuration(previous, random);
  EXPECT_FALSE(d.permanent);
  return d.seconds;
}

TEST(BanPolicy, WithoutIncrementEveryBanLastsBantime) {
  BanPolicyOptions o;
  o.bantime = Duration::Seconds(600);
  o.factor = 3;
  o.rndtime = 100;
  o.maxtime = Duration::Seconds(60);
  BanPolicy p(o);
  EXPECT_EQ(Secs(p, 0, 55), 600);
  EXPECT_EQ(Secs(p, 7, 55), 600);
}

TEST(BanPolicy, PermanentBantimeIsAlwaysPermanent) {
  BanPolicyOptions o = Incrementing(0);
  o.bantime = Duration::Permanent();
  o.maxtime = Duration::Seconds(3600);
  o.rndtime = 10;
  BanPolicy p(o);
  EXPECT_TRUE(p.BanDuration(0, 3).permanent);
  EXPECT_TRUE(p.BanDuration(5, 3).permanent);
}

TEST(BanPolicy, FormulaDoublesPerEarlierBan) {
  BanPolicy p(Incrementing(600));
  EXPECT_EQ(Secs(p, 0), 600);  // first ban: bantime
  EXPECT_EQ(Secs(p, 1), 1200);
  EXPECT_EQ(Secs(p, 2), 2400);
  EXPECT_EQ(Secs(p, 5), 600 * 32);
  EXPECT_EQ(Secs(p, -3), 600);  // nonsense count is a first ban
}

TEST(BanPolicy, ExponentIsCappedAtTwenty) {
  BanPolicy p(Incrementing(1));
  EXPECT_EQ(Secs(p, 20), 1 << 20);
  EXPECT_EQ(Secs(p, 21), 1 << 20);
  EXPECT_EQ(Secs(p, std::numeric_limits<int>::max()), 1 << 20);
}

TEST(BanPolicy, FactorScalesTheFormula) {
  BanPolicyOptions o = Incrementing(600);
  o.factor = 1.5;
  BanPolicy p(o);
  EXPECT_EQ(Secs(p, 0), 600);
  EXPECT_EQ(Secs(p, 1), 1800);
  EXPECT_EQ(Secs(p, 2), 3600);
  o.factor = 0.25;  // a product below bantime never shortens the ban
  BanPolicy small(o);
  EXPECT_EQ(Secs(small, 1), 600);
  EXPECT_EQ(Secs(small, 3), 1200);
}

TEST(BanPolicy, MultipliersReplaceTheFormulaAndTheLastRepeats) {
  BanPolicyOptions o = Incrementing(60);
  o.multipliers = {1, 5, 30, 60};
  BanPolicy p(o);
  EXPECT_EQ(Secs(p, 0), 60);
  EXPECT_EQ(Secs(p, 1), 300);
  EXPECT_EQ(Secs(p, 2), 1800);
  EXPECT_EQ(Secs(p, 3), 3600);
  EXPECT_EQ(Secs(p, 4), 3600);
  EXPECT_EQ(Secs(p, 1000), 3600);
  o.factor = 2;
  BanPolicy doubled(o);
  EXPECT_EQ(Secs(doubled, 2), 3600);
  o.multipliers = {7};
  o.factor = 1;
  BanPolicy single(o);
  EXPECT_EQ(Secs(single, 1), 420);
  EXPECT_EQ(Secs(single, 9), 420);
}

TEST(BanPolicy, MaxtimeCapsRepeatBans) {
  BanPolicyOptions o = Incrementing(600);
  o.maxtime = Duration::Seconds(3000);
  BanPolicy p(o);
  EXPECT_EQ(Secs(p, 2), 2400);
  EXPECT_EQ(Secs(p, 3), 3000);
  EXPECT_EQ(Secs(p, 20), 3000);
  o.maxtime = Duration::Permanent();  // no cap: the default ten-year ceiling
  BanPolicy uncapped(o);
  EXPECT_EQ(Secs(uncapped, 19), 600 * (int64_t{1} << 19));
  EXPECT_EQ(Secs(uncapped, 20), kDefaultMaxBanSeconds);  // 600 * 2^20 is over ten years
  EXPECT_EQ(Secs(BanPolicy(Incrementing(86400)), 20), kDefaultMaxBanSeconds);
}

TEST(BanPolicy, HugeFactorSaturatesInsteadOfOverflowing) {
  // sebres/fail2ban#12: factor 16 with the exponential formula gave 6.8e19 seconds.
  BanPolicyOptions o = Incrementing(std::numeric_limits<int64_t>::max() / 2);
  o.factor = 16;
  EXPECT_EQ(Secs(BanPolicy(o), 20), std::numeric_limits<int64_t>::max() / 2);  // bantime > 10y
  o = Incrementing(int64_t{1} << 40);
  o.factor = 16;
  o.maxtime = Duration::Seconds(int64_t{1} << 62);
  EXPECT_EQ(Secs(BanPolicy(o), 20), int64_t{1} << 62);
  o.maxtime.reset();
  o.bantime = Duration::Seconds(600);
  EXPECT_EQ(Secs(BanPolicy(o), 20), kDefaultMaxBanSeconds);
  o.factor = 1e300;
  EXPECT_EQ(Secs(BanPolicy(o), 1), kDefaultMaxBanSeconds);
  o.multipliers = {1, std::numeric_limits<int64_t>::max()};
  o.factor = 16;
  EXPECT_EQ(Secs(BanPolicy(o), 1), kDefaultMaxBanSeconds);
}

TEST(BanPolicy, InvalidFactorFallsBackToOne) {
  BanPolicyOptions o = Incrementing(600);
  o.factor = std::nan("");
  EXPECT_EQ(Secs(BanPolicy(o), 1), 1200);
  o.factor = -4;
  EXPECT_EQ(Secs(BanPolicy(o), 1), 1200);
  o.factor = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Secs(BanPolicy(o), 1), 1200);
}

TEST(BanPolicy, RndtimeAddsTheInjectedRandomValue) {
  BanPolicyOptions o = Incrementing(600);
  o.rndtime = 100;
  o.maxtime = Duration::Seconds(1000);
  BanPolicy p(o);
  EXPECT_EQ(Secs(p, 0, 0), 600);
  EXPECT_EQ(Secs(p, 0, 42), 642);
  EXPECT_EQ(Secs(p, 0, 100), 700);
  EXPECT_EQ(Secs(p, 0, 101), 600);   // random % (rndtime + 1)
  EXPECT_EQ(Secs(p, 5, 250), 1048);  // added after the cap, as fail2ban does
  EXPECT_EQ(Secs(p, 5, std::numeric_limits<uint64_t>::max()), 1000 + 0xffffffffffffffffULL % 101);
  o.rndtime = std::numeric_limits<int64_t>::max();
  o.maxtime.reset();
  EXPECT_EQ(Secs(BanPolicy(o), 0, std::numeric_limits<uint64_t>::max() / 2),
            std::numeric_limits<int64_t>::max());  // saturates
}

TEST(BanPolicy, ValidateNamesTheKnob) {
  BanPolicyOptions o = Incrementing(600);
  EXPECT_TRUE(BanPolicy::Validate(o).ok());
  o.factor = 0;
  EXPECT_EQ(BanPolicy::Validate(o).message(),
            "bantime_factor must be a number greater than 0, not 0.000000");
  o.factor = std::nan("");
  EXPECT_FALSE(BanPolicy::Validate(o).ok());
  o.factor = 1;
  o.multipliers = {1, -2};
  EXPECT_EQ(BanPolicy::Validate(o).message(), "bantime_multipliers must not be negative: -2");
  o.multipliers.clear();
  o.rndtime = -1;
  EXPECT_EQ(BanPolicy::Validate(o).message(), "bantime_rndtime must not be negative: -1");
  o.rndtime = 0;
  o.maxtime = Duration::Seconds(-60);
  EXPECT_EQ(BanPolicy::Validate(o).message(), "bantime_maxtime must not be negative: -1m");
  o.maxtime = Duration::Permanent();
  EXPECT_TRUE(BanPolicy::Validate(o).ok());
  o.bantime = Duration::Seconds(-5);
  EXPECT_EQ(BanPolicy::Validate(o).code(), StatusCode::kInvalidArgument);
}

TEST(BanHistory, CountsBansPerJailWhileRecent) {
  BanHistory h;
  const IpAddress a = Ip("192.0.2.1"), b = Ip("2001:db8::1");
  EXPECT_EQ(h.Count("sshd", a, 0), 0);
  EXPECT_FALSE(h.LastBan("sshd", a));
  h.Record("sshd", a, 1000);
  h.Record("sshd", a, 2000);
  h.Record("nginx", a, 1500);
  h.Record("sshd", b, 500);
  EXPECT_EQ(h.Count("sshd", a, 0), 2);
  EXPECT_EQ(h.Count("nginx", a, 0), 1);
  EXPECT_EQ(h.Count("postfix", a, 0), 0);
  EXPECT_EQ(h.CountAllJails(a, 0), 3);
  EXPECT_EQ(h.CountAllJails(b, 0), 1);
  EXPECT_EQ(*h.LastBan("sshd", a), 2000);
  // A record counts as a whole while its last ban is at or after `since`.
  EXPECT_EQ(h.Count("sshd", a, 2000), 2);
  EXPECT_EQ(h.Count("sshd", a, 2001), 0);
  EXPECT_EQ(h.CountAllJails(a, 1600), 2);
  EXPECT_EQ(h.record_count(), 3u);  // a@sshd, a@nginx, b@sshd
  // An out-of-order record does not move the last ban back.
  h.Record("sshd", a, 10);
  EXPECT_EQ(*h.LastBan("sshd", a), 2000);
  EXPECT_EQ(h.Count("sshd", a, 0), 3);
}

TEST(BanHistory, RestoreForgetAndPurge) {
  BanHistory h;
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2");
  h.Restore("sshd", a, 4, 5000);
  EXPECT_EQ(h.Count("sshd", a, 0), 4);
  h.Restore("sshd", a, 2, 6000);
  EXPECT_EQ(h.Count("sshd", a, 0), 2);
  EXPECT_EQ(*h.LastBan("sshd", a), 6000);
  h.Restore("nginx", a, 1, 100);
  h.Restore("sshd", b, 1, 100);
  EXPECT_EQ(h.Purge(1000), 2u);  // a@nginx and b@sshd
  EXPECT_EQ(h.record_count(), 1u);
  EXPECT_EQ(h.CountAllJails(a, 0), 2);
  h.Restore("sshd", a, 0, 0);  // count 0 removes
  EXPECT_EQ(h.record_count(), 0u);
  h.Record("sshd", b, 1);
  EXPECT_TRUE(h.Forget(b));
  EXPECT_FALSE(h.Forget(b));
  EXPECT_EQ(h.Count("sshd", b, 0), 0);
  h.Restore("sshd", b, 0, 0);  // removing what is not there is fine
}

TEST(BanPolicy, PreviousBansHonoursOverallJails) {
  BanHistory h;
  const IpAddress a = Ip("198.51.100.7");
  h.Record("sshd", a, 100);
  h.Record("nginx", a, 200);
  h.Record("nginx", a, 300);
  BanPolicyOptions o = Incrementing(600);
  BanPolicy per_jail(o);
  EXPECT_EQ(per_jail.PreviousBans(h, "sshd", a, 0), 1);
  EXPECT_EQ(per_jail.PreviousBans(h, "postfix", a, 0), 0);
  o.overalljails = true;
  BanPolicy overall(o);
  EXPECT_EQ(overall.PreviousBans(h, "sshd", a, 0), 3);
  EXPECT_EQ(overall.PreviousBans(h, "postfix", a, 250), 2);
  // End to end: the fourth ban overall lasts 600 * 2^3.
  EXPECT_EQ(Secs(overall, overall.PreviousBans(h, "postfix", a, 0)), 4800);
}

}  // namespace
}  // namespace portcullis
