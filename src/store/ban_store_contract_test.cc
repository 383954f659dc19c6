// The BanStore contract, run against both implementations.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "portcullis/ban_store.h"
#include "store/memory_ban_store.h"
#include "store/sqlite_ban_store.h"

namespace portcullis {
namespace {

Cidr C(std::string_view text) { return *Cidr::Parse(text); }

StoredBan Ban(std::string jail, std::string_view target, int64_t start, int64_t end) {
  StoredBan b;
  b.jail = std::move(jail);
  b.target = C(target);
  b.start = start;
  b.end = end;
  return b;
}

std::vector<StoredBan> Sorted(std::vector<StoredBan> v) {
  std::sort(v.begin(), v.end(), [](const StoredBan& a, const StoredBan& b) {
    return std::tie(a.jail, a.target) < std::tie(b.jail, b.target);
  });
  return v;
}

class BanStoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "portcullis-store-XXXXXX");
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryBanStore>();
    } else {
      store_ = std::make_unique<SqliteBanStore>(SqliteBanStoreOptions{dir_ + "/portcullis.db"});
    }
    ASSERT_TRUE(store_->Open().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  std::unique_ptr<BanStore> store_;
};

TEST_P(BanStoreContract, WritesAreInvisibleUntilCommit) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 100, 700));
  EXPECT_EQ(store_->pending(), 1u);
  EXPECT_TRUE(store_->LoadActiveBans(100)->empty());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->pending(), 0u);
  EXPECT_EQ(store_->LoadActiveBans(100)->size(), 1u);
}

TEST_P(BanStoreContract, RoundTripsEveryField) {
  StoredBan b = Ban("sshd", "2001:db8::/64", 1000, 4600);
  b.ban_count = 3;
  b.failures = 5;
  b.matches = {"line one", "", std::string("nul\0byte", 8), "last"};
  StoredBan p = Ban("recidive", "198.51.100.7", 2000, 0);
  p.permanent = true;
  store_->AddBan(b);
  store_->AddBan(p);
  ASSERT_TRUE(store_->Commit().ok());
  Result<std::vector<StoredBan>> loaded = store_->LoadActiveBans(1500);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(Sorted(*loaded), Sorted({b, p}));
}

TEST_P(BanStoreContract, LoadsOneBanWithItsLines) {
  StoredBan b = Ban("sshd", "2001:db8::7", 1000, 4600);
  b.failures = 4;
  b.ban_count = 2;
  b.matches = {"first line", "second line"};
  store_->AddBan(b);
  ASSERT_TRUE(store_->Commit().ok());
  Result<std::optional<StoredBan>> got = store_->LoadBan("sshd", C("2001:db8::7"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, b);
  EXPECT_FALSE(store_->LoadBan("nginx", C("2001:db8::7"))->has_value());
  EXPECT_FALSE(store_->LoadBan("sshd", C("2001:db8::8"))->has_value());
}

TEST_P(BanStoreContract, LoadsActiveBansWithoutTheirLines) {
  StoredBan b = Ban("sshd", "192.0.2.9", 1000, 4600);
  b.failures = 3;
  b.matches = {"one", "two"};
  store_->AddBan(b);
  ASSERT_TRUE(store_->Commit().ok());
  Result<std::vector<StoredBan>> loaded = store_->LoadActiveBansWithoutMatches(1500);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  b.matches.clear();
  EXPECT_EQ(*loaded, std::vector<StoredBan>{b});
  EXPECT_EQ((*store_->LoadActiveBans(1500))[0].matches.size(), 2u);  // still stored
}

TEST_P(BanStoreContract, ExpiredBansAreNotLoadedButPermanentOnesAre) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 100, 700));
  store_->AddBan(Ban("sshd", "192.0.2.2", 100, 701));
  StoredBan p = Ban("sshd", "192.0.2.3", 100, 0);
  p.permanent = true;
  store_->AddBan(p);
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<StoredBan> at700 = Sorted(*store_->LoadActiveBans(700));
  ASSERT_EQ(at700.size(), 2u);
  EXPECT_EQ(at700[0].target, C("192.0.2.2"));
  EXPECT_EQ(at700[1].target, C("192.0.2.3"));
  std::vector<StoredBan> much_later = *store_->LoadActiveBans(int64_t{1} << 40);
  ASSERT_EQ(much_later.size(), 1u);
  EXPECT_TRUE(much_later[0].permanent);
}

