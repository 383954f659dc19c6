#include "jail/failure_window.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <algorithm>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace portcullis {
namespace {

IpAddress Ip(std::string_view text) { return *IpAddress::Parse(text); }

IpAddress Nth(uint32_t n) { return IpAddress::FromV4(0xC6336400u + n); }  // 198.51.100.0 + n

FailureWindowOptions Opts(int maxretry, int64_t findtime) {
  FailureWindowOptions o;
  o.maxretry = maxretry;
  o.findtime = findtime;
  return o;
}

TEST(FailureWindow, BansWhenMaxretryFailuresFallWithinFindtime) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1");
  EXPECT_FALSE(w.Record(a, 1000));
  EXPECT_FALSE(w.Record(a, 1100));
  EXPECT_EQ(w.size(), 1u);
  std::optional<BanTrigger> t = w.Record(a, 1200);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->address, a);
  EXPECT_EQ(t->failures, 3);
  EXPECT_EQ(t->first_failure, 1000);
  EXPECT_EQ(t->last_failure, 1200);
  EXPECT_EQ(w.size(), 0u);  // forgotten after the trigger
  EXPECT_FALSE(w.Record(a, 1201));
  EXPECT_EQ(w.total_failures(), 4u);
}

TEST(FailureWindow, ForgetsHitsOlderThanFindTime) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1");
  EXPECT_FALSE(w.Record(a, 0));
  EXPECT_FALSE(w.Record(a, 200));
  EXPECT_FALSE(w.Record(a, 700));  // 0 is out: only 200 and 700 remain
  std::vector<TrackedAddress> tracked = w.Tracked();
  ASSERT_EQ(tracked.size(), 1u);
  EXPECT_EQ(tracked[0].failures, 2);
  EXPECT_EQ(tracked[0].last_failure, 700);
  std::optional<BanTrigger> t = w.Record(a, 702);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->first_failure, 200);
}

TEST(FailureWindow, FailureExactlyFindtimeOlderStillCounts) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2");
  EXPECT_FALSE(w.Record(a, 0));
  EXPECT_FALSE(w.Record(a, 300));
  std::optional<BanTrigger> t = w.Record(a, 600);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 3);
  EXPECT_EQ(t->first_failure, 0);

  EXPECT_FALSE(w.Record(b, 0));
  EXPECT_FALSE(w.Record(b, 300));
  EXPECT_FALSE(w.Record(b, 601));  // one second more: 0 no longer counts
}

TEST(FailureWindow, MaxretryOneBansOnFirstFailure) {
  FailureWindow w(Opts(1, 600));
  std::optional<BanTrigger> t = w.Record(Ip("2001:db8::1"), 42, "line one");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 1);
  EXPECT_EQ(t->first_failure, 42);
  EXPECT_EQ(t->last_failure, 42);
  EXPECT_EQ(t->lines, std::vector<std::string>{"line one"});
  EXPECT_EQ(w.size(), 0u);
  FailureWindow zero(Opts(0, 600));  // clamped to 1
  EXPECT_TRUE(zero.Record(Ip("192.0.2.1"), 1));
  EXPECT_EQ(zero.maxretry(), 1);
}

TEST(FailureWindow, CountsOutOfOrderFailuresByTheirOwnTime) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2"), c = Ip("192.0.2.3");
  // An older line arriving last still completes the window [500, 1100].
  EXPECT_FALSE(w.Record(a, 1000));
  EXPECT_FALSE(w.Record(a, 990));
  std::optional<BanTrigger> t = w.Record(a, 500);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->first_failure, 500);
  EXPECT_EQ(t->last_failure, 1000);

  // Too old to share a window with the newest failure: discarded.
  EXPECT_FALSE(w.Record(b, 1000));
  EXPECT_FALSE(w.Record(b, 300));
  EXPECT_FALSE(w.Record(b, 990));
  EXPECT_EQ(w.Tracked().size(), 1u);
  EXPECT_EQ(w.Tracked()[0].failures, 2);

  // The late failure is the middle of its window: [950, 1550] holds 950, 1000 and 1500.
  EXPECT_FALSE(w.Record(c, 1000));
  EXPECT_FALSE(w.Record(c, 1500));
  t = w.Record(c, 950);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->first_failure, 950);
  EXPECT_EQ(t->last_failure, 1500);
}

TEST(FailureWindow, OldLinesOfOneAddressAreNotJudgedByAnotherAddressesTime) {
  FailureWindow w(Opts(3, 600));
  EXPECT_FALSE(w.Record(Ip("192.0.2.9"), 2000000000));
  EXPECT_FALSE(w.Record(Ip("192.0.2.1"), 1000));
  EXPECT_FALSE(w.Record(Ip("192.0.2.1"), 1100));
  EXPECT_TRUE(w.Record(Ip("192.0.2.1"), 1200));
}

