// BanStore: what survives a restart of portcullisd — active bans, ban history (for
// bantime_increment across restarts and reboots), the log tailer's file positions and the
// journal source's cursors.
//
// Who calls it: the daemon, from its single event-loop thread. A store is not thread-safe and not
// copyable. The daemon owns the store.
//
// Read side: called at startup (and by `banned --history`), each call is one query.
// Write side: buffered. AddBan, PutBan, RemoveBan, RemoveJailBans, RemoveAllBans, ForgetHistory,
// SavePositions and SaveJournalCursors only queue work in memory and never fail. Commit() writes
// everything queued since the last successful Commit in ONE transaction. The daemon calls Commit
// once per loop iteration, right after a successful firewall transaction and before it logs "Ban":
// a ban the daemon reports as applied is then durable against a kill -9 of the process at any
// moment (see sqlite_ban_store.h for why WAL with synchronous=NORMAL is enough for that).
//
// Times are wall-clock epoch seconds, passed in by the caller; a store never reads a clock.
//
// Why a StoredBan of our own instead of the daemon's BanRecord: include/ holds contracts only and
// must not depend on src/ban; the two structs are field-for-field the same, so converting is a
// plain member copy (the daemon does it where it builds the firewall batch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/line_source.h"
#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

// One active ban, as the daemon's ledger (BanRecord) holds it.
struct StoredBan {
  std::string jail;
  Cidr target;
  int64_t start = 0;
  int64_t end = 0;  // ignored when permanent
  bool permanent = false;
  int ban_count = 1;                 // how many times this target was banned, this one included
  int failures = 0;                  // failures that led to the ban (0 for manual bans)
  std::vector<std::string> matches;  // a few matched log lines (raw bytes, no '\n' inside)

  friend bool operator==(const StoredBan&, const StoredBan&) = default;
};

// One past (or current) ban, for `portcullis banned --history ADDR`.
struct HistoryEntry {
  std::string jail;
  Cidr target;
  int64_t time = 0;  // ban start
  int64_t end = 0;   // planned end; ignored when permanent
  bool permanent = false;
  int failures = 0;

  friend bool operator==(const HistoryEntry&, const HistoryEntry&) = default;
};

// Per (jail, target): how many bans are on record and when the last one started. Exactly what
// BanHistory::Restore(jail, target.network(), count, last_ban) takes. Like BanHistory, a record
// counts as a whole while its last ban is recent.
struct HistoryCount {
  std::string jail;
  Cidr target;
  int count = 0;
  int64_t last_ban = 0;

  friend bool operator==(const HistoryCount&, const HistoryCount&) = default;
};

// Where a journal reader stopped: the sd-journal cursor of the last entry delivered. `key` names
// the reader (the daemon uses the jail name); the cursor is opaque text from libsystemd.
struct JournalCursor {
  std::string key;
  std::string cursor;

  friend bool operator==(const JournalCursor&, const JournalCursor&) = default;
};

class BanStore {
 public:
  BanStore() = default;
  BanStore(const BanStore&) = delete;
  BanStore& operator=(const BanStore&) = delete;
  virtual ~BanStore() = default;

  // Opens (creating if needed) the store. Must be called once before anything else.
  // The SQLite store recovers from a corrupt or unreadable file by moving it aside and starting
  // empty: that is an OK status plus recovered_from_corruption() / recovery_message(), which the
  // daemon must log loudly. A non-OK status means no store at all (e.g. the state directory cannot
  // be written, or the file was written by a newer portcullis): the daemon runs without
  // persistence and says so.
  virtual Status Open() = 0;

  // True when Open() had to move a damaged database aside; recovery_message() says what was found
  // and where the old file went.
  virtual bool recovered_from_corruption() const { return false; }
  virtual const std::string& recovery_message() const;

  // ---- Read side (startup, CLI). Buffered writes not yet committed are NOT seen. ----

