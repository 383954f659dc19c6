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
  for (sqlite3_stmt** s :
       {&begin_, &commit_, &rollback_, &upsert_ban_, &insert_event_, &bump_count_, &remove_ban_,
        &remove_jail_, &remove_all_, &forget_events_, &forget_counts_, &clear_positions_,
        &insert_position_, &load_bans_, &load_ban_, &load_counts_, &load_positions_,
        &load_history_, &clear_cursors_, &insert_cursor_, &load_cursors_}) {
    sqlite3_finalize(*s);
    *s = nullptr;
  }
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
  if (s.ok()) s = Prepare();
  if (!s.ok()) Close();
  return s;
}

SqliteBanStore::OpenOutcome SqliteBanStore::TryOpen(Status* status) {
  Close();
  bool existed = Exists(options_.path);
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

  // auto_vacuum can only be chosen before the first table exists, so set it first on a new file.
  // journal_mode=WAL is persistent; the first statement that reads the header also tells us
  // whether this is a database at all (SQLITE_NOTADB).
  if (Status s = Exec("PRAGMA auto_vacuum=INCREMENTAL"); !s.ok()) {
    return fail(sqlite3_extended_errcode(db_), "auto_vacuum");
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
  // overwritten pages that a lazy open would only hit at some later query.
  rc = sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  std::string check = rc == SQLITE_ROW ? ColumnText(stmt, 0) : "";
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return fail(sqlite3_extended_errcode(db_), "quick_check");
  if (check != "ok") {
    *status = Status::IoError("sqlite " + options_.path + ": quick_check: " + check);
    Close();
    return OpenOutcome::kDamaged;
  }

  if (Status s = Migrate(); !s.ok()) {
    int code = sqlite3_extended_errcode(db_);
    if (IsDamage(code)) return fail(code, "migrate");
    *status = s;
    Close();
    return OpenOutcome::kFailed;
  }
  if (Status s = Prepare(); !s.ok()) {
    *status = s;
    Close();
    return OpenOutcome::kFailed;
  }
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

Status SqliteBanStore::Prepare() {
  struct {
    sqlite3_stmt** stmt;
    const char* sql;
  } const statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&upsert_ban_,
       "INSERT OR REPLACE INTO bans (jail, target, start, end, permanent, ban_count, failures,"
       " matches) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&insert_event_,
       "INSERT OR IGNORE INTO history (target, jail, start, end, permanent, failures)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&bump_count_,
       "INSERT INTO ban_counts (jail, target, count, last_ban) VALUES (?1, ?2, 1, ?3)"
       " ON CONFLICT (jail, target) DO UPDATE SET count = count + 1,"
       " last_ban = max(last_ban, excluded.last_ban)"},
      {&remove_ban_, "DELETE FROM bans WHERE jail = ?1 AND target = ?2"},
      {&remove_jail_, "DELETE FROM bans WHERE jail = ?1"},
      {&remove_all_, "DELETE FROM bans"},
      {&forget_events_, "DELETE FROM history WHERE target = ?1"},
      {&forget_counts_, "DELETE FROM ban_counts WHERE target = ?1"},
      {&clear_positions_, "DELETE FROM positions"},
      {&insert_position_,
       "INSERT OR REPLACE INTO positions (path, dev, ino, offset, head_hash, head_len)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {&load_bans_,
       "SELECT jail, target, start, end, permanent, ban_count, failures, matches FROM bans"
       " WHERE permanent != 0 OR end > ?1"},
      {&load_ban_,
       "SELECT start, end, permanent, ban_count, failures, matches FROM bans"
       " WHERE jail = ?1 AND target = ?2"},
      {&load_counts_, "SELECT jail, target, count, last_ban FROM ban_counts WHERE last_ban >= ?1"},
      {&load_positions_, "SELECT path, dev, ino, offset, head_hash, head_len FROM positions"},
      {&clear_cursors_, "DELETE FROM journal_cursors"},
      {&insert_cursor_, "INSERT OR REPLACE INTO journal_cursors (key, cursor) VALUES (?1, ?2)"},
      {&load_cursors_, "SELECT key, cursor FROM journal_cursors"},
      {&load_history_,
       "SELECT jail, start, end, permanent, failures FROM history WHERE target = ?1"
       " ORDER BY start DESC, jail LIMIT ?2"},
  };
  for (const auto& s : statements) {
    int rc = sqlite3_prepare_v3(db_, s.sql, -1, SQLITE_PREPARE_PERSISTENT, s.stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, s.sql);
  }
  return Status::Ok();
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

Result<std::vector<StoredBan>> SqliteBanStore::LoadActive(int64_t now, bool with_matches) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_bans_);
  sqlite3_bind_int64(load_bans_, 1, now);
  std::vector<StoredBan> out;
  skipped_rows_ = 0;
  int rc;
  while ((rc = sqlite3_step(load_bans_)) == SQLITE_ROW) {
    Result<Cidr> target = Cidr::Parse(ColumnText(load_bans_, 1));
    if (!target.ok()) {
      ++skipped_rows_;
      continue;
    }
    StoredBan& b = out.emplace_back();
    b.jail = ColumnText(load_bans_, 0);
    b.target = *target;
    b.start = sqlite3_column_int64(load_bans_, 2);
    b.end = sqlite3_column_int64(load_bans_, 3);
    b.permanent = sqlite3_column_int(load_bans_, 4) != 0;
    b.ban_count = sqlite3_column_int(load_bans_, 5);
    b.failures = sqlite3_column_int(load_bans_, 6);
    if (!with_matches) continue;
    b.matches = DecodeMatches(static_cast<const char*>(sqlite3_column_blob(load_bans_, 7)),
                              sqlite3_column_bytes(load_bans_, 7));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading active bans");
  return out;
}