TEST_P(BanStoreContract, RemoveOneJailOrAll) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 100, 700));
  store_->AddBan(Ban("sshd", "192.0.2.2", 100, 700));
  store_->AddBan(Ban("nginx", "192.0.2.1", 100, 700));
  store_->AddBan(Ban("postfix", "192.0.2.9", 100, 700));
  store_->RemoveBan("sshd", C("192.0.2.2"));
  store_->RemoveBan("sshd", C("203.0.113.1"));  // not stored: no error
  store_->RemoveJailBans("nginx");
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<StoredBan> left = Sorted(*store_->LoadActiveBans(100));
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].jail, "postfix");
  EXPECT_EQ(left[1].target, C("192.0.2.1"));
  store_->RemoveAllBans();
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_TRUE(store_->LoadActiveBans(100)->empty());
  // History stays after unbans.
  EXPECT_EQ(store_->History(C("192.0.2.1"), 10)->size(), 2u);
}

TEST_P(BanStoreContract, OperationsApplyInQueueOrder) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 100, 700));
  store_->RemoveAllBans();
  store_->AddBan(Ban("sshd", "192.0.2.2", 100, 700));
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<StoredBan> left = *store_->LoadActiveBans(100);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].target, C("192.0.2.2"));
}

TEST_P(BanStoreContract, HistoryCountsFeedBantimeIncrement) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 1000, 1600));
  ASSERT_TRUE(store_->Commit().ok());
  store_->RemoveBan("sshd", C("192.0.2.1"));
  store_->AddBan(Ban("sshd", "192.0.2.1", 2000, 3200));
  store_->AddBan(Ban("nginx", "192.0.2.1", 2500, 3100));
  store_->AddBan(Ban("sshd", "198.51.100.1", 500, 1100));
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<HistoryCount> counts = *store_->LoadHistoryCounts(1000);
  std::sort(counts.begin(), counts.end(), [](const HistoryCount& a, const HistoryCount& b) {
    return std::tie(a.jail, a.target) < std::tie(b.jail, b.target);
  });
  ASSERT_EQ(counts.size(), 2u);  // 198.51.100.1's last ban (500) is before `since`
  EXPECT_EQ(counts[0], (HistoryCount{"nginx", C("192.0.2.1"), 1, 2500}));
  EXPECT_EQ(counts[1], (HistoryCount{"sshd", C("192.0.2.1"), 2, 2000}));
}

TEST_P(BanStoreContract, TheSameBanAddedTwiceCountsOnce) {
  StoredBan b = Ban("sshd", "192.0.2.1", 1000, 1600);
  store_->AddBan(b);
  ASSERT_TRUE(store_->Commit().ok());
  b.end = 2000;
  store_->AddBan(b);
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->LoadHistoryCounts(0)->at(0).count, 1);
  EXPECT_EQ(store_->LoadActiveBans(0)->at(0).end, 2000);
}

TEST_P(BanStoreContract, PutBanRecordsNoHistory) {
  store_->PutBan(Ban("sshd", "192.0.2.1", 1000, 1600));
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->LoadActiveBans(1000)->size(), 1u);
  EXPECT_TRUE(store_->LoadHistoryCounts(0)->empty());
  EXPECT_TRUE(store_->History(C("192.0.2.1"), 10)->empty());
}