  // Every ban still active at `now`: permanent ones, and timed ones with end > now. Expired bans
  // are never returned. Order unspecified.
  virtual Result<std::vector<StoredBan>> LoadActiveBans(int64_t now) = 0;
  // The same with `matches` left empty: what the daemon restores (its ledger keeps no lines), at a
  // fraction of the memory for a large database.
  virtual Result<std::vector<StoredBan>> LoadActiveBansWithoutMatches(int64_t now);
  // The stored ban of `target` in `jail`, with its matched lines (`portcullis banned ADDR`);
  // nullopt if none is stored. Active or not: the caller knows whether it still is.
  virtual Result<std::optional<StoredBan>> LoadBan(std::string_view jail, const Cidr& target) = 0;

  // Every (jail, target) history record whose last ban started at or after `since`
  // (the daemon passes now - dbpurgeage). For BanHistory::Restore. Order unspecified.
  virtual Result<std::vector<HistoryCount>> LoadHistoryCounts(int64_t since) = 0;

  // The tailer's positions as last saved (empty on a fresh store).
  virtual Result<std::vector<FilePosition>> LoadPositions() = 0;

  // The journal cursors as last saved (empty on a fresh store). Order unspecified.
  virtual Result<std::vector<JournalCursor>> LoadJournalCursors() = 0;

  // Past bans of exactly `target` (a host address is the block Cidr(address)), in every jail,
  // newest first, at most `limit`. Includes bans still active.
  virtual Result<std::vector<HistoryEntry>> History(const Cidr& target, size_t limit) = 0;

  // ---- Write side: queued until Commit(). ----

  // A new ban was applied: stores it as active (replacing an earlier one of the same jail and
  // target) and records one history event, adding one to its HistoryCount. Recording the same
  // (jail, target, start) twice is harmless: the second time only the active row is replaced.
  virtual void AddBan(const StoredBan& ban) = 0;
  // Stores or replaces an active ban WITHOUT recording history: for bans adopted from the kernel
  // and bans whose end changed.
  virtual void PutBan(const StoredBan& ban) = 0;
  // Unbanned (by hand, or expired). Removing a ban that is not stored is not an error.
  // History stays.
  virtual void RemoveBan(std::string_view jail, const Cidr& target) = 0;
  // Every active ban of one jail (flush), or of all jails. History stays.
  virtual void RemoveJailBans(std::string_view jail) = 0;
  virtual void RemoveAllBans() = 0;
  // Drops the history events and the HistoryCounts of `target` (`unban --forget`).
  virtual void ForgetHistory(const Cidr& target) = 0;
  // Replaces all saved positions with `positions` (paths unique). Only the last call before a
  // Commit is written. A set equal (in any order) to the one the store holds, as last loaded or
  // committed, queues nothing and cancels a different set queued before it: the daemon saves
  // every few seconds, and an idle one then writes nothing.
  virtual void SavePositions(std::span<const FilePosition> positions) = 0;
  // Replaces all saved journal cursors with `cursors` (keys unique). Only the last call before a
  // Commit is written, and the held set again queues nothing, as for SavePositions; independent
  // of SavePositions.
  virtual void SaveJournalCursors(std::span<const JournalCursor> cursors) = 0;

  // Writes everything queued, in order, in one transaction, and returns once it is durable
  // against a crash of the process. Nothing queued: returns OK at once. On failure the
  // transaction is rolled back and the queue is KEPT, so the next Commit retries it; the caller
  // logs the error (the firewall already holds the bans, so the daemon keeps running).
  virtual Status Commit() = 0;
  // Number of queued writes not yet committed (for status output and tests).
  virtual size_t pending() const = 0;

  // Retention, called hourly: commits the queue, then deletes history events that started before
  // `before`, HistoryCounts whose last ban is before `before` and timed active bans that ended at
  // or before `before`; finally gives freed pages back to the file system (SQLite: incremental
  // vacuum), so the file does not grow without bound.
  virtual Status Purge(int64_t before) = 0;
};

}  // namespace portcullis
