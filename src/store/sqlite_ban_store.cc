#include "store/sqlite_ban_store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <utility>

#include "store/saved_sets.h"

namespace portcullis {
namespace {

// Migration i takes the schema from version i to version i + 1; each runs in one transaction
// together with the user_version update, so a crash mid-upgrade leaves the old version intact.
// Append new migrations at the end; never edit a shipped one.
constexpr const char* kMigrations[] = {
    // v0 -> v1
    "CREATE TABLE bans ("
    "  jail TEXT NOT NULL, target TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,"
    "  permanent INTEGER NOT NULL, ban_count INTEGER NOT NULL, failures INTEGER NOT NULL,"
    "  matches BLOB, PRIMARY KEY (jail, target)) WITHOUT ROWID;"
    "CREATE TABLE history ("
    "  target TEXT NOT NULL, jail TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,"
    "  permanent INTEGER NOT NULL, failures INTEGER NOT NULL,"
    "  PRIMARY KEY (target, jail, start)) WITHOUT ROWID;"
    "CREATE INDEX history_by_start ON history (start);"
    "CREATE TABLE ban_counts ("
    "  jail TEXT NOT NULL, target TEXT NOT NULL, count INTEGER NOT NULL,"
    "  last_ban INTEGER NOT NULL, PRIMARY KEY (jail, target)) WITHOUT ROWID;"
    "CREATE INDEX ban_counts_by_last ON ban_counts (last_ban);"
    "CREATE TABLE positions ("
    "  path TEXT PRIMARY KEY NOT NULL, dev INTEGER NOT NULL, ino INTEGER NOT NULL,"
    "  offset INTEGER NOT NULL, head_hash INTEGER NOT NULL, head_len INTEGER NOT NULL);",
    // v1 -> v2: where each journal reader stopped (sd-journal cursor text).
    "CREATE TABLE journal_cursors (key TEXT PRIMARY KEY NOT NULL, cursor TEXT NOT NULL);",
};
static_assert(std::size(kMigrations) == SqliteBanStore::kSchemaVersion);

bool IsDamage(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Matched lines are raw log bytes without '\n'; each is stored followed by '\n' so that an
// empty line and no lines stay distinct.
std::string EncodeMatches(const std::vector<std::string>& matches) {
  std::string out;
  for (const std::string& m : matches) {
    out += m;
    out += '\n';
  }
  return out;
}

std::vector<std::string> DecodeMatches(const char* data, int size) {
  std::vector<std::string> out;
  if (data == nullptr) return out;
  std::string_view rest(data, static_cast<size_t>(size));
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) nl = rest.size();
    out.emplace_back(rest.substr(0, nl));
    rest.remove_prefix(nl == rest.size() ? nl : nl + 1);
  }
  return out;
}

// Binds text without copying; the caller keeps `text` alive until the statement is reset.
void BindText(sqlite3_stmt* stmt, int index, std::string_view text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

std::string ColumnText(sqlite3_stmt* stmt, int index) {
  const unsigned char* p = sqlite3_column_text(stmt, index);
  return p == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(p),
                                    static_cast<size_t>(sqlite3_column_bytes(stmt, index)));
}

// SQLite integers are signed 64-bit; inode numbers, offsets and hashes are stored bit for bit.
int64_t ToSql(uint64_t v) { return static_cast<int64_t>(v); }
uint64_t FromSql(int64_t v) { return static_cast<uint64_t>(v); }

// Resets a cached statement when the scope ends, whatever path returns.
class StmtReset {
 public:
  explicit StmtReset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StmtReset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StmtReset(const StmtReset&) = delete;
  StmtReset& operator=(const StmtReset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

// Owns a statement prepared for one call (the loads run once, at startup): finalized when the
// scope ends, so its compiled program does not stay in memory for the daemon's life.
class OneShot {
 public:
  OneShot() = default;
  ~OneShot() { sqlite3_finalize(stmt_); }
  OneShot(const OneShot&) = delete;
  OneShot& operator=(const OneShot&) = delete;
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }
  void Finalize() {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// SQL of the cached statements, indexed by SqliteBanStore::Stmt.
constexpr const char* kStatementSql[] = {
    "BEGIN IMMEDIATE",
    "COMMIT",
    "INSERT OR REPLACE INTO bans (jail, target, start, end, permanent, ban_count, failures,"
    " matches) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT OR IGNORE INTO history (target, jail, start, end, permanent, failures)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO ban_counts (jail, target, count, last_ban) VALUES (?1, ?2, 1, ?3)"
    " ON CONFLICT (jail, target) DO UPDATE SET count = count + 1,"
    " last_ban = max(last_ban, excluded.last_ban)",
    "DELETE FROM bans WHERE jail = ?1 AND target = ?2",
    "DELETE FROM bans WHERE jail = ?1",
    "DELETE FROM bans",
    "DELETE FROM history WHERE target = ?1",
    "DELETE FROM ban_counts WHERE target = ?1",
    "DELETE FROM positions",
    "INSERT OR REPLACE INTO positions (path, dev, ino, offset, head_hash, head_len)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "DELETE FROM journal_cursors",
    "INSERT OR REPLACE INTO journal_cursors (key, cursor) VALUES (?1, ?2)",
    "SELECT start, end, permanent, ban_count, failures, matches FROM bans"
    " WHERE jail = ?1 AND target = ?2",
    "SELECT jail, start, end, permanent, failures FROM history WHERE target = ?1"
    " ORDER BY start DESC, jail LIMIT ?2",
};

constexpr char kLoadBansSql[] =
    "SELECT jail, target, start, end, permanent, ban_count, failures, matches FROM bans"
    " WHERE permanent != 0 OR end > ?1";
constexpr char kLoadCountsSql[] =
    "SELECT jail, target, count, last_ban FROM ban_counts WHERE last_ban >= ?1";
constexpr char kLoadPositionsSql[] =
    "SELECT path, dev, ino, offset, head_hash, head_len FROM positions";
constexpr char kLoadCursorsSql[] = "SELECT key, cursor FROM journal_cursors";

// Process-wide page-cache setting, applied before SQLite initialises (sqlite3_config is refused
// afterwards; the default then stays, which only costs memory). By default every connection
// allocates 20 cache pages (about 87 KB) in bulk at its first transaction, and an idle daemon with
// an almost empty database never fills them; without the bulk allocation, cache pages are
// allocated one by one as they are needed. The cache's size limit (PRAGMA cache_size) is not
// affected. (Disabling lookaside as well saved nothing measurable, so it keeps its default.)
void ConfigureSqliteOnce() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

SqliteBanStore::SqliteBanStore(SqliteBanStoreOptions options) : options_(std::move(options)) {}

SqliteBanStore::~SqliteBanStore() { Close(); }

Status SqliteBanStore::Error(int rc, std::string_view what) const {
  std::string msg = "sqlite " + options_.path + ": " + std::string(what) + ": ";
  msg += db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_PERM || primary == SQLITE_READONLY) return Status::PermissionDenied(msg);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
  return Status::IoError(msg);
}

Status SqliteBanStore::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Status::Ok();
}

Result<int64_t> SqliteBanStore::PragmaInt(const std::string& name) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  std::string sql = "PRAGMA " + name;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  rc = sqlite3_step(stmt);
  int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error(rc, sql);
  return value;
}

void SqliteBanStore::Close() {
  for (sqlite3_stmt*& s : stmts_) {
    sqlite3_finalize(s);
    s = nullptr;
  }
  stored_positions_.reset();
  stored_cursors_.reset();
  if (db_ != nullptr) {
    sqlite3_close(db_);
    db_ = nullptr;
  }
}

Status SqliteBanStore::Open() {
  if (options_.read_only) return OpenReadOnly();
  // The state directory is one level; /var/lib exists on any system that runs us.
  std::string dir = options_.path.substr(0, options_.path.rfind('/') + 1);
  if (!dir.empty() && !Exists(dir) && ::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IoError("cannot create " + dir + ": " + std::strerror(errno));
  }
  Status status;
  switch (TryOpen(&status)) {
    case OpenOutcome::kOk:
      return Status::Ok();
    case OpenOutcome::kFailed:
      return status;
    case OpenOutcome::kDamaged:
      break;
  }
  PORTCULLIS_RETURN_IF_ERROR(MoveAside(status.message()));
  Status again;
  if (TryOpen(&again) != OpenOutcome::kOk) {
    return again.ok() ? Status::IoError("sqlite " + options_.path + ": fresh database is damaged")
                      : again;
  }
  return Status::Ok();
}

Status SqliteBanStore::OpenReadOnly() {
  Close();
  if (!Exists(options_.path)) return Status::NotFound("no database at " + options_.path);
  ConfigureSqliteOnce();
  int rc = sqlite3_open_v2(options_.path.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    Status s = Error(rc, "open");
    Close();
    return s;
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, 200);
  Result<int64_t> version = PragmaInt("user_version");
  Status s = version.status();
  if (version.ok() && *version != kSchemaVersion) {
    s = Status::Unavailable("sqlite " + options_.path + ": schema version " +
                            std::to_string(*version) + ", this portcullis reads version " +
                            std::to_string(kSchemaVersion));
  }
  if (!s.ok()) Close();
  return s;
}

SqliteBanStore::OpenOutcome SqliteBanStore::TryOpen(Status* status) {
  Close();
  bool existed = Exists(options_.path);
  // Nothing on disk to check or to keep (a -wal without its database would be replayed into the
  // new file, so it counts as something).
  bool fresh = !existed && !Exists(options_.path + "-wal");
  ConfigureSqliteOnce();
  int rc =
      sqlite3_open_v2(options_.path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // Classifies a failure: damage is moved aside, anything else (permissions on the directory,
  // a full disk, a newer schema) is reported and the file is left alone.
  auto fail = [&](int code, std::string_view what) {
    *status = Error(code, what);
    bool damaged = IsDamage(code) || ((code & 0xff) == SQLITE_CANTOPEN && existed);
    Close();
    return damaged ? OpenOutcome::kDamaged : OpenOutcome::kFailed;
  };
  if (rc != SQLITE_OK) return fail(rc, "open");
  sqlite3_extended_result_codes(db_, 1);
  // The CLI may read the file while we write; WAL readers never block us, but a checkpoint can
  // wait briefly for a reader.
  sqlite3_busy_timeout(db_, 200);

  // auto_vacuum can only be chosen before the first table exists, so set it first on a new file
  // (an older file without it is converted by Migrate). journal_mode=WAL is persistent; the first
  // statement that reads the header also tells us whether this is a database at all
  // (SQLITE_NOTADB).
  if (fresh) {
    if (Status s = Exec("PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) {
      return fail(sqlite3_extended_errcode(db_), "auto_vacuum");
    }
  }
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  std::string mode = rc == SQLITE_ROW ? ColumnText(stmt, 0) : "";
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return fail(sqlite3_extended_errcode(db_), "journal_mode");
  if (mode != "wal") {
    *status =
        Status::IoError("sqlite " + options_.path + ": cannot use WAL mode (got " + mode + ")");
    Close();
    return OpenOutcome::kFailed;
  }
  if (Status s = Exec(options_.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      !s.ok()) {
    return fail(sqlite3_extended_errcode(db_), "synchronous");
  }
  // The -wal file is reused after each checkpoint; without a limit it keeps the size of the
  // largest transaction ever (100k bans at first start) forever.
  if (Status s = Exec("PRAGMA journal_size_limit=4194304"); !s.ok()) {
    return fail(sqlite3_extended_errcode(db_), "journal_size_limit");
  }
  // Page cache up to 32 MiB (allocated only as used): a first start after a big attack commits
  // ~100k bans in one transaction, and with the default 2 MiB SQLite spills pages mid-transaction.
  if (Status s = Exec("PRAGMA cache_size=-1024"); !s.ok()) {
    return fail(sqlite3_extended_errcode(db_), "cache_size");
  }

  // quick_check reads every page (O(file size), about 10 ms per MB) and catches truncation and
  // overwritten pages that a lazy open would only hit at some later query. Only the main
  // database: without the schema name SQLite also creates the (empty) temp database to check it,
  // and that stays allocated for the connection's life. A fresh file has nothing to check.
  if (!fresh) {
    stmt = nullptr;
    rc = sqlite3_prepare_v2(db_, "PRAGMA main.quick_check(1)", -1, &stmt, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
    std::string check = rc == SQLITE_ROW ? ColumnText(stmt, 0) : "";
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW) return fail(sqlite3_extended_errcode(db_), "quick_check");
    if (check != "ok") {
      *status = Status::IoError("sqlite " + options_.path + ": quick_check: " + check);
      Close();
      return OpenOutcome::kDamaged;
    }
  }

  if (Status s = Migrate(); !s.ok()) {
    int code = sqlite3_extended_errcode(db_);
    if (IsDamage(code)) return fail(code, "migrate");
    *status = s;
    Close();
    return OpenOutcome::kFailed;
  }
  if (fresh) {
    stored_positions_.emplace();
    stored_cursors_.emplace();
  }
  DropPageCache();
  return OpenOutcome::kOk;
}

Status SqliteBanStore::MoveAside(const std::string& why) {
  std::string base = options_.path + ".corrupt-" + std::to_string(options_.now);
  std::string aside = base;
  for (int n = 1; Exists(aside); ++n) aside = base + "." + std::to_string(n);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string from = options_.path + suffix;
    if (!Exists(from)) continue;
    if (::rename(from.c_str(), (aside + suffix).c_str()) != 0) {
      std::string msg = "cannot move damaged database " + from;
      msg += " aside: ";
      msg += std::strerror(errno);
      msg += " (" + why + ")";
      return Status::IoError(std::move(msg));
    }
  }
  recovered_ = true;
  recovery_message_ = "database " + options_.path + " is damaged (" + why + "); moved it to " +
                      aside + " and started a new one: saved bans, ban history and log positions " +
                      "are lost, bans still in the kernel are adopted";
  return Status::Ok();
}

Status SqliteBanStore::Migrate() {
  Result<int64_t> version = PragmaInt("user_version");
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion) {
    return Status::Unavailable("sqlite " + options_.path + ": schema version " +
                               std::to_string(*version) + " is newer than this portcullis (" +
                               std::to_string(kSchemaVersion) + "); refusing to touch it");
  }
  if (*version == kSchemaVersion) return Status::Ok();
  // A file that predates us (or was created by hand) may lack incremental auto_vacuum; switching
  // an existing file needs a VACUUM, which cannot run inside a transaction.
  Result<int64_t> vacuum_mode = PragmaInt("auto_vacuum");
  if (!vacuum_mode.ok()) return vacuum_mode.status();
  if (*vacuum_mode != 2) {
    PORTCULLIS_RETURN_IF_ERROR(Exec("PRAGMA auto_vacuum=INCREMENTAL"));
    PORTCULLIS_RETURN_IF_ERROR(Exec("VACUUM"));
  }
  for (int64_t v = *version; v < kSchemaVersion; ++v) {
    PORTCULLIS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status s = Exec(kMigrations[v]);
    if (s.ok()) s = Exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    if (s.ok()) s = Exec("COMMIT");
    if (!s.ok()) {
      (void)Exec("ROLLBACK");
      return s.WithContext("migrating to schema version " + std::to_string(v + 1));
    }
  }
  return Status::Ok();
}

Status SqliteBanStore::Statement(Stmt id, sqlite3_stmt** out) {
  static_assert(std::size(kStatementSql) == static_cast<size_t>(Stmt::kCount));
  sqlite3_stmt*& cached = stmts_[static_cast<int>(id)];
  if (cached == nullptr) {
    if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
    const char* sql = kStatementSql[static_cast<int>(id)];
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &cached, nullptr);
    if (rc != SQLITE_OK) {
      cached = nullptr;
      return Error(rc, sql);
    }
  }
  *out = cached;
  return Status::Ok();
}

size_t SqliteBanStore::cached_statements() const {
  return static_cast<size_t>(
      std::count_if(std::begin(stmts_), std::end(stmts_), [](sqlite3_stmt* s) { return s; }));
}

Status SqliteBanStore::Run(sqlite3_stmt* stmt, std::string_view what) {
  StmtReset reset(stmt);
  int rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Error(rc, what);
  return Status::Ok();
}

Result<std::vector<StoredBan>> SqliteBanStore::LoadActiveBans(int64_t now) {
  return LoadActive(now, true);
}

Result<std::vector<StoredBan>> SqliteBanStore::LoadActiveBansWithoutMatches(int64_t now) {
  return LoadActive(now, false);
}

int64_t SqliteBanStore::page_cache_bytes() const {
  int current = 0, highwater = 0;
  if (db_ == nullptr) return 0;
  sqlite3_db_status(db_, SQLITE_DBSTATUS_CACHE_USED, &current, &highwater, 0);
  return current;
}

void SqliteBanStore::DropPageCache() {
  if (db_ != nullptr) sqlite3_db_release_memory(db_);
}

Status SqliteBanStore::PrepareOnce(const char* sql, sqlite3_stmt** out) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  int rc = sqlite3_prepare_v2(db_, sql, -1, out, nullptr);
  if (rc != SQLITE_OK) return Error(rc, sql);
  return Status::Ok();
}