Result<std::optional<StoredBan>> SqliteBanStore::LoadBan(std::string_view jail,
                                                        const Cidr& target) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_ban_);
  std::string text = target.ToString();
  BindText(load_ban_, 1, jail);
  BindText(load_ban_, 2, text);
  int rc = sqlite3_step(load_ban_);
  if (rc == SQLITE_DONE) return std::optional<StoredBan>();
  if (rc != SQLITE_ROW) return Error(rc, "reading a ban");
  StoredBan b;
  b.jail = std::string(jail);
  b.target = target;
  b.start = sqlite3_column_int64(load_ban_, 0);
  b.end = sqlite3_column_int64(load_ban_, 1);
  b.permanent = sqlite3_column_int(load_ban_, 2) != 0;
  b.ban_count = sqlite3_column_int(load_ban_, 3);
  b.failures = sqlite3_column_int(load_ban_, 4);
  b.matches = DecodeMatches(static_cast<const char*>(sqlite3_column_blob(load_ban_, 5)),
                            sqlite3_column_bytes(load_ban_, 5));
  return std::optional<StoredBan>(std::move(b));
}

Result<std::vector<HistoryCount>> SqliteBanStore::LoadHistoryCounts(int64_t since) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_counts_);
  sqlite3_bind_int64(load_counts_, 1, since);
  std::vector<HistoryCount> out;
  skipped_rows_ = 0;
  int rc;
  while ((rc = sqlite3_step(load_counts_)) == SQLITE_ROW) {
    Result<Cidr> target = Cidr::Parse(ColumnText(load_counts_, 1));
    if (!target.ok()) {
      ++skipped_rows_;
      continue;
    }
    out.push_back(HistoryCount{ColumnText(load_counts_, 0), *target,
                               sqlite3_column_int(load_counts_, 2),
                               sqlite3_column_int64(load_counts_, 3)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading ban history counts");
  return out;
}

Result<std::vector<FilePosition>> SqliteBanStore::LoadPositions() {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_positions_);
  std::vector<FilePosition> out;
  int rc;
  while ((rc = sqlite3_step(load_positions_)) == SQLITE_ROW) {
    FilePosition& p = out.emplace_back();
    p.path = ColumnText(load_positions_, 0);
    p.dev = FromSql(sqlite3_column_int64(load_positions_, 1));
    p.ino = FromSql(sqlite3_column_int64(load_positions_, 2));
    p.offset = FromSql(sqlite3_column_int64(load_positions_, 3));
    p.head_hash = FromSql(sqlite3_column_int64(load_positions_, 4));
    p.head_len = static_cast<uint32_t>(sqlite3_column_int64(load_positions_, 5));
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading file positions");
  return out;
}

Result<std::vector<JournalCursor>> SqliteBanStore::LoadJournalCursors() {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_cursors_);
  std::vector<JournalCursor> out;
  int rc;
  while ((rc = sqlite3_step(load_cursors_)) == SQLITE_ROW) {
    out.push_back(JournalCursor{ColumnText(load_cursors_, 0), ColumnText(load_cursors_, 1)});
  }
  if (rc != SQLITE_DONE) return Error(rc, "loading journal cursors");
  return out;
}

Result<std::vector<HistoryEntry>> SqliteBanStore::History(const Cidr& target, size_t limit) {
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  StmtReset reset(load_history_);
  std::string text = target.ToString();
  BindText(load_history_, 1, text);
  sqlite3_bind_int64(load_history_, 2, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
  std::vector<HistoryEntry> out;
  int rc;
  while ((rc = sqlite3_step(load_history_)) == SQLITE_ROW) {
    out.push_back(HistoryEntry{
        ColumnText(load_history_, 0), target, sqlite3_column_int64(load_history_, 1),
        sqlite3_column_int64(load_history_, 2), sqlite3_column_int(load_history_, 3) != 0,
        sqlite3_column_int(load_history_, 4)});
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
  positions_.emplace(positions.begin(), positions.end());
}

void SqliteBanStore::SaveJournalCursors(std::span<const JournalCursor> cursors) {
  cursors_.emplace(cursors.begin(), cursors.end());
}

Status SqliteBanStore::ApplyOp(const Op& op) {
  std::string target = op.ban.target.ToString();
  switch (op.kind) {
    case OpKind::kAdd:
    case OpKind::kPut: {
      std::string matches = EncodeMatches(op.ban.matches);
      {
        StmtReset reset(upsert_ban_);
        BindText(upsert_ban_, 1, op.ban.jail);
        BindText(upsert_ban_, 2, target);
        sqlite3_bind_int64(upsert_ban_, 3, op.ban.start);
        sqlite3_bind_int64(upsert_ban_, 4, op.ban.permanent ? 0 : op.ban.end);
        sqlite3_bind_int(upsert_ban_, 5, op.ban.permanent ? 1 : 0);
        sqlite3_bind_int(upsert_ban_, 6, op.ban.ban_count);
        sqlite3_bind_int(upsert_ban_, 7, op.ban.failures);
        if (matches.empty()) {
          sqlite3_bind_null(upsert_ban_, 8);
        } else {
          sqlite3_bind_blob(upsert_ban_, 8, matches.data(), static_cast<int>(matches.size()),
                            SQLITE_STATIC);
        }
        int rc = sqlite3_step(upsert_ban_);
        if (rc != SQLITE_DONE) return Error(rc, "storing a ban");
      }
      if (op.kind == OpKind::kPut) return Status::Ok();
      {
        StmtReset reset(insert_event_);
        BindText(insert_event_, 1, target);
        BindText(insert_event_, 2, op.ban.jail);
        sqlite3_bind_int64(insert_event_, 3, op.ban.start);
        sqlite3_bind_int64(insert_event_, 4, op.ban.permanent ? 0 : op.ban.end);
        sqlite3_bind_int(insert_event_, 5, op.ban.permanent ? 1 : 0);
        sqlite3_bind_int(insert_event_, 6, op.ban.failures);
        int rc = sqlite3_step(insert_event_);
        if (rc != SQLITE_DONE) return Error(rc, "recording ban history");
      }
      // The same event stored twice (a replayed batch) must not count twice.
      if (sqlite3_changes(db_) == 0) return Status::Ok();
      StmtReset reset(bump_count_);
      BindText(bump_count_, 1, op.ban.jail);
      BindText(bump_count_, 2, target);
      sqlite3_bind_int64(bump_count_, 3, op.ban.start);
      int rc = sqlite3_step(bump_count_);
      if (rc != SQLITE_DONE) return Error(rc, "counting ban history");
      return Status::Ok();
    }
    case OpKind::kRemove:
      BindText(remove_ban_, 1, op.ban.jail);
      BindText(remove_ban_, 2, target);
      return Run(remove_ban_, "removing a ban");
    case OpKind::kRemoveJail:
      BindText(remove_jail_, 1, op.ban.jail);
      return Run(remove_jail_, "removing a jail's bans");
    case OpKind::kRemoveAll:
      return Run(remove_all_, "removing all bans");
    case OpKind::kForget:
      BindText(forget_events_, 1, target);
      PORTCULLIS_RETURN_IF_ERROR(Run(forget_events_, "forgetting ban history"));
      BindText(forget_counts_, 1, target);
      return Run(forget_counts_, "forgetting ban history");
  }
  return Status::Ok();
}

Status SqliteBanStore::WritePositions(const std::vector<FilePosition>& positions) {
  PORTCULLIS_RETURN_IF_ERROR(Run(clear_positions_, "clearing file positions"));
  for (const FilePosition& p : positions) {
    BindText(insert_position_, 1, p.path);
    sqlite3_bind_int64(insert_position_, 2, ToSql(p.dev));
    sqlite3_bind_int64(insert_position_, 3, ToSql(p.ino));
    sqlite3_bind_int64(insert_position_, 4, ToSql(p.offset));
    sqlite3_bind_int64(insert_position_, 5, ToSql(p.head_hash));
    sqlite3_bind_int64(insert_position_, 6, p.head_len);
    PORTCULLIS_RETURN_IF_ERROR(Run(insert_position_, "saving file positions"));
  }
  return Status::Ok();
}

Status SqliteBanStore::WriteJournalCursors(const std::vector<JournalCursor>& cursors) {
  PORTCULLIS_RETURN_IF_ERROR(Run(clear_cursors_, "clearing journal cursors"));
  for (const JournalCursor& c : cursors) {
    BindText(insert_cursor_, 1, c.key);
    BindText(insert_cursor_, 2, c.cursor);
    PORTCULLIS_RETURN_IF_ERROR(Run(insert_cursor_, "saving journal cursors"));
  }
  return Status::Ok();
}

Status SqliteBanStore::Commit() {
  if (pending() == 0) return Status::Ok();
  if (db_ == nullptr) return Status::Unavailable("sqlite " + options_.path + ": not open");
  PORTCULLIS_RETURN_IF_ERROR(Run(begin_, "BEGIN"));
  Status s;
  for (const Op& op : queue_) {
    s = ApplyOp(op);
    if (!s.ok()) break;
  }
  if (s.ok() && positions_.has_value()) s = WritePositions(*positions_);
  if (s.ok() && cursors_.has_value()) s = WriteJournalCursors(*cursors_);
  if (s.ok()) s = Run(commit_, "COMMIT");
  if (!s.ok()) {
    // Keep the queue for the next attempt. ROLLBACK fails harmlessly when SQLite already rolled
    // back on its own (some I/O errors do).
    if (!sqlite3_get_autocommit(db_)) (void)Run(rollback_, "ROLLBACK");
    return s;
  }
  queue_.clear();
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
