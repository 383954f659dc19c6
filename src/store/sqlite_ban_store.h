// The real BanStore: one SQLite database file, by default /var/lib/portcullis/portcullis.db.
//
// Layout (schema version 2, kept in PRAGMA user_version and upgraded by an ordered list of
// migrations in sqlite_ban_store.cc):
//   bans        active bans, one row per (jail, target)
//   history     one row per ban event (target, jail, start), for `banned --history`
//   ban_counts  per (jail, target): count and last ban start, for bantime_increment
//   positions   the log tailer's file positions
//   journal_cursors  per journal reader (jail): the sd-journal cursor of the last entry read
// Targets are stored as text (Cidr::ToString) so the file can be read with the sqlite3 shell.
//
// Durability. The file is in WAL mode with synchronous=NORMAL by default. Commit() returns after
// SQLite has write()n the transaction's frames and its commit record to the -wal file. Those bytes
// are in the kernel's page cache at that point, so they survive the death of the PROCESS (kill -9,
// abort, OOM kill): the kernel writes them out regardless, and the next Open() replays the WAL.
// synchronous=NORMAL only skips the fsync() per commit, which matters for a power loss or kernel
// crash — and then the kernel's nftables sets (where the bans actually live) are gone too; after
// such a reboot the daemon restores what reached the disk, i.e. all but at most the last few
// seconds of bans. `sync_full` (synchronous=FULL) closes that gap at the price of one fsync per
// loop iteration that bans something (measured in docs and bench/store_restore_tool.cc).
//
// Damage. Open() runs `PRAGMA quick_check` on an existing file. A file that is not a database, is
// corrupt (truncated, overwritten) or cannot be opened although it exists is renamed to
// `<path>.corrupt-<epoch>` (its -wal and -shm too) and a fresh database is created; Open() then
// returns OK and recovered_from_corruption() is true. A file written by a NEWER schema version is
// never moved: Open() fails (Unavailable) so that a downgrade does not destroy data.
//
// Not thread-safe; one store per file per process. Another process may read the file (the CLI's
// `--history` when the daemon is down) — WAL readers do not block the writer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "portcullis/ban_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace portcullis {

struct SqliteBanStoreOptions {
  std::string path;  // the database file; its directory is created (mode 0700) if missing
  // synchronous=FULL: every Commit also fsyncs, so a committed ban survives a power loss.
  bool sync_full = false;
  // Wall-clock time of the Open() call, epoch seconds; names a moved-aside damaged file.
  int64_t now = 0;
  // For the CLI (`banned --history` while the daemon is down, or alongside it: WAL readers do
  // not block the daemon). Nothing is created, migrated, checked or moved aside: a missing file is
  // NotFound, another schema version is Unavailable. Commit and Purge fail (PermissionDenied).
  bool read_only = false;
};

class SqliteBanStore : public BanStore {
 public:
  static constexpr int kSchemaVersion = 2;

  explicit SqliteBanStore(SqliteBanStoreOptions options);
  ~SqliteBanStore() override;

  Status Open() override;
  bool recovered_from_corruption() const override { return recovered_; }
  const std::string& recovery_message() const override { return recovery_message_; }

  Result<std::vector<StoredBan>> LoadActiveBans(int64_t now) override;
  Result<std::vector<StoredBan>> LoadActiveBansWithoutMatches(int64_t now) override;
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
    return queue_.size() + (positions_.has_value() ? 1 : 0) + (cursors_.has_value() ? 1 : 0);
  }
  Status Purge(int64_t before) override;

  // Rows whose target text no longer parses, skipped by the last Load call (0 unless the file was
  // edited by hand).
  size_t skipped_rows() const { return skipped_rows_; }

  // The integer value of `PRAGMA <name>` (page_count, freelist_count, user_version, auto_vacuum,
  // journal_mode is not an integer). For tests, the bench and `status`.
  Result<int64_t> PragmaInt(const std::string& name);

  const std::string& path() const { return options_.path; }

  // Statements compiled and cached right now (for tests): none after Open(); each kind of write
  // or lookup adds its statements when it first runs. Loads run once at startup and keep none.
  size_t cached_statements() const;
  // Bytes of database pages in SQLite's page cache for this connection (for tests).
  int64_t page_cache_bytes() const;

 private:
  Result<std::vector<StoredBan>> LoadActive(int64_t now, bool with_matches);
  enum class OpKind { kAdd, kPut, kRemove, kRemoveJail, kRemoveAll, kForget };
  struct Op {
    OpKind kind;
    StoredBan ban;  // jail/target only for kRemove, jail for kRemoveJail, target for kForget
  };
  enum class OpenOutcome { kOk, kDamaged, kFailed };

  OpenOutcome TryOpen(Status* status);
  Status OpenReadOnly();
  Status MoveAside(const std::string& why);
  Status Migrate();
  void Close();
  Status Exec(const char* sql);
  Status Error(int rc, std::string_view what) const;
  Status ApplyOp(const Op& op);
  Status WritePositions(const std::vector<FilePosition>& positions);
  Status WriteJournalCursors(const std::vector<JournalCursor>& cursors);
  Status Run(sqlite3_stmt* stmt, std::string_view what);
  // Frees the page cache's copies of pages no statement holds. Called when the work that read
  // them is done and will not run again: after Open (quick_check read every page: up to
  // cache_size, 1 MiB, of a big file would otherwise stay cached for the daemon's life) and after
  // each startup load. The next transaction reads what it needs again (from the kernel's cache).
  void DropPageCache();
  // Prepares `sql` for a single use into *out (the caller finalizes it).
  Status PrepareOnce(const char* sql, sqlite3_stmt** out);

  SqliteBanStoreOptions options_;
  sqlite3* db_ = nullptr;
  bool recovered_ = false;
  std::string recovery_message_;
  size_t skipped_rows_ = 0;

  std::vector<Op> queue_;
  std::optional<std::vector<FilePosition>> positions_;
  std::optional<std::vector<JournalCursor>> cursors_;
  // What the file holds, once known (loaded, committed, or a new file): saving the same set again
  // queues nothing, so an idle daemon's periodic save writes nothing.
  std::optional<std::vector<FilePosition>> stored_positions_;
  std::optional<std::vector<JournalCursor>> stored_cursors_;

  // Statements run more than once, prepared on first use and kept until Close(). An idle daemon
  // runs none of them, so none is compiled at startup (see Statement()).
  enum class Stmt {
    kBegin,
    kCommit,
    kUpsertBan,
    kInsertEvent,
    kBumpCount,
    kRemoveBan,
    kRemoveJail,
    kRemoveAll,
    kForgetEvents,
    kForgetCounts,
    kClearPositions,
    kInsertPosition,
    kClearCursors,
    kInsertCursor,
    kLoadBan,
    kLoadHistory,
    kCount,
  };
  Status Statement(Stmt id, sqlite3_stmt** out);
  sqlite3_stmt* stmts_[static_cast<int>(Stmt::kCount)] = {};
};

}  // namespace portcullis