Result<std::vector<StoredBan>> SqliteBanStore::LoadActive(int64_t now, bool with_matches) {
  OneShot stmt;
  PORTCULLIS_RETURN_IF_ERROR(PrepareOnce(kLoadBansSql, stmt.out()));
  sqlite3_stmt* st = stmt.get();
  sqlite3_bind_int64(st, 1, now);
  std::vector<StoredBan> out;
  skipped_rows_ = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Result<Cidr> target = Cidr::Parse(ColumnText(st, 1));
    if (!target.ok()) {
      ++skipped_rows_;
      continue;
    }
    StoredBan& b = out.emplace_back();
    b.jail = ColumnText(st, 0);
    b.target = *target;
    b.start = sqlite3_column_int64(st, 2);
    b.end = sqlite3_column_int64(st, 3);
    b.permanent = sqlite3_column_int(st, 4) != 0;
    b.ban_count = sqlite3_column_int(st, 5);
    b.failures = sqlite3_column_int(st, 6);
    if (!with_matches) continue;
    b.matches = DecodeMatches(static_cast<const char*>(sqlite3_column_blob(st, 7)),
                              sqlite3_column_bytes(st, 7));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading active bans");
  stmt.Finalize();
  DropPageCache();
  return out;
}

Result<std::optional<StoredBan>> SqliteBanStore::LoadBan(std::string_view jail,
                                                        const Cidr& target) {
  sqlite3_stmt* st = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kLoadBan, &st));
  StmtReset reset(st);
  std::string text = target.ToString();
  BindText(st, 1, jail);
  BindText(st, 2, text);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<StoredBan>();
  if (rc != SQLITE_ROW) return Error(rc, "reading a ban");
  StoredBan b;
  b.jail = std::string(jail);
  b.target = target;
  b.start = sqlite3_column_int64(st, 0);
  b.end = sqlite3_column_int64(st, 1);
  b.permanent = sqlite3_column_int(st, 2) != 0;
  b.ban_count = sqlite3_column_int(st, 3);
  b.failures = sqlite3_column_int(st, 4);
  b.matches = DecodeMatches(static_cast<const char*>(sqlite3_column_blob(st, 5)),
                            sqlite3_column_bytes(st, 5));
  return std::optional<StoredBan>(std::move(b));
}

