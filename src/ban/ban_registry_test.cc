#include "ban/ban_registry.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

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

TEST(BanRegistry, RemovedAndReplacedBansLeaveNoExpiryBehind) {
  BanRegistry ledger;
  ledger.Put(Rec("sshd", "192.0.2.1", 0, 10));
  ledger.Put(Rec("sshd", "192.0.2.2", 0, 20));
  ledger.Put(Rec("sshd", "192.0.2.3", 0, 30));
  ASSERT_TRUE(ledger.Remove("sshd", C("192.0.2.1")).has_value());
  EXPECT_EQ(ledger.NextExpiry(), 20);  // not the removed ban's 10
  ledger.Put(Rec("sshd", "192.0.2.2", 0, 40));  // extended
  EXPECT_EQ(ledger.NextExpiry(), 30);
  BanRecord perm = Rec("sshd", "192.0.2.3", 0, 0);
  perm.permanent = true;
  ledger.Put(perm);  // made permanent
  EXPECT_EQ(ledger.NextExpiry(), 40);
  auto gone = ledger.Expire(1000);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].target.ToString(), "192.0.2.2");
  EXPECT_EQ(gone[0].end, 40);
  EXPECT_EQ(ledger.size(), 1u);
  EXPECT_FALSE(ledger.NextExpiry().has_value());
}

TEST(BanRegistry, ManyReplacementsKeepEveryBanExpiringOnce) {
  // Bans replaced again and again, with ends moving both ways, still expire exactly once.
  BanRegistry ledger;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 1000; ++i) {
      std::string addr = "198.51.100." + std::to_string(i % 250) + "/32";
      std::string jail = i < 250 ? "sshd" : (i < 500 ? "nginx" : (i < 750 ? "postfix" : "x"));
      ledger.Put(Rec(jail.c_str(), addr.c_str(), 0, 100 + (round % 2) * (i % 7)));
    }
  }
  EXPECT_EQ(ledger.size(), 1000u);
  EXPECT_TRUE(ledger.Expire(99).empty());
  size_t expired = ledger.Expire(100).size() + ledger.Expire(200).size();
  EXPECT_EQ(expired, 1000u);
  EXPECT_EQ(ledger.size(), 0u);
  EXPECT_FALSE(ledger.NextExpiry().has_value());
}

TEST(BanRegistry, HoldsHostOnlyForExactHostBansOfThatJail) {
  BanRegistry ledger;
  ledger.Put(Rec("sshd", "192.0.2.1", 0, 100));
  ledger.Put(Rec("sshd", "198.51.100.0/24", 0, 100));
  EXPECT_TRUE(ledger.HoldsHost("sshd", *IpAddress::Parse("192.0.2.1")));
  EXPECT_FALSE(ledger.HoldsHost("nginx", *IpAddress::Parse("192.0.2.1")));
  EXPECT_FALSE(ledger.HoldsHost("sshd", *IpAddress::Parse("198.51.100.7")));
}

TEST(BanRegistry, ListIsOrderedByJailThenTarget) {
  BanRegistry ledger;
  ledger.Put(Rec("sshd", "198.51.100.9", 0, 100));
  ledger.Put(Rec("recidive", "203.0.113.5", 0, 100));
  ledger.Put(Rec("sshd", "192.0.2.200", 0, 100));
  ledger.Put(Rec("sshd", "192.0.2.3", 0, 100));
  std::vector<std::string> got;
  for (const BanRecord* r : ledger.List()) got.push_back(r->jail + " " + r->target.ToString());
  EXPECT_EQ(got, (std::vector<std::string>{"recidive 203.0.113.5", "sshd 192.0.2.3",
                                           "sshd 192.0.2.200", "sshd 198.51.100.9"}));
}

TEST(BanRegistry, RandomOperationsMatchASimpleModel) {
  // The indexed heap against a plain map: same bans, same next expiry, same expired set.
  BanRegistry ledger;
  std::map<std::pair<std::string, std::string>, BanRecord> model;
  std::mt19937 rng(7);
  int64_t now = 0;
  for (int step = 0; step < 20000; ++step) {
    std::string jail = rng() % 2 ? "sshd" : "nginx";
    std::string target = "192.0.2." + std::to_string(rng() % 60);
    switch (rng() % 4) {
      case 0:
      case 1: {
        BanRecord r = Rec(jail.c_str(), target.c_str(), now, now + 1 + rng() % 100);
        r.permanent = rng() % 10 == 0;
        bool fresh = model.count({jail, target}) == 0;
        EXPECT_EQ(ledger.Put(r), fresh);
        model[{jail, target}] = r;
        break;
      }
      case 2:
        EXPECT_EQ(ledger.Remove(jail, C(target.c_str())).has_value(),
                  model.erase({jail, target}) == 1);
        break;
      case 3: {
        now += rng() % 5;
        std::vector<BanRecord> gone = ledger.Expire(now);
        for (size_t i = 1; i < gone.size(); ++i) EXPECT_LE(gone[i - 1].end, gone[i].end);
        size_t expected = 0;
        for (auto it = model.begin(); it != model.end();) {
          if (!it->second.permanent && it->second.end <= now) {
            ++expected;
            it = model.erase(it);
          } else {
            ++it;
          }
        }
        ASSERT_EQ(gone.size(), expected) << "step " << step;
        break;
      }
    }
    ASSERT_EQ(ledger.size(), model.size());
    std::optional<int64_t> next;
    for (const auto& [key, r] : model) {
      if (!r.permanent && (!next || r.end < *next)) next = r.end;
    }
    ASSERT_EQ(ledger.NextExpiry(), next) << "step " << step;
  }
}

}  // namespace
}  // namespace portcullis
