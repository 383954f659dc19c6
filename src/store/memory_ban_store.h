// An in-memory BanStore: for unit tests of the daemon, and for running without `state_dir`
// (nothing survives a restart then). Same contract as the SQLite store, including the queue:
// writes are seen by the Load* calls only after Commit().
//
// Tests can make Commit fail (set_fail_commits) to exercise the daemon's error path; the queue is
// then kept, as the contract says.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "portcullis/ban_store.h"

namespace portcullis {

class MemoryBanStore : public BanStore {
 public:
  MemoryBanStore() = default;

  Status Open() override;
  Result<std::vector<StoredBan>> LoadActiveBans(int64_t now) override;
  Result<std::optional<StoredBan>> LoadBan(std::string_view jail, const Cidr& target) override;
  Result<std::vector<HistoryCount>> LoadHistoryCounts(int64_t since) override;
  Result<std::vector<FilePosition>> LoadPositions() override;
  Result<std::vector<JournalCursor>> LoadJournalCursors() override;
  Result<std::vector<HistoryEntry>> History(const Cidr& target, size_t limit) override;

  void AddBan(const StoredBan& ban) override;
  void PutBan(const StoredBan& ban) override;
  void RemoveBan(std::string_view jail, const Cidr& target) override;
  void RemoveJailBans(std::string_view jail) override;
  void RemoveAllBans() override;
  void ForgetHistory(const Cidr& target) override;
  void SavePositions(std::span<const FilePosition> positions) override;
  void SaveJournalCursors(std::span<const JournalCursor> cursors) override;

  Status Commit() override;
  size_t pending() const override {
    return queue_.size() + (queued_positions_ ? 1 : 0) + (queued_cursors_ ? 1 : 0);
  }
  Status Purge(int64_t before) override;

  // While true, Commit() fails with IoError and keeps the queue.
  void set_fail_commits(bool fail) { fail_commits_ = fail; }
  // Successful non-empty commits so far.
  int commit_count() const { return commit_count_; }

 private:
  enum class OpKind { kAdd, kPut, kRemove, kRemoveJail, kRemoveAll, kForget };
  struct Op {
    OpKind kind;
    StoredBan ban;  // kAdd, kPut; jail/target for kRemove, jail for kRemoveJail, target for kForget
  };
  using Key = std::pair<std::string, Cidr>;
  using EventKey = std::tuple<Cidr, std::string, int64_t>;  // target, jail, start

  void Apply(const Op& op);

  bool open_ = false;
  bool fail_commits_ = false;
  int commit_count_ = 0;
  std::vector<Op> queue_;
  std::optional<std::vector<FilePosition>> queued_positions_;
  std::map<Key, StoredBan> bans_;
  std::map<EventKey, HistoryEntry> events_;
  std::map<Key, HistoryCount> counts_;
  std::vector<FilePosition> positions_;
  std::optional<std::vector<JournalCursor>> queued_cursors_;
  std::vector<JournalCursor> cursors_;
};

}  // namespace portcullis