Result<std::vector<HistoryCount>> SqliteBanStore::LoadHistoryCounts(int64_t since) {
  OneShot stmt;
  PORTCULLIS_RETURN_IF_ERROR(PrepareOnce(kLoadCountsSql, stmt.out()));
  sqlite3_stmt* st = stmt.get();
  sqlite3_bind_int64(st, 1, since);
  std::vector<HistoryCount> out;
  skipped_rows_ = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Result<Cidr> target = Cidr::Parse(ColumnText(st, 1));
    if (!target.ok()) {
      ++skipped_rows_;
      continue;
    }
    out.push_back(HistoryCount{ColumnText(st, 0), *target, sqlite3_column_int(st, 2),
                               sqlite3_column_int64(st, 3)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading ban history counts");
  stmt.Finalize();
  DropPageCache();
  return out;
}

Result<std::vector<FilePosition>> SqliteBanStore::LoadPositions() {
  OneShot stmt;
  PORTCULLIS_RETURN_IF_ERROR(PrepareOnce(kLoadPositionsSql, stmt.out()));
  sqlite3_stmt* st = stmt.get();
  std::vector<FilePosition> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    FilePosition& p = out.emplace_back();
    p.path = ColumnText(st, 0);
    p.dev = FromSql(sqlite3_column_int64(st, 1));
    p.ino = FromSql(sqlite3_column_int64(st, 2));
    p.offset = FromSql(sqlite3_column_int64(st, 3));
    p.head_hash = FromSql(sqlite3_column_int64(st, 4));
    p.head_len = static_cast<uint32_t>(sqlite3_column_int64(st, 5));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading file positions");
  stored_positions_ = SortedByPath(out);
  stmt.Finalize();
  DropPageCache();
  return out;
}

Result<std::vector<JournalCursor>> SqliteBanStore::LoadJournalCursors() {
  OneShot stmt;
  PORTCULLIS_RETURN_IF_ERROR(PrepareOnce(kLoadCursorsSql, stmt.out()));
  sqlite3_stmt* st = stmt.get();
  std::vector<JournalCursor> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back(JournalCursor{ColumnText(st, 0), ColumnText(st, 1)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading journal cursors");
  stored_cursors_ = SortedByKey(out);
  stmt.Finalize();
  DropPageCache();
  return out;
}

Result<std::vector<HistoryEntry>> SqliteBanStore::History(const Cidr& target, size_t limit) {
  sqlite3_stmt* st = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kLoadHistory, &st));
  StmtReset reset(st);
  std::string text = target.ToString();
  BindText(st, 1, text);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<HistoryEntry> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back(HistoryEntry{ColumnText(st, 0), target, sqlite3_column_int64(st, 1),
                               sqlite3_column_int64(st, 2), sqlite3_column_int(st, 3) != 0,
                               sqlite3_column_int(st, 4)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "reading ban history");
  return out;
}

void SqliteBanStore::AddBan(const StoredBan& ban) { queue_.push_back({OpKind::kAdd, ban}); }

void SqliteBanStore::PutBan(const StoredBan& ban) { queue_.push_back({OpKind::kPut, ban}); }

void SqliteBanStore::RemoveBan(std::string_view jail, const Cidr& target) {
  Op op{OpKind::kRemove, {}};
  op.ban.jail = std::string(jail);
  op.ban.target = target;
  queue_.push_back(std::move(op));
}

void SqliteBanStore::RemoveJailBans(std::string_view jail) {
  Op op{OpKind::kRemoveJail, {}};
  op.ban.jail = std::string(jail);
  queue_.push_back(std::move(op));
}

void SqliteBanStore::RemoveAllBans() { queue_.push_back({OpKind::kRemoveAll, {}}); }

void SqliteBanStore::ForgetHistory(const Cidr& target) {
  Op op{OpKind::kForget, {}};
  op.ban.target = target;
  queue_.push_back(std::move(op));
}

void SqliteBanStore::SavePositions(std::span<const FilePosition> positions) {
  std::vector<FilePosition> sorted = SortedByPath(positions);
  if (stored_positions_.has_value() && *stored_positions_ == sorted) {
    positions_.reset();  // the file holds these already; a set saved since is superseded
  } else {
    positions_ = std::move(sorted);
  }
}

void SqliteBanStore::SaveJournalCursors(std::span<const JournalCursor> cursors) {
  std::vector<JournalCursor> sorted = SortedByKey(cursors);
  if (stored_cursors_.has_value() && *stored_cursors_ == sorted) {
    cursors_.reset();
  } else {
    cursors_ = std::move(sorted);
  }
}

Status SqliteBanStore::ApplyOp(const Op& op) {
  std::string target = op.ban.target.ToString();
  sqlite3_stmt* stmt = nullptr;
  switch (op.kind) {
    case OpKind::kAdd:
    case OpKind::kPut: {
      std::string matches = EncodeMatches(op.ban.matches);
      sqlite3_stmt* upsert = nullptr;
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kUpsertBan, &upsert));
      {
        StmtReset reset(upsert);
        BindText(upsert, 1, op.ban.jail);
        BindText(upsert, 2, target);
        sqlite3_bind_int64(upsert, 3, op.ban.start);
        sqlite3_bind_int64(upsert, 4, op.ban.permanent ? 0 : op.ban.end);
        sqlite3_bind_int(upsert, 5, op.ban.permanent ? 1 : 0);
        sqlite3_bind_int(upsert, 6, op.ban.ban_count);
        sqlite3_bind_int(upsert, 7, op.ban.failures);
        if (matches.empty()) {
          sqlite3_bind_null(upsert, 8);
        } else {
          sqlite3_bind_blob(upsert, 8, matches.data(), static_cast<int>(matches.size()),
                            SQLITE_STATIC);
        }
        int rc = sqlite3_step(upsert);
        if (rc != SQLITE_DONE) return Error(rc, "storing a ban");
      }
      if (op.kind == OpKind::kPut) return Status::Ok();
      sqlite3_stmt* insert_event = nullptr;
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kInsertEvent, &insert_event));
      {
        StmtReset reset(insert_event);
        BindText(insert_event, 1, target);
        BindText(insert_event, 2, op.ban.jail);
        sqlite3_bind_int64(insert_event, 3, op.ban.start);
        sqlite3_bind_int64(insert_event, 4, op.ban.permanent ? 0 : op.ban.end);
        sqlite3_bind_int(insert_event, 5, op.ban.permanent ? 1 : 0);
        sqlite3_bind_int(insert_event, 6, op.ban.failures);
        int rc = sqlite3_step(insert_event);
        if (rc != SQLITE_DONE) return Error(rc, "recording ban history");
      }
      // The same event stored twice (a replayed batch) must not count twice.
      if (sqlite3_changes(db_) == 0) return Status::Ok();
      sqlite3_stmt* bump_count = nullptr;
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kBumpCount, &bump_count));
      StmtReset reset(bump_count);
      BindText(bump_count, 1, op.ban.jail);
      BindText(bump_count, 2, target);
      sqlite3_bind_int64(bump_count, 3, op.ban.start);
      int rc = sqlite3_step(bump_count);
      if (rc != SQLITE_DONE) return Error(rc, "counting ban history");
      return Status::Ok();
    }
    case OpKind::kRemove:
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kRemoveBan, &stmt));
      BindText(stmt, 1, op.ban.jail);
      BindText(stmt, 2, target);
      return Run(stmt, "removing a ban");
    case OpKind::kRemoveJail:
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kRemoveJail, &stmt));
      BindText(stmt, 1, op.ban.jail);
      return Run(stmt, "removing a jail's bans");
    case OpKind::kRemoveAll:
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kRemoveAll, &stmt));
      return Run(stmt, "removing all bans");
    case OpKind::kForget:
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kForgetEvents, &stmt));
      BindText(stmt, 1, target);
      PORTCULLIS_RETURN_IF_ERROR(Run(stmt, "forgetting ban history"));
      PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kForgetCounts, &stmt));
      BindText(stmt, 1, target);
      return Run(stmt, "forgetting ban history");
  }
  return Status::Ok();
}