TEST(FailureWindow, SameSecondFailuresCountSeparately) {
  FailureWindow w(Opts(3, 0));
  const IpAddress a = Ip("192.0.2.1");
  EXPECT_FALSE(w.Record(a, 5));
  EXPECT_FALSE(w.Record(a, 5));
  EXPECT_FALSE(w.Record(a, 6));  // findtime 0: only the same second counts
  EXPECT_TRUE(w.Record(a, 6) == std::nullopt);
  EXPECT_TRUE(w.Record(a, 6));
}

TEST(FailureWindow, CapEvictionKeepsTheNewest) {
  FailureWindowOptions o = Opts(5, 1000000);
  o.max_tracked = 100;
  FailureWindow w(o);
  for (uint32_t k = 0; k < 100; ++k) EXPECT_FALSE(w.Record(Nth(k), 1000 + k));
  EXPECT_EQ(w.size(), 100u);
  EXPECT_FALSE(w.Record(Nth(100), 1100));
  EXPECT_EQ(w.size(), 91u);  // down to 90%, then the new one
  EXPECT_EQ(w.evicted(), 10u);
  std::map<uint32_t, int> present;
  for (const TrackedAddress& t : w.Tracked()) present[t.address.v4_host_order() - 0xC6336400u]++;
  for (uint32_t k = 0; k < 10; ++k) EXPECT_EQ(present.count(k), 0u) << k;
  for (uint32_t k = 10; k <= 100; ++k) EXPECT_EQ(present.count(k), 1u) << k;
}

TEST(FailureWindow, CapEvictionDropsStaleEntriesFirstAndBreaksTies) {
  FailureWindowOptions o = Opts(5, 50);
  o.max_tracked = 100;
  FailureWindow w(o);
  for (uint32_t k = 0; k < 100; ++k) EXPECT_FALSE(w.Record(Nth(k), k));
  EXPECT_FALSE(w.Record(Nth(100), 100));
  // Newest failure in the jail is 100: everything before 50 is stale, and that was enough.
  EXPECT_EQ(w.size(), 51u);

  FailureWindowOptions same = Opts(5, 1000000);
  same.max_tracked = 100;
  FailureWindow ties(same);
  for (uint32_t k = 0; k < 100; ++k) EXPECT_FALSE(ties.Record(Nth(k), 7));  // all equal
  EXPECT_FALSE(ties.Record(Nth(100), 8));
  EXPECT_EQ(ties.size(), 91u);
  EXPECT_EQ(ties.evicted(), 10u);
}

TEST(FailureWindow, EvictionIsAmortised) {
  FailureWindowOptions o = Opts(5, 1000000);
  o.max_tracked = 1000;
  FailureWindow w(o);
  for (uint32_t k = 0; k < 100000; ++k) EXPECT_FALSE(w.Record(Nth(k), k));
  EXPECT_LE(w.size(), 1000u);
  EXPECT_GE(w.size(), 900u);
  // Each eviction frees 100 entries: about 1000 evictions for 99,000 extra addresses.
  EXPECT_EQ(w.evicted(), 100000u - w.size());
}

TEST(FailureWindow, SettersTakeEffectOnTheNextFailure) {
  FailureWindow w(Opts(5, 600));
  const IpAddress a = Ip("192.0.2.1");
  EXPECT_FALSE(w.Record(a, 100));
  EXPECT_FALSE(w.Record(a, 200));
  w.set_maxretry(3);
  EXPECT_EQ(w.maxretry(), 3);
  EXPECT_EQ(w.size(), 1u);  // lowering alone bans nobody
  std::optional<BanTrigger> t = w.Record(a, 300);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 3);

  const IpAddress b = Ip("192.0.2.2");
  EXPECT_FALSE(w.Record(b, 100));
  EXPECT_FALSE(w.Record(b, 200));
  w.set_findtime(50);
  EXPECT_EQ(w.findtime(), 50);
  EXPECT_FALSE(w.Record(b, 300));  // 100 and 200 are now too old
  w.set_findtime(10000);
  EXPECT_FALSE(w.Record(b, 301));
  EXPECT_TRUE(w.Record(b, 302));

  // Lowering maxretry below what an address already holds: the next failure bans with all of them.
  FailureWindow big(Opts(10, 600));
  for (int k = 0; k < 9; ++k) EXPECT_FALSE(big.Record(a, k));
  big.set_maxretry(2);
  t = big.Record(a, 9);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 10);
  w.set_findtime(-5);
  EXPECT_EQ(w.findtime(), 0);
  w.set_findtime(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(w.findtime(), int64_t{std::numeric_limits<uint32_t>::max()});
}

