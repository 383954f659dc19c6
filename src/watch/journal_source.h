// JournalSource: a LineSource that reads the systemd journal for one jail.
//
// The journal is reached through JournalReader, a thin seam over libsystemd's sd-journal calls
// (sd_journal_reader.h holds the real one, which dlopen()s libsystemd only when a jail needs it;
// tests use a fake). Everything else lives here and is tested with the fake: parsing the jail's
// journalmatch, turning an entry into the syslog-like line the filters expect, where to start
// (the tail, or after a saved cursor) and bounded reading.
//
// Each entry becomes ONE line, "TIME HOST IDENT[PID]: MESSAGE": TIME is __REALTIME_TIMESTAMP as
// RFC 3339 local time with microseconds and offset, HOST _HOSTNAME, IDENT SYSLOG_IDENTIFIER (else
// _COMM), PID _PID (else SYSLOG_PID). For example:
//   2026-11-23T02:46:03.123456+00:00 host sshd[812]: Failed password for root from 192.0.2.7 ...
// MESSAGE is cut at its first '\n' and at kMaxLineBytes (like lines from files); other bytes pass
// through unchanged. A missing _HOSTNAME reads "localhost", a missing identifier "unknown", and a
// missing pid drops the "[...]".
//
// fd() is an epoll descriptor owned by the source that combines the journal's own descriptor
// (sd_journal_get_fd/get_events) with a timerfd. The timer serves two purposes: the wake-up time
// the journal asks for (sd_journal_get_timeout), and "more entries pending" after a bounded batch,
// so the daemon's loop gets control back (to commit bans) and is woken again at once to continue.
//
// Not thread-safe, not copyable; the caller owns the source and the sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/line_source.h"
#include "portcullis/status.h"

namespace portcullis {

// The fields of one journal entry that make its line. Absent fields are nullopt.
struct JournalEntry {
  uint64_t realtime_usec = 0;           // __REALTIME_TIMESTAMP, microseconds since the epoch (UTC)
  std::optional<std::string> hostname;  // _HOSTNAME
  std::optional<std::string> identifier;  // SYSLOG_IDENTIFIER
  std::optional<std::string> comm;        // _COMM
  std::optional<std::string> pid;         // _PID (else SYSLOG_PID)
  std::string message;                    // MESSAGE, raw bytes (may hold '\n', NUL)
};

// What JournalSource needs from sd-journal, one method per call. A reader is opened on one set of
// journal files; the source adds matches, then seeks, then reads. Errors carry the call and
// strerror of its negative errno. Owned by the JournalSource.
class JournalReader {
 public:
  JournalReader() = default;
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;
  virtual ~JournalReader() = default;

  virtual Status AddMatch(std::string_view field_equals_value) = 0;  // sd_journal_add_match
  virtual Status AddDisjunction() = 0;                               // sd_journal_add_disjunction
  // Positions after the last matching entry: the next Next() returns only entries added later.
  virtual Status SeekTail() = 0;
  // Positions at (or, if it is gone, near) the entry of `cursor`; Next() then returns that entry
  // or the one after it (TestCursor tells which).
  virtual Status SeekCursor(const std::string& cursor) = 0;
  // Moves to the next entry matching the matches: true, or false at the end.
  virtual Result<bool> Next() = 0;
  // Whether the current entry is the one `cursor` names.
  virtual Result<bool> TestCursor(const std::string& cursor) = 0;
  // The cursor of the current entry.
  virtual Result<std::string> Cursor() = 0;
  // The current entry's fields.
  virtual Result<JournalEntry> Entry() = 0;

  // sd_journal_get_fd / sd_journal_get_events (poll(2) bits).
  virtual Result<int> Fd() = 0;
  virtual Result<int> Events() = 0;
  // sd_journal_get_timeout: an absolute CLOCK_MONOTONIC time in microseconds, or nullopt (none).
  virtual Result<std::optional<uint64_t>> TimeoutUsec() = 0;
  // sd_journal_process: digests the descriptor's events (new entries, new or deleted files).
  virtual Status Process() = 0;
};

// One jail's journalmatch, as sd-journal takes it: groups of "FIELD=value" matches joined by
// "+" (OR between groups; inside a group, matches on different fields are ANDed and matches on
// the same field are ORed, as journalctl does). Errors: InvalidArgument naming the jail and the
// entry (a bad field name, no '=', an empty group around "+").
Status ValidateJournalMatches(std::string_view jail, std::span<const std::string> matches);

// Appends the line for `entry` to `out` (cleared first). `utc_offset_seconds` is the local time
// zone's offset at the entry's time (east positive). Returns true when the message was cut at
// kMaxLineBytes (the '\n' cut is not reported: the rest of a multi-line message is not a line).
bool FormatJournalLine(const JournalEntry& entry, int64_t utc_offset_seconds, std::string* out);

class JournalSource final : public LineSource {
 public:
  static constexpr size_t kMaxLineBytes = size_t{64} * 1024;
  static constexpr size_t kDefaultMaxBatch = 4096;

  struct Options {
    std::string jail;         // for error messages
    std::string description;  // LineOrigin::path and event paths, e.g. "journal (_COMM=sshd)"
    PatternId pattern = 0;    // LineOrigin::patterns for every line
    std::vector<std::string> matches;     // validated by ValidateJournalMatches
    std::string cursor;                   // saved cursor; empty = start at the tail
    size_t max_batch = kDefaultMaxBatch;  // entries per OnReadable call
    // Local time zone offset for an epoch second; null = localtime_r's tm_gmtoff.
    int64_t (*utc_offset)(int64_t epoch_seconds) = nullptr;
  };

  // Adds the matches and seeks. A saved cursor that libsystemd refuses falls back to the tail
  // (reported once through the first OnReadable's sink as a kError event). Errors: the reader's
  // (add_match, seek_tail, get_fd), IoError for epoll/timerfd.
  static Result<std::unique_ptr<JournalSource>> Create(std::unique_ptr<JournalReader> reader,
                                                       Options options);
  ~JournalSource() override;

  int fd() const override { return epoll_fd_; }
  // Processes the journal's events, then delivers up to max_batch entries. If more may be
  // pending, arms the timer to fire at once (fd() stays readable). Re-arms the timer for
  // sd_journal_get_timeout otherwise. Non-OK only for a failing journal (the daemon logs it).
  Status OnReadable(LineSink& sink) override;

  // The cursor of the last entry delivered, else the one Create() started from (the saved one,
  // or the tail entry's); empty when the journal had no matching entry yet.
  const std::string& cursor() const { return cursor_; }
  // True after an OnReadable that stopped at max_batch.
  bool more_pending() const { return more_pending_; }

 private:
  JournalSource(std::unique_ptr<JournalReader> reader, Options options);
  Status Arm(bool now);
  void Report(LineSink& sink, SourceEventKind kind, std::string_view detail, uint64_t count);

  std::unique_ptr<JournalReader> reader_;
  Options options_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  std::string cursor_;
  std::string pending_error_;  // reported at the next OnReadable
  bool more_pending_ = false;
  bool deliver_current_ = false;  // resumed onto an entry not delivered yet
  uint64_t cut_lines_ = 0;
  std::string line_;
};

}  // namespace portcullis