Status SqliteBanStore::WritePositions(const std::vector<FilePosition>& positions) {
  sqlite3_stmt* clear = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kClearPositions, &clear));
  PORTCULLIS_RETURN_IF_ERROR(Run(clear, "clearing file positions"));
  if (positions.empty()) return Status::Ok();
  sqlite3_stmt* insert_position = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kInsertPosition, &insert_position));
  for (const FilePosition& p : positions) {
    BindText(insert_position, 1, p.path);
    sqlite3_bind_int64(insert_position, 2, ToSql(p.dev));
    sqlite3_bind_int64(insert_position, 3, ToSql(p.ino));
    sqlite3_bind_int64(insert_position, 4, ToSql(p.offset));
    sqlite3_bind_int64(insert_position, 5, ToSql(p.head_hash));
    sqlite3_bind_int64(insert_position, 6, p.head_len);
    PORTCULLIS_RETURN_IF_ERROR(Run(insert_position, "saving file positions"));
  }
  return Status::Ok();
}

Status SqliteBanStore::WriteJournalCursors(const std::vector<JournalCursor>& cursors) {
  sqlite3_stmt* clear = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kClearCursors, &clear));
  PORTCULLIS_RETURN_IF_ERROR(Run(clear, "clearing journal cursors"));
  if (cursors.empty()) return Status::Ok();
  sqlite3_stmt* insert_cursor = nullptr;
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kInsertCursor, &insert_cursor));
  for (const JournalCursor& c : cursors) {
    BindText(insert_cursor, 1, c.key);
    BindText(insert_cursor, 2, c.cursor);
    PORTCULLIS_RETURN_IF_ERROR(Run(insert_cursor, "saving journal cursors"));
  }
  return Status::Ok();
}

