#include "ban/ban_registry.h"

#include <gtest/gtest.h>

namespace portcullis {
namespace {

Cidr C(const char* text) { return *Cidr::Parse(text); }

BanRecord Rec(const char* jail, const char* target, int64_t start, int64_t end) {
  BanRecord r;
  r.jail = jail;
  r.target = C(target);
  r.start = start;
  r.end = end;
  return r;
}

TEST(BanRegistry, ExpiresInEndOrderAndOnlyWhenDue) {
  BanRegistry ledger;
  EXPECT_TRUE(ledger.Put(Rec("sshd", "192.0.2.1", 0, 100)));
  EXPECT_TRUE(ledger.Put(Rec("sshd", "192.0.2.2", 0, 50)));
  EXPECT_TRUE(ledger.Put(Rec("nginx", "192.0.2.1", 0, 200)));
  EXPECT_EQ(ledger.NextExpiry(), 50);
  EXPECT_TRUE(ledger.Expire(49).empty());
  auto gone = ledger.Expire(100);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone[0].target.ToString(), "192.0.2.2");
  EXPECT_EQ(gone[1].target.ToString(), "192.0.2.1");
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_EQ(ledger.NextExpiry(), 200);
}

TEST(BanRegistry, ReplacingABanMovesItsExpiry) {
  BanRegistry ledger;
  ledger.Put(Rec("sshd", "192.0.2.1", 0, 100));
  EXPECT_FALSE(ledger.Put(Rec("sshd", "192.0.2.1", 50, 500)));
  EXPECT_TRUE(ledger.Expire(100).empty());
  EXPECT_EQ(ledger.NextExpiry(), 500);
}

TEST(BanRegistry, PermanentBansNeverExpire) {
  BanRegistry ledger;
  BanRecord r = Rec("sshd", "2001:db8::/64", 0, 0);
  r.permanent = true;
  ledger.Put(r);
  EXPECT_FALSE(ledger.NextExpiry().has_value());
  EXPECT_TRUE(ledger.Expire(1LL << 40).empty());
  EXPECT_EQ(ledger.Find("sshd", C("2001:db8::/64"))->RemainingAt(5), -1);
}

TEST(BanRegistry, ListsPerJailAndFindsCoveringBans) {
  BanRegistry ledger;
  ledger.Put(Rec("sshd", "192.0.2.0/24", 0, 100));
  ledger.Put(Rec("sshd", "198.51.100.7", 0, 100));
  ledger.Put(Rec("recidive", "192.0.2.9", 0, 100));
  EXPECT_EQ(ledger.List("sshd").size(), 2u);
  EXPECT_EQ(ledger.List().size(), 3u);
  EXPECT_EQ(ledger.CountForJail("recidive"), 1u);
  auto cover = ledger.Covering(*IpAddress::Parse("192.0.2.9"));
  EXPECT_EQ(cover.size(), 2u);
  ASSERT_TRUE(ledger.Remove("sshd", C("192.0.2.0/24")).has_value());
  EXPECT_FALSE(ledger.Remove("sshd", C("192.0.2.0/24")).has_value());
  EXPECT_EQ(ledger.Covering(*IpAddress::Parse("192.0.2.9")).size(), 1u);
}

}  // namespace
}  // namespace portcullis
