#include "firewall/nft_plan.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace portcullis {
namespace {

Cidr C(std::string_view text) { return *Cidr::Parse(text); }
Uint128 V(std::string_view text) { return AddressValue(*IpAddress::Parse(text)); }

TEST(NftNames, SetNamesAreShortAndRoundTrip) {
  EXPECT_EQ(NftSetName("sshd", NftSetKind::kHost4), "sshd-4");
  EXPECT_EQ(NftSetName("sshd", NftSetKind::kHost6), "sshd-6");
  EXPECT_EQ(NftSetName("sshd", NftSetKind::kNet4), "sshd-n4");
  EXPECT_EQ(NftSetName("sshd", NftSetKind::kNet6), "sshd-n6");
  for (NftSetKind kind : kAllSetKinds) {
    auto parsed = ParseNftSetName(NftSetName("nginx-http-auth", kind));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->first, "nginx-http-auth");
    EXPECT_EQ(parsed->second, kind);
  }
  EXPECT_FALSE(ParseNftSetName("_probe"));
  EXPECT_FALSE(ParseNftSetName("-4"));
  EXPECT_FALSE(ParseNftSetName("__set0"));
  EXPECT_FALSE(ParseNftSetName("other"));
}

TEST(NftNames, SetKindFollowsFamilyAndPrefix) {
  EXPECT_EQ(SetKindFor(C("192.0.2.1")), NftSetKind::kHost4);
  EXPECT_EQ(SetKindFor(C("2001:db8::1")), NftSetKind::kHost6);
  EXPECT_EQ(SetKindFor(C("192.0.2.0/24")), NftSetKind::kNet4);
  EXPECT_EQ(SetKindFor(C("2001:db8::/48")), NftSetKind::kNet6);
}

TEST(NftNames, ValidatesJailAndTableNames) {
  EXPECT_TRUE(ValidateJailName("sshd").ok());
  EXPECT_TRUE(ValidateJailName("postfix_sasl-2").ok());
  EXPECT_EQ(ValidateJailName("").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateJailName("-sshd").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateJailName("ssh d").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateJailName("a234567890123456789012345").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateJailName("a23456789012345678901234").ok());
  EXPECT_TRUE(ValidateTableName("portcullis").ok());
  EXPECT_FALSE(ValidateTableName("1table").ok());
  EXPECT_FALSE(ValidateTableName("a;b").ok());
}

TEST(NftRanges, MergesOverlapsKeepingTheLaterExpiry) {
  std::map<Cidr, int64_t> bans{{C("198.51.100.0/24"), 100}, {C("198.51.100.128/25"), 200}};
  std::vector<Segment> segs = MergeBans(bans, IpFamily::kV4, 0);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0], (Segment{V("198.51.100.0"), V("198.51.100.127"), 100}));
  EXPECT_EQ(segs[1], (Segment{V("198.51.100.128"), V("198.51.100.255"), 200}));
}

TEST(NftRanges, InnerBlockWithEarlierExpiryIsSwallowed) {
  std::map<Cidr, int64_t> bans{{C("198.51.100.0/24"), kNeverMs}, {C("198.51.100.64/26"), 50}};
  std::vector<Segment> segs = MergeBans(bans, IpFamily::kV4, 0);
  ASSERT_EQ(segs.size(), 1u);
  EXPECT_EQ(segs[0], (Segment{V("198.51.100.0"), V("198.51.100.255"), kNeverMs}));
}

TEST(NftRanges, AdjacentBlocksWithSameExpiryBecomeOneSegment) {
  std::map<Cidr, int64_t> bans{
      {C("198.51.100.0/25"), 7}, {C("198.51.100.128/25"), 7}, {C("203.0.113.0/24"), 7}};
  std::vector<Segment> segs = MergeBans(bans, IpFamily::kV4, 0);
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].first, V("198.51.100.0"));
  EXPECT_EQ(segs[0].last, V("198.51.100.255"));
}

TEST(NftRanges, DropsExpiredBlocksAndOtherFamily) {
  std::map<Cidr, int64_t> bans{{C("198.51.100.0/24"), 10}, {C("2001:db8::/32"), 100}};
  EXPECT_TRUE(MergeBans(bans, IpFamily::kV4, 10).empty());
  ASSERT_EQ(MergeBans(bans, IpFamily::kV6, 10).size(), 1u);
}

TEST(NftRanges, HandlesTopOfAddressSpace) {
  std::map<Cidr, int64_t> bans{{C("255.255.255.0/24"), 5}, {C("ffff::/16"), 5}};
  auto v4 = MergeBans(bans, IpFamily::kV4, 0);
  ASSERT_EQ(v4.size(), 1u);
  EXPECT_EQ(v4[0].last, MaxAddressValue(IpFamily::kV4));
  auto v6 = MergeBans(bans, IpFamily::kV6, 0);
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].last, MaxAddressValue(IpFamily::kV6));
}