Status SqliteBanStore::Commit() {
  if (pending() == 0) return Status::Ok();
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  sqlite3_stmt* begin = nullptr;
  sqlite3_stmt* commit = nullptr;
  // Both before BEGIN: a COMMIT that fails to compile must not leave the transaction open.
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kBegin, &begin));
  PORTCULLIS_RETURN_IF_ERROR(Statement(Stmt::kCommit, &commit));
  PORTCULLIS_RETURN_IF_ERROR(Run(begin, "BEGIN"));
  Status s;
  for (const Op& op : queue_) {
    s = ApplyOp(op);
    if (!s.ok()) break;
  }
  if (s.ok() && positions_.has_value()) s = WritePositions(*positions_);
  if (s.ok() && cursors_.has_value()) s = WriteJournalCursors(*cursors_);
  if (s.ok()) s = Run(commit, "COMMIT");
  if (!s.ok()) {
    // Keep the queue for the next attempt. ROLLBACK fails harmlessly when SQLite already rolled
    // back on its own (some I/O errors do).
    if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK");
    return s;
  }
  queue_.clear();
  if (positions_.has_value()) stored_positions_ = std::move(positions_);
  if (cursors_.has_value()) stored_cursors_ = std::move(cursors_);
  positions_.reset();
  cursors_.reset();
  return Status::Ok();
}

Status SqliteBanStore::Purge(int64_t before) {
  PORTCULLIS_RETURN_IF_ERROR(Commit());
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  std::string b = std::to_string(before);
  PORTCULLIS_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status s = Exec(("DELETE FROM history WHERE start < " + b).c_str());
  if (s.ok()) s = Exec(("DELETE FROM ban_counts WHERE last_ban < " + b).c_str());
  if (s.ok()) s = Exec(("DELETE FROM bans WHERE permanent = 0 AND end <= " + b).c_str());
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) {
    if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK");
    return s;
  }
  // Moves free pages to the end of the file and truncates it (in the WAL first); the checkpoint
  // then carries the shrink into the main file and resets the WAL.
  PORTCULLIS_RETURN_IF_ERROR(Exec("PRAGMA incremental_vacuum"));
  PORTCULLIS_RETURN_IF_ERROR(Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return Status::Ok();
}

}  // namespace portcullis
