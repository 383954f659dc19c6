#include "watch/tail_state.h"

namespace portcullis {

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

Head ComputeHead(std::string_view first_bytes) {
  if (first_bytes.size() > FilePosition::kHeadBytes) {
    first_bytes = first_bytes.substr(0, FilePosition::kHeadBytes);
  }
  Head head;
  head.len = static_cast<uint32_t>(first_bytes.size());
  head.final = head.len == FilePosition::kHeadBytes;
  head.hash = Fnv1a64(first_bytes);
  return head;
}

std::string_view StartReasonName(StartReason reason) {
  switch (reason) {
    case StartReason::kResumed:
      return "resumed at saved position";
    case StartReason::kAtEnd:
      return "at end";
    case StartReason::kNewFile:
      return "new file, from start";
    case StartReason::kReplaced:
      return "saved position is for other content, from start";
    case StartReason::kShrunk:
      return "shorter than saved position, from start";
  }
  return "?";
}

std::string_view PathChangeName(PathChange change) {
  switch (change) {
    case PathChange::kSame:
      return "same";
    case PathChange::kGone:
      return "gone";
    case PathChange::kRotated:
      return "rotated";
    case PathChange::kReplacedSameContent:
      return "replaced with same content";
  }
  return "?";
}

namespace {

// True when `file` carries the content that `head` fingerprints. An empty fingerprint (the file
// was empty) matches anything.
bool HeadMatches(uint64_t hash, uint32_t len, const FileFacts& file) {
  if (len == 0) {
    return true;
  }
  return file.head_hash.has_value() && *file.head_hash == hash;
}

}  // namespace

StartDecision DecideStart(const std::optional<FilePosition>& saved, const FileFacts& file,
                          bool existed_at_start) {
  if (saved.has_value()) {
    bool same_inode = saved->dev == file.dev && saved->ino == file.ino;
    bool head_ok = HeadMatches(saved->head_hash, saved->head_len, file);
    // Under another inode only a full fingerprint identifies the content (a copy, a restore, a
    // file system whose device numbers changed at reboot); a short one could be any small file.
    bool same_content = head_ok && (same_inode || saved->head_len == FilePosition::kHeadBytes);
    if (same_content && file.size >= saved->offset) {
      return {saved->offset, StartReason::kResumed, false};
    }
    if (same_content) {
      return {0, StartReason::kShrunk, false};
    }
    return {0, StartReason::kReplaced, false};
  }
  if (existed_at_start) {
    return {file.size, StartReason::kAtEnd, !file.ends_with_newline};
  }
  return {0, StartReason::kNewFile, false};
}

PathChange DecidePathChange(const TailPosition& current, const FileFacts& at_path) {
  if (!at_path.exists) {
    return PathChange::kGone;
  }
  if (at_path.dev == current.dev && at_path.ino == current.ino) {
    return PathChange::kSame;
  }
  // The same first kHeadBytes and at least as long as what we consumed: the file was rewritten or
  // copied in place (sed -i, an editor, a restore). Reading it from 0 would count lines twice.
  if (current.head.final && at_path.head_hash.has_value() &&
      *at_path.head_hash == current.head.hash && at_path.size >= current.offset) {
    return PathChange::kReplacedSameContent;
  }
  return PathChange::kRotated;
}

Growth DecideGrowth(const TailPosition& current, const FileFacts& open_file) {
  if (open_file.size < current.offset) {
    return Growth::kTruncated;
  }
  if (!HeadMatches(current.head.hash, current.head.len, open_file)) {
    return Growth::kTruncated;
  }
  return Growth::kKeepReading;
}

}  // namespace portcullis