TEST(FailureWindow, LargeMaxretryUsesHeapAndReleasesIt) {
  FailureWindow w(Opts(20, 600));
  const size_t empty = w.ApproximateMemoryUsage();
  const IpAddress a = Ip("2001:db8::5");
  for (int k = 0; k < 19; ++k) EXPECT_FALSE(w.Record(a, 1000 + k));
  EXPECT_EQ(w.Tracked()[0].failures, 19);
  EXPECT_GT(w.ApproximateMemoryUsage(), empty);
  std::optional<BanTrigger> t = w.Record(a, 999);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 20);
  EXPECT_EQ(t->first_failure, 999);
  EXPECT_EQ(t->last_failure, 1018);
  EXPECT_EQ(w.size(), 0u);
  // Only the (kept) bucket array and scratch space remain.
  EXPECT_LT(w.ApproximateMemoryUsage(), empty + 512);
}

TEST(FailureWindow, ReturnsTheBannedAddressesLatestLines) {
  FailureWindowOptions o = Opts(7, 600);
  o.lines_per_ban = 5;
  FailureWindow w(o);
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2");
  for (int k = 0; k < 6; ++k) {
    EXPECT_FALSE(w.Record(a, k, "a" + std::to_string(k)));
    EXPECT_FALSE(w.Record(b, k, "b" + std::to_string(k)));
  }
  std::optional<BanTrigger> t = w.Record(a, 6, "a6");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lines, (std::vector<std::string>{"a2", "a3", "a4", "a5", "a6"}));
  // a's lines are retired: a later ban of a does not repeat them.
  w.set_maxretry(1);
  t = w.Record(a, 7, "");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->lines.empty());
  t = w.Record(b, 7, "b6");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lines, (std::vector<std::string>{"b2", "b3", "b4", "b5", "b6"}));
}

TEST(FailureWindow, LineRingIsBoundedAndLinesAreCut) {
  FailureWindowOptions o = Opts(10, 600);
  o.line_ring_size = 4;
  FailureWindow w(o);
  const IpAddress a = Ip("192.0.2.1"), b = Ip("192.0.2.2");
  EXPECT_FALSE(w.Record(a, 1, "a1"));
  EXPECT_FALSE(w.Record(a, 2, std::string(5000, 'x')));
  for (int k = 0; k < 2; ++k) EXPECT_FALSE(w.Record(b, k, "b"));
  w.set_maxretry(1);
  std::optional<BanTrigger> t = w.Record(a, 3, "a3");
  ASSERT_TRUE(t);
  // Ring of 4: "a1" was overwritten; the long line survives, cut to kMaxLineBytes.
  ASSERT_EQ(t->lines.size(), 2u);
  EXPECT_EQ(t->lines[0], std::string(FailureWindow::kMaxLineBytes, 'x'));
  EXPECT_EQ(t->lines[1], "a3");

  FailureWindowOptions none = Opts(1, 600);
  none.line_ring_size = 0;
  FailureWindow no_ring(none);
  t = no_ring.Record(a, 1, "ignored");
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->lines.empty());
}

TEST(FailureWindow, ForgetDropsFailuresAndLines) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1");
  EXPECT_FALSE(w.Record(a, 1, "old"));
  EXPECT_FALSE(w.Record(a, 2, "old"));
  EXPECT_TRUE(w.Forget(a));
  EXPECT_FALSE(w.Forget(a));
  EXPECT_EQ(w.size(), 0u);
  EXPECT_FALSE(w.Record(a, 3, "n1"));
  EXPECT_FALSE(w.Record(a, 4, "n2"));
  std::optional<BanTrigger> t = w.Record(a, 5, "n3");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->failures, 3);
  EXPECT_EQ(t->lines, (std::vector<std::string>{"n1", "n2", "n3"}));
}

TEST(FailureWindow, ExpireDropsStaleAddresses) {
  FailureWindow w(Opts(5, 600));
  EXPECT_FALSE(w.Record(Nth(1), 1000));
  EXPECT_FALSE(w.Record(Nth(2), 1500));
  EXPECT_FALSE(w.Record(Nth(2), 100));  // discarded, does not make Nth(2) older
  EXPECT_EQ(w.Expire(1600), 0u);        // 1000 is exactly findtime old: kept
  EXPECT_EQ(w.Expire(1601), 1u);
  EXPECT_EQ(w.size(), 1u);
  EXPECT_EQ(w.Tracked()[0].address, Nth(2));
  EXPECT_EQ(w.Expire(std::numeric_limits<int64_t>::max()), 1u);
  EXPECT_EQ(w.size(), 0u);
}

