// LineSource: where log lines come from (files via inotify, the systemd journal, a fake in tests).
//
// The daemon runs one epoll loop on one thread. A LineSource hands it one file descriptor; when
// that descriptor is readable the loop calls OnReadable(sink), which reads what is available
// without blocking and delivers complete lines and noteworthy events to the sink, then returns.
// A source owns no thread and no timer: when nothing is written it costs nothing.
//
// Sources are not thread-safe and not copyable. The caller owns the source and the sink; the
// source only borrows the sink for the duration of one OnReadable call.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/status.h"

namespace portcullis {

// Identifies a watched pattern (a configured log path, possibly a glob). Returned by AddPattern;
// the daemon maps it to the jails that asked for it.
using PatternId = uint32_t;
// Identifies one concrete file path followed by the source (a literal pattern, or one glob
// match). Stable for the life of the source, also across rotations of that path.
using FileId = uint32_t;

// Where a file was read up to, for persistence (BanStore) and for resuming after a restart.
// `offset` is always at a line boundary: every line before it has been delivered, none after.
// The head fingerprint identifies the file's content independently of its inode: `head_hash` is
// the FNV-1a 64 hash of the first `head_len` bytes of the file, head_len = min(size, kHeadBytes).
// (More than the first line: W3C-style logs start every file with the same header line.)
struct FilePosition {
  static constexpr uint32_t kHeadBytes = 256;

  std::string path;  // the concrete file path (never a glob)
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;
  uint64_t head_hash = 0;
  uint32_t head_len = 0;

  friend bool operator==(const FilePosition&, const FilePosition&) = default;
};

// Which file a line came from. Valid only during the OnLine call.
struct LineOrigin {
  FileId file = 0;
  std::string_view path;                // the watched path (for a rotated file: its old name)
  std::span<const PatternId> patterns;  // every pattern naming this path; route to their jails
};

enum class SourceEventKind {
  kOpened,        // started following a file; detail says where ("at end", "from start", ...)
  kRotated,       // the path names a new file; the old one is drained to EOF before the switch
  kTruncated,     // the file shrank or its first line changed (copytruncate): reading from 0
  kGone,          // the path vanished (deleted or renamed away); waiting for it to reappear
  kOversizeLine,  // a line longer than the cap was cut; `count` = cut lines so far in this file
  kError,         // an OS error on this path (open, read, watch; detail carries strerror), a
                  // path that is not a regular file, or lost inotify events (all rescanned)
};

std::string_view SourceEventKindName(SourceEventKind kind);

// Something the daemon should log. Valid only during the OnEvent call. Each event is reported
// once per change (never once per read), so a source watching its own daemon's log cannot feed
// itself a loop of events.
struct SourceEvent {
  SourceEventKind kind = SourceEventKind::kOpened;
  FileId file = 0;        // 0 when the event is about a directory or the whole source
  std::string_view path;  // the followed path, the directory, or empty (whole source)
  uint64_t offset = 0;  // kOpened: start offset; kTruncated/kRotated: where the old reading stopped
  uint64_t count = 0;   // kOversizeLine: cut lines so far for this path
  std::string_view detail;
};

// Receives what a source reads. Implemented by the daemon (and by recorders in tests). Callbacks
// may call the source's const methods (Positions, ExistingFiles) but must not add patterns or
// call OnReadable re-entrantly.
class LineSink {
 public:
  virtual ~LineSink() = default;
  // One complete line without its '\n'. The bytes are raw: NUL bytes and invalid UTF-8 pass
  // through unchanged. `cut` is true when the line was longer than the cap and only its first
  // bytes are given. `line` is valid only during this call.
  virtual void OnLine(const LineOrigin& origin, std::string_view line, bool cut) = 0;
  virtual void OnEvent(const SourceEvent& event) = 0;
};

class LineSource {
 public:
  LineSource() = default;
  LineSource(const LineSource&) = delete;
  LineSource& operator=(const LineSource&) = delete;
  virtual ~LineSource() = default;

  // The descriptor to poll for readability (level-triggered). Owned by the source.
  virtual int fd() const = 0;

  // Reads everything available, delivers it to `sink`, returns without blocking. Safe to call at
  // any time, also when fd() is not readable: the daemon calls it once after setting the source
  // up so that a backlog behind a saved position is read. A non-OK status means the source
  // itself failed (the inotify descriptor); problems with single files are events, not errors.
  virtual Status OnReadable(LineSink& sink) = 0;
};

// A LineSource that follows log files by path.
class FileLineSource : public LineSource {
 public:
  // Starts watching `pattern`: an absolute path whose last component may be a glob (fnmatch(3)
  // syntax: * ? [...]; the directory part must be literal). Files that exist now start at their
  // end unless `saved` holds a position for their path that is still valid; files that appear
  // later (created, renamed in, their directory created) are read from their start. A missing file
  // or directory is not an error: it is waited for. Positions in `saved` for paths this pattern
  // does not name are kept for later patterns. Adding a pattern equal to an earlier one returns a
  // new id; the file is still read once.
  // Errors: InvalidArgument (relative path, glob in a directory component), IoError (inotify).
  virtual Result<PatternId> AddPattern(std::string_view pattern,
                                       std::span<const FilePosition> saved) = 0;

  // The files that `pattern` currently names and that exist (are being followed). Empty while a
  // jail's logs are all missing: the jail runs and waits.
  virtual std::vector<std::string> ExistingFiles(PatternId pattern) const = 0;

  // One position per followed file, plus saved positions not yet used because the file a
  // literal (non-glob) pattern names is missing; for the BanStore. Each offset is at a line
  // boundary. Saved positions for paths no pattern names any more are dropped.
  virtual std::vector<FilePosition> Positions() const = 0;
};

}  // namespace portcullis
