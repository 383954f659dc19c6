#include "store/memory_ban_store.h"

#include <algorithm>

#include "store/saved_sets.h"

namespace portcullis {

Status MemoryBanStore::Open() {
  open_ = true;
  return Status::Ok();
}

Result<std::vector<StoredBan>> MemoryBanStore::LoadActiveBans(int64_t now) {
  std::vector<StoredBan> out;
  for (const auto& [key, ban] : bans_) {
    if (ban.permanent || ban.end > now) out.push_back(ban);
  }
  return out;
}

Result<std::optional<StoredBan>> MemoryBanStore::LoadBan(std::string_view jail,
                                                        const Cidr& target) {
  auto it = bans_.find(Key{std::string(jail), target});
  if (it == bans_.end()) return std::optional<StoredBan>();
  return std::optional<StoredBan>(it->second);
}

Result<std::vector<HistoryCount>> MemoryBanStore::LoadHistoryCounts(int64_t since) {
  std::vector<HistoryCount> out;
  for (const auto& [key, count] : counts_) {
    if (count.last_ban >= since) out.push_back(count);
  }
  return out;
}

Result<std::vector<FilePosition>> MemoryBanStore::LoadPositions() { return positions_; }

Result<std::vector<JournalCursor>> MemoryBanStore::LoadJournalCursors() { return cursors_; }

Result<std::vector<HistoryEntry>> MemoryBanStore::History(const Cidr& target, size_t limit) {
  std::vector<HistoryEntry> out;
  for (const auto& [key, entry] : events_) {
    if (std::get<0>(key) == target) out.push_back(entry);
  }
  // Newest first; ties by jail so the order is deterministic, as in the SQLite store.
  std::sort(out.begin(), out.end(), [](const HistoryEntry& a, const HistoryEntry& b) {
    if (a.time != b.time) return a.time > b.time;
    return a.jail < b.jail;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

void MemoryBanStore::AddBan(const StoredBan& ban) { queue_.push_back({OpKind::kAdd, ban}); }

void MemoryBanStore::PutBan(const StoredBan& ban) { queue_.push_back({OpKind::kPut, ban}); }

void MemoryBanStore::RemoveBan(std::string_view jail, const Cidr& target) {
  Op op{OpKind::kRemove, {}};
  op.ban.jail = std::string(jail);
  op.ban.target = target;
  queue_.push_back(std::move(op));
}

void MemoryBanStore::RemoveJailBans(std::string_view jail) {
  Op op{OpKind::kRemoveJail, {}};
  op.ban.jail = std::string(jail);
  queue_.push_back(std::move(op));
}

void MemoryBanStore::RemoveAllBans() { queue_.push_back({OpKind::kRemoveAll, {}}); }

void MemoryBanStore::ForgetHistory(const Cidr& target) {
  Op op{OpKind::kForget, {}};
  op.ban.target = target;
  queue_.push_back(std::move(op));
}

void MemoryBanStore::SavePositions(std::span<const FilePosition> positions) {
  if (SortedByPath(positions) == SortedByPath(positions_)) {
    queued_positions_.reset();  // held already, as in the SQLite store
  } else {
    queued_positions_.emplace(positions.begin(), positions.end());
  }
}

void MemoryBanStore::SaveJournalCursors(std::span<const JournalCursor> cursors) {
  if (SortedByKey(cursors) == SortedByKey(cursors_)) {
    queued_cursors_.reset();
  } else {
    queued_cursors_.emplace(cursors.begin(), cursors.end());
  }
}

void MemoryBanStore::Apply(const Op& op) {
  switch (op.kind) {
    case OpKind::kAdd: {
      bans_[{op.ban.jail, op.ban.target}] = op.ban;
      EventKey ek{op.ban.target, op.ban.jail, op.ban.start};
      if (events_.count(ek) != 0) break;
      events_[ek] = HistoryEntry{op.ban.jail, op.ban.target,    op.ban.start,
                                 op.ban.end,  op.ban.permanent, op.ban.failures};
      HistoryCount& c = counts_[{op.ban.jail, op.ban.target}];
      c.jail = op.ban.jail;
      c.target = op.ban.target;
      ++c.count;
      c.last_ban = std::max(c.last_ban, op.ban.start);
      break;
    }
    case OpKind::kPut:
      bans_[{op.ban.jail, op.ban.target}] = op.ban;
      break;
    case OpKind::kRemove:
      bans_.erase({op.ban.jail, op.ban.target});
      break;
    case OpKind::kRemoveJail:
      std::erase_if(bans_, [&](const auto& kv) { return kv.first.first == op.ban.jail; });
      break;
    case OpKind::kRemoveAll:
      bans_.clear();
      break;
    case OpKind::kForget:
      std::erase_if(events_,
                    [&](const auto& kv) { return std::get<0>(kv.first) == op.ban.target; });
      std::erase_if(counts_, [&](const auto& kv) { return kv.first.second == op.ban.target; });
      break;
  }
}

Status MemoryBanStore::Commit() {
  if (pending() == 0) return Status::Ok();
  if (fail_commits_) return Status::IoError("memory store: commit failure injected by a test");
  for (const Op& op : queue_) Apply(op);
  queue_.clear();
  if (queued_positions_) positions_ = std::move(*queued_positions_);
  queued_positions_.reset();
  if (queued_cursors_) cursors_ = std::move(*queued_cursors_);
  queued_cursors_.reset();
  ++commit_count_;
  return Status::Ok();
}

Status MemoryBanStore::Purge(int64_t before) {
  PORTCULLIS_RETURN_IF_ERROR(Commit());
  std::erase_if(events_, [&](const auto& kv) { return kv.second.time < before; });
  std::erase_if(counts_, [&](const auto& kv) { return kv.second.last_ban < before; });
  std::erase_if(bans_,
                [&](const auto& kv) { return !kv.second.permanent && kv.second.end <= before; });
  return Status::Ok();
}

}  // namespace portcullis