TEST(FailureWindow, ExtremeTimestampsDoNotOverflow) {
  FailureWindow w(Opts(3, 600));
  const IpAddress a = Ip("192.0.2.1");
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_FALSE(w.Record(a, max));
  EXPECT_FALSE(w.Record(a, min));
  EXPECT_FALSE(w.Record(a, max - 600));
  EXPECT_TRUE(w.Record(a, max - 1));
  EXPECT_FALSE(w.Record(a, min));
  EXPECT_FALSE(w.Record(a, min + 600));
  EXPECT_TRUE(w.Record(a, min + 1));
  EXPECT_EQ(w.Expire(min), 0u);
}

// Brute-force model of the documented rule, run against random input with maxretry changes that
// exercise inline and heap storage.
TEST(FailureWindow, MatchesBruteForceModel) {
  std::mt19937 rng(2024);
  for (int round = 0; round < 40; ++round) {
    int maxretry = 1 + static_cast<int>(rng() % 12);
    const int64_t findtime = rng() % 200;
    FailureWindow w(Opts(maxretry, findtime));
    std::map<uint32_t, std::vector<int64_t>> model;
    for (int step = 0; step < 3000; ++step) {
      if (rng() % 500 == 0) {
        maxretry = 1 + static_cast<int>(rng() % 12);
        w.set_maxretry(maxretry);
      }
      const uint32_t who = rng() % 8;
      const int64_t t = 10000 + step - static_cast<int64_t>(rng() % 300);  // jittered order
      std::vector<int64_t>& m = model[who];
      m.push_back(t);
      std::sort(m.begin(), m.end());
      size_t best = 0;
      int64_t first = 0, last = 0;
      for (int64_t start : m) {
        if (start > t || start < t - findtime) continue;
        size_t n = 0;
        int64_t hi = start;
        for (int64_t x : m) {
          if (x >= start && x <= start + findtime) {
            ++n;
            hi = std::max(hi, x);
          }
        }
        if (n > best) {
          best = n;
          first = start;
          last = hi;
        }
      }
      std::optional<BanTrigger> got = w.Record(Nth(who), t);
      if (best >= static_cast<size_t>(maxretry)) {
        ASSERT_TRUE(got) << "round " << round << " step " << step;
        ASSERT_EQ(got->failures, static_cast<int>(best));
        ASSERT_EQ(got->first_failure, first);
        ASSERT_EQ(got->last_failure, last);
        m.clear();
      } else {
        ASSERT_FALSE(got) << "round " << round << " step " << step;
        const int64_t newest = m.back();
        std::erase_if(m, [&](int64_t x) { return x < newest - findtime; });
      }
    }
    EXPECT_EQ(w.total_failures(), 3000u);
  }
}

// The per-address cost the design promises: under 200 bytes for an address with 2 failures,
// counting hash-table nodes, buckets and malloc chunk overhead.
TEST(FailureWindow, UsesUnder200BytesPerTrackedAddress) {
  constexpr size_t kAddresses = 100000;
  FailureWindow w(Opts(5, 600));
  const size_t empty = w.ApproximateMemoryUsage();
  const size_t heap_before = mallinfo2().uordblks;
  for (uint32_t k = 0; k < kAddresses; ++k) {
    ASSERT_FALSE(w.Record(IpAddress::FromV4(0x0A000000u + k), 1000 + k % 50));
    ASSERT_FALSE(w.Record(IpAddress::FromV4(0x0A000000u + k), 1100 + k % 50));
  }
  ASSERT_EQ(w.size(), kAddresses);
  const double per_address =
      static_cast<double>(w.ApproximateMemoryUsage() - empty) / static_cast<double>(kAddresses);
  const double malloc_view =
      static_cast<double>(mallinfo2().uordblks - heap_before) / static_cast<double>(kAddresses);
  std::cout << "FailureWindow: " << per_address << " bytes per tracked address (2 failures, "
            << kAddresses << " addresses; allocator count), malloc arena view " << malloc_view
            << "\n";
  EXPECT_LT(per_address, 200.0);

  // IPv6 addresses cost the same: the key is a fixed 17-byte IpAddress.
  FailureWindow v6(Opts(5, 600));
  std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
  for (uint32_t k = 0; k < 10000; ++k) {
    b[12] = static_cast<uint8_t>(k >> 24);
    b[13] = static_cast<uint8_t>(k >> 16);
    b[14] = static_cast<uint8_t>(k >> 8);
    b[15] = static_cast<uint8_t>(k);
    ASSERT_FALSE(v6.Record(IpAddress::FromV6(b), 1));
    ASSERT_FALSE(v6.Record(IpAddress::FromV6(b), 2));
  }
  EXPECT_LT(static_cast<double>(v6.ApproximateMemoryUsage()) / 10000.0, 200.0);
}

}  // namespace
}  // namespace portcullis
