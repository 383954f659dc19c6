// The pure part of following a log file: given facts from stat()/fstat() and the first bytes of
// a file, decide where to start reading and what a change means (rotation, truncation, deletion).
//
// Nothing here touches the filesystem, a clock or a log: inotify_tailer.cc gathers the facts and
// applies the decisions. That keeps every rotation rule testable with plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "portcullis/line_source.h"

namespace portcullis {

// FNV-1a, 64 bit.
uint64_t Fnv1a64(std::string_view bytes);

// The head fingerprint of a file whose first bytes are `first_bytes` (at most
// FilePosition::kHeadBytes of them are used; fewer when the file is shorter).
// Only a full fingerprint (kHeadBytes long) is trusted to recognise the same content under
// another inode; a shorter one only confirms that an inode still holds what it held.
struct Head {
  uint64_t hash = 0;
  uint32_t len = 0;    // bytes hashed: min(file size, kHeadBytes)
  bool final = false;  // len == kHeadBytes: will not grow
};
Head ComputeHead(std::string_view first_bytes);

// What the tailer knows about one file (an open descriptor or the thing a path names now).
struct FileFacts {
  bool exists = false;
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t size = 0;
  // Hash of the file's first `head_len` bytes, where head_len is the remembered (or saved) one;
  // nullopt when the file is shorter than that.
  std::optional<uint64_t> head_hash;
  // Whether the last byte of the file is '\n' (true for an empty file).
  bool ends_with_newline = true;
};

// What we remember about the file we are reading.
struct TailPosition {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t offset = 0;  // bytes consumed from the file so far
  Head head;
};

enum class StartReason {
  kResumed,   // saved position matches the file: continue at the saved offset
  kAtEnd,     // existed when we started and nothing was saved: only new lines count
  kNewFile,   // appeared after we started: read it all
  kReplaced,  // saved position is for other content (rotated/replaced while stopped)
  kShrunk,    // same file, but shorter than the saved offset (truncated while stopped)
};
std::string_view StartReasonName(StartReason reason);

struct StartDecision {
  uint64_t offset = 0;
  StartReason reason = StartReason::kNewFile;
  // Starting at the end of a file whose last line is unfinished: discard bytes up to the next
  // '\n' rather than deliver the tail of a line whose start we never saw.
  bool skip_to_newline = false;
};

// Where to start reading a file that has just been opened. `file` describes the open file; its
// head_hash is over `saved->head_len` bytes when `saved` is given. `existed_at_start` is true for
// files found while a pattern is being added, false for files that appear later.
// A saved position is trusted when the head fingerprint matches and the file is at least as long
// as the saved offset, even under a new inode: a log rewritten or copied in place is not new
// content and must not be counted twice.
StartDecision DecideStart(const std::optional<FilePosition>& saved, const FileFacts& file,
                          bool existed_at_start);

enum class PathChange {
  kSame,                 // the path still names the file we read
  kGone,                 // the path names nothing: drain the old file, wait for a new one
  kRotated,              // the path names another file: drain the old one, read the new from 0
  kReplacedSameContent,  // another inode with our content (rewritten in place): continue there
                         // at our offset, do not drain or re-read
};
std::string_view PathChangeName(PathChange change);

// What the path we follow names now, compared with the file we read. `at_path` is stat(path);
// its head_hash is over `current.head.len` bytes.
PathChange DecidePathChange(const TailPosition& current, const FileFacts& at_path);

enum class Growth {
  kKeepReading,  // read from current.offset on
  kTruncated,    // shrank below our offset, or its head changed (truncated and rewritten past
                 // our offset before we looked): read again from 0
};

// What happened to the open file itself. `open_file` is fstat() of our descriptor with head_hash
// over `current.head.len` bytes.
Growth DecideGrowth(const TailPosition& current, const FileFacts& open_file);

}  // namespace portcullis