TEST(NftRanges, DiffDeletesChangedSegmentsAndAddsNewOnes) {
  std::vector<Segment> before{{1, 10, 5}, {20, 30, 5}};
  std::vector<Segment> after{{1, 10, 5}, {20, 30, 9}, {40, 50, 5}};
  SegmentDiff d = DiffSegments(before, after);
  ASSERT_EQ(d.remove.size(), 1u);
  EXPECT_EQ(d.remove[0], (Segment{20, 30, 5}));
  ASSERT_EQ(d.add.size(), 2u);
  EXPECT_EQ(d.add[0], (Segment{20, 30, 9}));
  EXPECT_EQ(d.add[1], (Segment{40, 50, 5}));
}

TEST(NftRanges, RangeToCidrsIsMinimal) {
  auto cidrs = RangeToCidrs(V("198.51.100.0"), V("198.51.100.255"), IpFamily::kV4);
  ASSERT_EQ(cidrs.size(), 1u);
  EXPECT_EQ(cidrs[0], C("198.51.100.0/24"));
  cidrs = RangeToCidrs(V("198.51.100.1"), V("198.51.100.6"), IpFamily::kV4);
  std::vector<Cidr> want{C("198.51.100.1"), C("198.51.100.2/31"), C("198.51.100.4/31"),
                         C("198.51.100.6")};
  EXPECT_EQ(cidrs, want);
  cidrs = RangeToCidrs(0, MaxAddressValue(IpFamily::kV6), IpFamily::kV6);
  ASSERT_EQ(cidrs.size(), 1u);
  EXPECT_EQ(cidrs[0], C("::/0"));
  cidrs = RangeToCidrs(V("ffff::"), MaxAddressValue(IpFamily::kV6), IpFamily::kV6);
  ASSERT_EQ(cidrs.size(), 1u);
  EXPECT_EQ(cidrs[0], C("ffff::/16"));
}

TEST(NftBatching, ElementSizesAndMessageCounts) {
  EXPECT_EQ(ElementBytes(4, true, false), 28u);
  EXPECT_EQ(ElementBytes(16, true, false), 40u);
  EXPECT_EQ(ElementBytes(4, false, true), 24u);
  EXPECT_EQ(ElementBytes(2, false, false), 16u);
  // 64511 / 28 = 2303 IPv4 elements with timeouts per message.
  EXPECT_EQ(MessagesForElements(2303, 28), 1u);
  EXPECT_EQ(MessagesForElements(2304, 28), 2u);
  EXPECT_EQ(MessagesForElements(100000, 28), 44u);
  EXPECT_EQ(MessagesForElements(0, 28), 0u);
  EXPECT_LT(kElementListBudget, 65536u);
}

TEST(NftBatching, SendBufferCoversTheWholeBatch) {
  EXPECT_EQ(SendBufferFor(1000, 1 << 20), size_t{1} << 20);
  size_t big = SendBufferFor(4'000'000, 1 << 20);
  EXPECT_GE(big, 4'000'000u + 32);
  EXPECT_EQ(big % 4096, 0u);
}

TEST(NftErrors, MapsErrnoToCodesWithContext) {
  Status s = KernelError(EPERM, "create table inet portcullis", "");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(),
            "create table inet portcullis: operation not permitted: needs CAP_NET_ADMIN (run as "
            "root)");
  s = KernelError(EPERM, "create table inet portcullis", "", /*privileged=*/true);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("another process owns the table"), std::string::npos);
  EXPECT_EQ(s.message().find("CAP_NET_ADMIN"), std::string::npos);

  s = KernelError(EPROTONOSUPPORT, "open netlink socket", "");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("no nf_tables support"), std::string::npos);

  s = KernelError(EEXIST, "add 2 element(s) to set sshd-n4", "interval overlaps");
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ(s.message(),
            "add 2 element(s) to set sshd-n4: already exists or overlaps an existing interval "
            "(kernel: interval overlaps)");

  EXPECT_EQ(KernelError(ENOENT, "x", "").code(), StatusCode::kNotFound);
  EXPECT_EQ(KernelError(ERANGE, "x", "").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(KernelError(EMSGSIZE, "x", "").message().find("buffer"), std::string::npos);
}

// ---- Ledger ----

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_.AddJail("sshd"); }

  void Apply(const FirewallBatch& b, int64_t now) {
    Result<BanPlan> plan = ledger_.PlanBatch(b, now);
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    last_ = *plan;
    ledger_.Commit(std::move(*plan), now);
  }

  BanLedger ledger_;
  BanPlan last_;
};