TEST_P(BanStoreContract, HistoryIsNewestFirstAndLimited) {
  StoredBan p = Ban("recidive", "192.0.2.1", 5000, 0);
  p.permanent = true;
  p.failures = 7;
  store_->AddBan(Ban("sshd", "192.0.2.1", 1000, 1600));
  store_->AddBan(Ban("sshd", "192.0.2.1", 3000, 4200));
  store_->AddBan(p);
  store_->AddBan(Ban("sshd", "192.0.2.2", 4000, 4600));
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<HistoryEntry> h = *store_->History(C("192.0.2.1"), 10);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0], (HistoryEntry{"recidive", C("192.0.2.1"), 5000, 0, true, 7}));
  EXPECT_EQ(h[1].time, 3000);
  EXPECT_EQ(h[2].time, 1000);
  EXPECT_EQ(store_->History(C("192.0.2.1"), 1)->size(), 1u);
  EXPECT_TRUE(store_->History(C("203.0.113.5"), 10)->empty());
}

TEST_P(BanStoreContract, ForgetHistoryDropsEventsAndCounts) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 1000, 1600));
  store_->AddBan(Ban("sshd", "192.0.2.2", 1000, 1600));
  store_->ForgetHistory(C("192.0.2.1"));
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_TRUE(store_->History(C("192.0.2.1"), 10)->empty());
  std::vector<HistoryCount> counts = *store_->LoadHistoryCounts(0);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].target, C("192.0.2.2"));
  EXPECT_EQ(store_->LoadActiveBans(1000)->size(), 2u);  // the bans themselves stay
}

TEST_P(BanStoreContract, PositionsKeepTheLastSavedSet) {
  FilePosition a{"/var/log/auth.log", 2049, 123456789, 4096, 0xfedcba9876543210ull, 256};
  FilePosition b{"/var/log/nginx/error.log", 1ull << 63, ~0ull, 1ull << 40, 1, 12};
  std::vector<FilePosition> first = {a, b};
  store_->SavePositions(first);
  a.offset = 8192;
  std::vector<FilePosition> second = {a};
  store_->SavePositions(second);
  EXPECT_EQ(store_->pending(), 1u);
  EXPECT_TRUE(store_->LoadPositions()->empty());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(*store_->LoadPositions(), second);
  store_->SavePositions(first);
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<FilePosition> loaded = *store_->LoadPositions();
  std::sort(loaded.begin(), loaded.end(),
            [](const FilePosition& x, const FilePosition& y) { return x.path < y.path; });
  EXPECT_EQ(loaded,
            (std::vector<FilePosition>{{a.path, 2049, 123456789, 4096, a.head_hash, 256}, b}));
}

TEST_P(BanStoreContract, JournalCursorsKeepTheLastSavedSetApartFromPositions) {
  FilePosition pos{"/var/log/auth.log", 1, 2, 3, 4, 5};
  std::vector<FilePosition> positions = {pos};
  store_->SavePositions(positions);
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<JournalCursor> first = {{"sshd", "s=0123;i=1a;b=ff;m=10;t=20;x=30"},
                                      {"postfix", "s=0123;i=2b;b=ff;m=11;t=21;x=31"}};
  std::vector<JournalCursor> second = {{"sshd", "s=0123;i=1c;b=ff;m=12;t=22;x=32"}};
  store_->SaveJournalCursors(first);
  store_->SaveJournalCursors(second);
  EXPECT_EQ(store_->pending(), 1u);
  EXPECT_TRUE(store_->LoadJournalCursors()->empty());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(*store_->LoadJournalCursors(), second);
  EXPECT_EQ(*store_->LoadPositions(), positions);  // untouched by cursors
  store_->SaveJournalCursors(first);
  store_->SavePositions({});
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<JournalCursor> loaded = *store_->LoadJournalCursors();
  std::sort(loaded.begin(), loaded.end(),
            [](const JournalCursor& x, const JournalCursor& y) { return x.key < y.key; });
  EXPECT_EQ(loaded, (std::vector<JournalCursor>{first[1], first[0]}));
  EXPECT_TRUE(store_->LoadPositions()->empty());
}