TEST_F(LedgerTest, BanTwiceIsOneElementAndKeepsTheLaterExpiry) {
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.1"), std::chrono::seconds(10));
  Apply(b, 0);
  ASSERT_EQ(last_.jails.size(), 1u);
  ASSERT_EQ(last_.jails[0].hosts4.size(), 1u);
  EXPECT_EQ(last_.jails[0].hosts4[0].kind, HostChange::Kind::kAdd);

  FirewallBatch shorter;
  shorter.Ban("sshd", C("192.0.2.1"), std::chrono::seconds(5));
  Apply(shorter, 1000);
  EXPECT_TRUE(last_.empty());  // 6 s < 10 s: nothing to do

  FirewallBatch longer;
  longer.Ban("sshd", C("192.0.2.1"), std::chrono::seconds(60));
  Apply(longer, 1000);
  ASSERT_EQ(last_.jails[0].hosts4.size(), 1u);
  EXPECT_EQ(last_.jails[0].hosts4[0].kind, HostChange::Kind::kUpdate);
  EXPECT_EQ(last_.jails[0].hosts4[0].expiry_ms, 61000);
}

TEST_F(LedgerTest, RefreshSetsExactExpiryAndUnbanRemoves) {
  FirewallBatch b;
  b.Ban("sshd", C("2001:db8::1"), std::nullopt);
  Apply(b, 0);
  FirewallBatch r;
  r.Refresh("sshd", C("2001:db8::1"), std::chrono::seconds(3));
  Apply(r, 0);
  ASSERT_EQ(last_.jails[0].hosts6.size(), 1u);
  EXPECT_EQ(last_.jails[0].hosts6[0].kind, HostChange::Kind::kUpdate);
  EXPECT_EQ(last_.jails[0].hosts6[0].old_expiry_ms, kNeverMs);
  auto entries = ledger_.Entries("sshd", 1000);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].remaining, std::chrono::milliseconds(2000));

  FirewallBatch u;
  u.Unban("sshd", C("2001:db8::1")).Unban("sshd", C("2001:db8::2"));
  Apply(u, 1000);
  ASSERT_EQ(last_.jails[0].hosts6.size(), 1u);  // unbanning the unknown one is a no-op
  EXPECT_EQ(last_.jails[0].hosts6[0].kind, HostChange::Kind::kRemove);
  EXPECT_TRUE(ledger_.Entries("sshd", 1000).empty());
}

TEST_F(LedgerTest, BanThenUnbanInOneBatchCancelsOut) {
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.9"), std::chrono::seconds(1)).Unban("sshd", C("192.0.2.9"));
  Apply(b, 0);
  EXPECT_TRUE(last_.empty());
}

TEST_F(LedgerTest, ExpiredEntriesAreGoneAndReaddedAsNew) {
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.1"), std::chrono::seconds(1));
  Apply(b, 0);
  EXPECT_TRUE(ledger_.Entries("sshd", 1000).empty());
  Apply(b, 1000);
  ASSERT_EQ(last_.jails[0].hosts4.size(), 1u);
  EXPECT_EQ(last_.jails[0].hosts4[0].kind, HostChange::Kind::kAdd);
}

TEST_F(LedgerTest, NetworkBansAreMergedIntoSegments) {
  FirewallBatch b;
  b.Ban("sshd", C("198.51.100.0/25"), std::nullopt)
      .Ban("sshd", C("198.51.100.128/25"), std::nullopt);
  Apply(b, 0);
  ASSERT_TRUE(last_.jails[0].nets_changed[0]);
  ASSERT_EQ(last_.jails[0].nets[0].add.size(), 1u);
  EXPECT_EQ(ledger_.Entries("sshd", 0).size(), 2u);  // both bans are remembered

  FirewallBatch u;
  u.Unban("sshd", C("198.51.100.128/25"));
  Apply(u, 0);
  EXPECT_EQ(last_.jails[0].nets[0].remove.size(), 1u);
  ASSERT_EQ(last_.jails[0].nets[0].add.size(), 1u);
  EXPECT_EQ(last_.jails[0].nets[0].add[0].last, V("198.51.100.127"));
}

TEST_F(LedgerTest, UnknownJailAndNegativeTimeoutAreRejected) {
  FirewallBatch b;
  b.Ban("nope", C("192.0.2.1"), std::nullopt);
  EXPECT_EQ(ledger_.PlanBatch(b, 0).status().code(), StatusCode::kNotFound);
  FirewallBatch n;
  n.Ban("sshd", C("192.0.2.1"), std::chrono::milliseconds(-1));
  EXPECT_EQ(ledger_.PlanBatch(n, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(LedgerTest, ReplaceFlushesAndAddsEverything) {
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.1"), std::nullopt);
  Apply(b, 0);
  std::vector<BanEntry> entries{{C("192.0.2.2"), std::nullopt, std::nullopt},
                                {C("192.0.2.2"), std::nullopt, std::nullopt},
                                {C("203.0.113.0/24"), std::chrono::seconds(5), std::nullopt}};
  Result<BanPlan> plan = ledger_.PlanReplace("sshd", entries, 0);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->jails[0].flush_hosts);
  EXPECT_EQ(plan->jails[0].hosts4.size(), 1u);
  EXPECT_EQ(plan->element_count(), 3u);  // one host, one segment (start + end)
  ledger_.Commit(std::move(*plan), 0);
  auto listed = ledger_.Entries("sshd", 0);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].target, C("192.0.2.2"));
}

}  // namespace
}  // namespace portcullis