TEST_P(BanStoreContract, SavingTheHeldSetAgainQueuesNothing) {
  // A fresh store holds no positions and no cursors.
  store_->SavePositions({});
  store_->SaveJournalCursors({});
  EXPECT_EQ(store_->pending(), 0u);
  FilePosition a{"/var/log/auth.log", 1, 2, 3, 4, 5};
  FilePosition b{"/var/log/mail.log", 6, 7, 8, 9, 10};
  std::vector<FilePosition> ab = {a, b};
  std::vector<FilePosition> ba = {b, a};
  std::vector<JournalCursor> cursors = {{"sshd", "s=1;i=2"}, {"postfix", "s=1;i=3"}};
  std::vector<JournalCursor> reversed = {cursors[1], cursors[0]};
  store_->SavePositions(ab);
  store_->SaveJournalCursors(cursors);
  ASSERT_TRUE(store_->Commit().ok());
  store_->SavePositions(ba);  // the same set in another order
  store_->SaveJournalCursors(reversed);
  EXPECT_EQ(store_->pending(), 0u);
  // A different set queued and then the held one again: nothing is left to write.
  a.offset = 99;
  std::vector<FilePosition> moved = {a, b};
  store_->SavePositions(moved);
  EXPECT_EQ(store_->pending(), 1u);
  store_->SavePositions(ba);
  EXPECT_EQ(store_->pending(), 0u);
  // A change is still written.
  store_->SavePositions(moved);
  ASSERT_TRUE(store_->Commit().ok());
  std::vector<FilePosition> loaded = *store_->LoadPositions();
  std::sort(loaded.begin(), loaded.end(),
            [](const FilePosition& x, const FilePosition& y) { return x.path < y.path; });
  EXPECT_EQ(loaded, moved);
  EXPECT_EQ(store_->LoadJournalCursors()->size(), 2u);
}

TEST_P(BanStoreContract, PurgeDropsOldHistoryAndLongExpiredBans) {
  store_->AddBan(Ban("sshd", "192.0.2.1", 1000, 1600));  // old, expired
  store_->AddBan(Ban("sshd", "192.0.2.2", 1000, 9000));  // old start, still active
  StoredBan p = Ban("sshd", "192.0.2.3", 1000, 0);
  p.permanent = true;
  store_->AddBan(p);
  store_->AddBan(Ban("sshd", "192.0.2.4", 6000, 6600));  // recent
  ASSERT_TRUE(store_->Purge(5000).ok());                 // also commits the queue
  EXPECT_EQ(store_->pending(), 0u);
  std::vector<StoredBan> bans = Sorted(*store_->LoadActiveBans(0));
  ASSERT_EQ(bans.size(), 3u);
  EXPECT_EQ(bans[0].target, C("192.0.2.2"));
  EXPECT_EQ(bans[1].target, C("192.0.2.3"));
  EXPECT_EQ(bans[2].target, C("192.0.2.4"));
  std::vector<HistoryCount> counts = *store_->LoadHistoryCounts(0);
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].target, C("192.0.2.4"));
  EXPECT_TRUE(store_->History(C("192.0.2.1"), 10)->empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, BanStoreContract, ::testing::Values("memory", "sqlite"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(MemoryBanStore, FailedCommitKeepsTheQueue) {
  MemoryBanStore store;
  ASSERT_TRUE(store.Open().ok());
  store.AddBan(Ban("sshd", "192.0.2.1", 100, 700));
  store.set_fail_commits(true);
  EXPECT_EQ(store.Commit().code(), StatusCode::kIoError);
  EXPECT_EQ(store.pending(), 1u);
  store.set_fail_commits(false);
  ASSERT_TRUE(store.Commit().ok());
  EXPECT_EQ(store.LoadActiveBans(100)->size(), 1u);
  EXPECT_EQ(store.commit_count(), 1);
}

}  // namespace
}  // namespace portcullis
