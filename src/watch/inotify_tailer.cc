#include "watch/inotify_tailer.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace portcullis {

namespace {

namespace fs = std::filesystem;

// Directories: names appearing and disappearing, the directory itself going away, and
// IN_ATTRIB (chmod/chown: a log we could not open may have become readable; plain writes do not
// raise it). No IN_MODIFY: writes to other logs in the same directory must not wake us.
constexpr uint32_t kDirMask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
                              IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
// Files, by inode: data written or truncated (both IN_MODIFY), unlinked (IN_ATTRIB: link count),
// renamed (IN_MOVE_SELF: also seen when the rename happens outside the watched directory, as for
// the target of a symlinked log).
constexpr uint32_t kFileMask = IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF;

// One pread. 64 KiB is 300 or more log lines, so the system call is a small part of the cost of
// catching up; a larger buffer is only resident memory.
constexpr size_t kReadBytes = size_t{64} * 1024;
constexpr size_t kMaxConsumed = 32;

std::string ErrnoText(std::string_view what, int err) {
  std::string text(what);
  text += ": ";
  text += std::strerror(err);
  return text;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

std::string Join(const std::string& dir, std::string_view name) {
  std::string path = dir;
  if (path.back() != '/') {
    path += '/';
  }
  path += name;
  return path;
}

// The component of `target` right below its ancestor `dir`: ("/a", "/a/b/c") -> "b".
std::string_view NextComponent(std::string_view dir, std::string_view target) {
  size_t start = dir == "/" ? 1 : dir.size() + 1;
  if (target.size() <= start) {
    return {};
  }
  std::string_view rest = target.substr(start);
  return rest.substr(0, rest.find('/'));
}

bool HasGlob(std::string_view text) { return text.find_first_of("*?[") != std::string_view::npos; }

bool NameMatches(std::string_view pattern_base, bool glob, std::string_view name) {
  if (!glob) {
    return pattern_base == name;
  }
  std::string pattern(pattern_base);
  std::string candidate(name);
  return fnmatch(pattern.c_str(), candidate.c_str(), FNM_PERIOD) == 0;
}

// Reads up to `len` bytes at `offset`; short only at EOF.
ssize_t PreadFully(int fd, char* buf, size_t len, uint64_t offset) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return -1;
    }
    if (n == 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

std::optional<uint64_t> HashPrefix(int fd, uint32_t len) {
  char buf[FilePosition::kHeadBytes];
  if (len > sizeof(buf)) {
    return std::nullopt;
  }
  if (PreadFully(fd, buf, len, 0) != static_cast<ssize_t>(len)) {
    return std::nullopt;
  }
  return Fnv1a64(std::string_view(buf, len));
}

}  // namespace

Result<std::unique_ptr<InotifyTailer>> InotifyTailer::Create() {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    return Status::IoError(ErrnoText("inotify_init1", errno));
  }
  return std::unique_ptr<InotifyTailer>(new InotifyTailer(fd));
}

// The read buffer is not zero-filled: pread writes what is read, and pages never written (an
// idle daemon never reads) stay out of the resident set.
InotifyTailer::InotifyTailer(int inotify_fd)
    : inotify_fd_(inotify_fd), buffer_(new char[kReadBytes]) {}

InotifyTailer::~InotifyTailer() {
  for (auto& [path, slot] : slots_) {
    if (slot->current) {
      ::close(slot->current->fd);
    }
    if (slot->draining) {
      ::close(slot->draining->fd);
    }
  }
  ::close(inotify_fd_);  // drops every watch
}

Result<PatternId> InotifyTailer::AddPattern(std::string_view text,
                                            std::span<const FilePosition> saved) {
  if (text.empty() || text.front() != '/') {
    return Status::InvalidArgument("log path must be absolute: " + std::string(text));
  }
  std::string normal = std::filesystem::path(text).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') {
    normal.pop_back();
  }
  if (normal == "/") {
    return Status::InvalidArgument("log path names a directory: /");
  }
  Pattern pattern;
  pattern.id = static_cast<PatternId>(patterns_.size() + 1);
  pattern.dir = DirName(normal);
  pattern.base = normal.substr(normal.rfind('/') + 1);
  if (HasGlob(pattern.dir)) {
    return Status::InvalidArgument("a glob is allowed only in the last component of a log path: " +
                                   std::string(text));
  }
  pattern.glob = HasGlob(pattern.base);
  for (const FilePosition& position : saved) {
    saved_[position.path] = position;
  }
  patterns_.push_back(std::move(pattern));
  ResolvePattern(patterns_.back(), /*at_start=*/true, nullptr);
  return patterns_.back().id;
}

std::vector<std::string> InotifyTailer::ExistingFiles(PatternId pattern) const {
  std::vector<std::string> files;
  for (const auto& [path, slot] : slots_) {
    if (!slot->current) {
      continue;
    }
    if (std::find(slot->patterns.begin(), slot->patterns.end(), pattern) != slot->patterns.end()) {
      files.push_back(path);
    }
  }
  return files;
}

std::vector<FilePosition> InotifyTailer::Positions() const {
  std::vector<FilePosition> positions;
  for (const auto& [path, slot] : slots_) {
    if (!slot->current) {
      continue;
    }
    const OpenFile& file = *slot->current;
    FilePosition position;
    position.path = path;
    position.dev = file.pos.dev;
    position.ino = file.pos.ino;
    uint64_t unfinished = std::min(file.splitter.unfinished_bytes(), file.pos.offset);
    position.offset = file.pos.offset - unfinished;
    position.head_hash = file.pos.head.hash;
    position.head_len = file.pos.head.len;
    positions.push_back(std::move(position));
  }
  // Unused saved positions survive while a configured (literal) path waits for its file; those
  // for glob matches or paths no longer configured are dropped, so they do not pile up.
  for (const auto& [path, position] : saved_) {
    auto it = slots_.find(path);
    if (it != slots_.end() && it->second->literal && !it->second->current) {
      positions.push_back(position);
    }
  }
  return positions;
}

int InotifyTailer::WatchDir(const std::string& dir) {
  if (dir_wd_.count(dir) != 0) {
    return 0;
  }
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kDirMask);
  if (wd < 0) {
    return errno;
  }
  auto& paths = dir_watches_[wd];
  if (std::find(paths.begin(), paths.end(), dir) == paths.end()) {
    paths.push_back(dir);
  }
  dir_wd_[dir] = wd;
  return 0;
}

void InotifyTailer::ResolvePattern(Pattern& pattern, bool at_start, LineSink* sink) {
  // Watch the pattern's directory, or the nearest ancestor that exists so that we learn when the
  // missing part is created. inotify_add_watch itself tells whether a directory exists, which
  // avoids a stat/watch race.
  std::string dir = pattern.dir;
  while (true) {
    int err = WatchDir(dir);
    if (err == 0 || dir == "/") {
      break;
    }
    if (err != ENOENT && err != ENOTDIR) {
      // EACCES, or ENOSPC when fs.inotify.max_user_watches is exhausted: say so, and fall back
      // to the parent so that at least a re-creation is noticed.
      std::string error = ErrnoText("inotify_add_watch " + dir, err);
      if (error != pattern.last_error) {
        pattern.last_error = error;
        EmitFor(sink, SourceEventKind::kError, 0, dir, 0, error, 0);
      }
    }
    dir = DirName(dir);
  }
  pattern.watched_dir = dir;
  if (!pattern.glob) {
    Slot& slot = SlotFor(Join(pattern.dir, pattern.base), pattern);
    if (dir != pattern.dir) {
      return;
    }
    if (at_start) {
      if (!slot.current) {
        CheckSlot(slot, /*at_start=*/true, sink);
      }
    } else {
      check_.insert(slot.path);
    }
    return;
  }
  if (dir != pattern.dir) {
    return;
  }
  DIR* handle = ::opendir(pattern.dir.c_str());
  if (handle == nullptr) {
    return;  // vanished again: its watch reports that
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(handle)) {
    if (NameMatches(pattern.base, true, entry->d_name)) {
      names.emplace_back(entry->d_name);
    }
  }
  ::closedir(handle);
  for (const std::string& name : names) {
    Slot& slot = SlotFor(Join(pattern.dir, name), pattern);
    if (at_start) {
      if (!slot.current) {
        CheckSlot(slot, /*at_start=*/true, sink);
      }
    } else {
      check_.insert(slot.path);
    }
  }
}

InotifyTailer::Slot& InotifyTailer::SlotFor(const std::string& path, const Pattern& pattern) {
  std::unique_ptr<Slot>& slot = slots_[path];
  if (!slot) {
    slot = std::make_unique<Slot>();
    slot->id = next_file_id_++;
    slot->path = path;
  }
  if (std::find(slot->patterns.begin(), slot->patterns.end(), pattern.id) == slot->patterns.end()) {
    slot->patterns.push_back(pattern.id);
  }
  if (!pattern.glob) {
    slot->literal = true;
  }
  return *slot;
}

std::unique_ptr<InotifyTailer::OpenFile> InotifyTailer::Open(Slot& slot, LineSink* sink) {
  int fd = ::open(slot.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err != ENOENT && err != ENOTDIR) {
      Error(sink, slot, ErrnoText("open", err));
    }
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    Error(sink, slot, "not a regular file");
    return nullptr;
  }
  auto file = std::make_unique<OpenFile>();
  file->fd = fd;
  file->pos.dev = st.st_dev;
  file->pos.ino = st.st_ino;
  file->owner = &slot;
  return file;
}

void InotifyTailer::Arm(OpenFile& file, LineSink* sink) {
  by_inode_[{file.pos.dev, file.pos.ino}] = &file;
  // Watch the inode we hold, not whatever the path names by now.
  std::string proc = "/proc/self/fd/" + std::to_string(file.fd);
  int wd = inotify_add_watch(inotify_fd_, proc.c_str(), kFileMask);
  if (wd < 0) {
    int err = errno;
    struct stat st;
    if (::stat(file.owner->path.c_str(), &st) == 0 && st.st_dev == file.pos.dev &&
        st.st_ino == file.pos.ino) {
      wd = inotify_add_watch(inotify_fd_, file.owner->path.c_str(), kFileMask);
      err = errno;
    }
    if (wd < 0) {
      Error(sink, *file.owner, ErrnoText("inotify_add_watch", err));
      return;
    }
  }
  file.wd = wd;
  file_watches_[wd] = &file;
}

void InotifyTailer::Close(std::unique_ptr<OpenFile>& file) {
  if (!file) {
    return;
  }
  if (file->wd >= 0) {
    inotify_rm_watch(inotify_fd_, file->wd);
    file_watches_.erase(file->wd);
  }
  auto it = by_inode_.find({file->pos.dev, file->pos.ino});
  if (it != by_inode_.end() && it->second == file.get()) {
    by_inode_.erase(it);
  }
  // A deleted inode's number is soon reused by a new file: remember only its content then.
  struct stat st;
  RememberConsumed(*file, ::fstat(file->fd, &st) == 0 && st.st_nlink > 0);
  ::close(file->fd);
  file.reset();
}

void InotifyTailer::RememberConsumed(const OpenFile& file, bool by_inode) {
  consumed_.push_back(
      {by_inode, file.pos.dev, file.pos.ino, file.pos.head,
       file.pos.offset - std::min(file.splitter.unfinished_bytes(), file.pos.offset)});
  if (consumed_.size() > kMaxConsumed) {
    consumed_.erase(consumed_.begin());
  }
}

std::optional<uint64_t> InotifyTailer::AlreadyConsumed(int fd, const FileFacts& facts) {
  // The same inode, still holding what it held: it was renamed to a name we follow.
  for (auto it = consumed_.rbegin(); it != consumed_.rend(); ++it) {
    if (!it->by_inode || it->dev != facts.dev || it->ino != facts.ino || facts.size < it->offset) {
      continue;
    }
    if (it->head.len > 0 && HashPrefix(fd, it->head.len) != it->head.hash) {
      continue;
    }
    return it->offset;
  }
  // Another inode that starts with the same kHeadBytes: a copy.
  if (facts.size < FilePosition::kHeadBytes) {
    return std::nullopt;
  }
  std::optional<uint64_t> hash = HashPrefix(fd, FilePosition::kHeadBytes);
  if (!hash) {
    return std::nullopt;
  }
  std::optional<uint64_t> best;
  auto consider = [&](const Head& head, uint64_t offset) {
    if (head.final && head.hash == *hash) {
      best = std::max(best.value_or(0), offset);
    }
  };
  for (const Consumed& entry : consumed_) {
    consider(entry.head, entry.offset);
  }
  for (const auto& [key, file] : by_inode_) {
    consider(file->pos.head,
             file->pos.offset - std::min(file->splitter.unfinished_bytes(), file->pos.offset));
  }
  if (best) {
    best = std::min(*best, facts.size);
  }
  return best;
}

std::optional<FileFacts> InotifyTailer::FdFacts(int fd, uint32_t head_len, bool want_last_byte) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return std::nullopt;
  }
  FileFacts facts;
  facts.exists = true;
  facts.dev = st.st_dev;
  facts.ino = st.st_ino;
  facts.size = static_cast<uint64_t>(st.st_size);
  if (head_len > 0) {
    facts.head_hash = HashPrefix(fd, head_len);
  }
  if (want_last_byte && facts.size > 0) {
    char last = 0;
    if (PreadFully(fd, &last, 1, facts.size - 1) == 1) {
      facts.ends_with_newline = last == '\n';
    }
  }
  return facts;
}

void InotifyTailer::UpdateHead(OpenFile& file) {
  if (file.pos.head.final) {
    return;
  }
  char buf[FilePosition::kHeadBytes];
  ssize_t n = PreadFully(file.fd, buf, sizeof(buf), 0);
  if (n < 0) {
    return;
  }
  file.pos.head = ComputeHead(std::string_view(buf, static_cast<size_t>(n)));
}

void InotifyTailer::Emit(LineSink* sink, SourceEventKind kind, const Slot& slot, uint64_t offset,
                         std::string_view detail, uint64_t count) {
  EmitFor(sink, kind, slot.id, slot.path, offset, detail, count);
}

void InotifyTailer::EmitFor(LineSink* sink, SourceEventKind kind, FileId file,
                            std::string_view path, uint64_t offset, std::string_view detail,
                            uint64_t count) {
  if (sink == nullptr) {
    queued_.push_back({kind, file, std::string(path), offset, count, std::string(detail)});
    return;
  }
  SourceEvent event;
  event.kind = kind;
  event.file = file;
  event.path = path;
  event.offset = offset;
  event.count = count;
  event.detail = detail;
  sink->OnEvent(event);
}

void InotifyTailer::Error(LineSink* sink, Slot& slot, std::string detail) {
  if (detail == slot.last_error) {
    return;
  }
  slot.last_error = std::move(detail);
  Emit(sink, SourceEventKind::kError, slot, 0, slot.last_error);
}

void InotifyTailer::MakeDraining(Slot& slot, LineSink* sink) {
  if (slot.draining) {
    FinishDraining(slot, sink);
  }
  slot.draining = std::move(slot.current);
}

void InotifyTailer::FinishDraining(Slot& slot, LineSink* sink) {
  if (!slot.draining) {
    return;
  }
  ReadFile(*slot.draining, sink);
  Close(slot.draining);
}

void InotifyTailer::CheckSlot(Slot& slot, bool at_start, LineSink* sink) {
  if (slot.checking) {
    return;
  }
  slot.checking = true;
  WatchLinkTarget(slot);
  struct stat st;
  bool named = ::stat(slot.path.c_str(), &st) == 0;
  bool exists = named && S_ISREG(st.st_mode);
  if (!named) {
    slot.last_error.clear();  // a later problem with a new file there is news again
  } else if (!exists && slot.literal) {
    // A directory or FIFO given as a log path. (A glob matching directories is not an error.)
    Error(sink, slot, "not a regular file");
  }
  if (!exists) {
    if (slot.current) {
      uint64_t offset = slot.current->pos.offset;
      MakeDraining(slot, sink);
      Emit(sink, SourceEventKind::kGone, slot, offset,
           "path vanished; reading the old file until it is drained");
    }
  } else if (!(slot.current && slot.current->pos.dev == st.st_dev &&
               slot.current->pos.ino == st.st_ino)) {
    std::unique_ptr<OpenFile> fresh = Open(slot, sink);
    if (fresh) {
      std::pair<uint64_t, uint64_t> key{fresh->pos.dev, fresh->pos.ino};
      auto known = by_inode_.find(key);
      if (known != by_inode_.end()) {
        // We already hold this inode: it was renamed here from another followed name, or it is
        // our own old file renamed back. Continue it; never read it a second time.
        ::close(fresh->fd);
        fresh.reset();
        Slot* other = known->second->owner;
        if (other != &slot && other->current.get() == known->second) {
          CheckSlot(*other, false, sink);  // does its path still name it?
        }
        known = by_inode_.find(key);
        if (known == by_inode_.end()) {
          check_.insert(slot.path);  // closed meanwhile (unlinked); look again
        } else {
          other = known->second->owner;
          if (other == &slot && slot.draining.get() == known->second) {
            std::swap(slot.current, slot.draining);
          } else if (other != &slot && other->draining.get() == known->second) {
            if (slot.current) {
              MakeDraining(slot, sink);
            }
            slot.current = std::move(other->draining);
            slot.current->owner = &slot;
            slot.last_error.clear();
            Emit(sink, SourceEventKind::kOpened, slot, slot.current->pos.offset,
                 "continuing a followed file renamed from " + other->path);
          } else if (other != &slot) {
            Error(sink, slot, "same file as " + other->path + ", read under that name");
          }
        }
      } else if (slot.current) {
        std::optional<FileFacts> facts = FdFacts(fresh->fd, slot.current->pos.head.len, false);
        PathChange change =
            facts ? DecidePathChange(slot.current->pos, *facts) : PathChange::kRotated;
        if (change == PathChange::kReplacedSameContent) {
          fresh->pos.offset = slot.current->pos.offset;
          fresh->pos.head = slot.current->pos.head;
          fresh->splitter = std::move(slot.current->splitter);
          fresh->reported_cuts = slot.current->reported_cuts;
          Close(slot.current);
          Arm(*fresh, sink);
          slot.current = std::move(fresh);
          Emit(sink, SourceEventKind::kOpened, slot, slot.current->pos.offset,
               "replaced by a file with the same content; continuing at the same offset");
        } else {
          uint64_t old_offset = slot.current->pos.offset;
          MakeDraining(slot, sink);
          UpdateHead(*fresh);
          Arm(*fresh, sink);
          slot.current = std::move(fresh);
          Emit(sink, SourceEventKind::kRotated, slot, old_offset,
               "new file at the path, from start; the old one is drained first");
        }
      } else {
        std::optional<FilePosition> saved;
        if (auto it = saved_.find(slot.path); it != saved_.end()) {
          saved = it->second;
          saved_.erase(it);
        }
        std::optional<FileFacts> facts =
            FdFacts(fresh->fd, saved ? saved->head_len : 0, /*want_last_byte=*/true);
        if (!facts) {
          Error(sink, slot, ErrnoText("fstat", errno));
          ::close(fresh->fd);
        } else {
          StartDecision decision = DecideStart(saved, *facts, at_start);
          std::string detail(StartReasonName(decision.reason));
          if (decision.reason == StartReason::kNewFile) {
            // A copy of what we already read (copytruncate's ".1" under a glob, a restore):
            // continue where the original was, rather than count its lines again.
            if (std::optional<uint64_t> seen = AlreadyConsumed(fresh->fd, *facts)) {
              decision.offset = *seen;
              detail = "already read under another name or as a copy, continuing where that was";
            }
          }
          fresh->pos.offset = decision.offset;
          fresh->splitter.Reset(decision.skip_to_newline);
          UpdateHead(*fresh);
          Arm(*fresh, sink);
          slot.current = std::move(fresh);
          slot.last_error.clear();
          Emit(sink, SourceEventKind::kOpened, slot, decision.offset, detail);
          if (decision.reason == StartReason::kReplaced && !slot.draining) {
            // Rotated while we were stopped: the lines after the saved offset are in the old
            // file, usually still next to the new one under a suffixed name.
            FindRotatedWhileStopped(slot, *saved, sink);
          }
        }
      }
    }
  }
  slot.checking = false;
  ReadSlot(slot, sink);
}

void InotifyTailer::FindRotatedWhileStopped(Slot& slot, const FilePosition& saved, LineSink* sink) {
  std::string dir = DirName(slot.path);
  std::string base = slot.path.substr(slot.path.rfind('/') + 1);
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    return;
  }
  std::string found;
  while (struct dirent* entry = ::readdir(handle)) {
    std::string_view name = entry->d_name;
    if (name.size() <= base.size() || name.substr(0, base.size()) != base) {
      continue;
    }
    std::string candidate = Join(dir, name);
    struct stat st;
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == saved.dev &&
        st.st_ino == saved.ino) {
      found = candidate;
      break;
    }
  }
  ::closedir(handle);
  if (found.empty()) {
    return;
  }
  int fd = ::open(found.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    return;
  }
  std::optional<FileFacts> facts = FdFacts(fd, saved.head_len, false);
  // Still the file we were reading (same inode, same head), and nothing of it lost.
  if (!facts || facts->dev != saved.dev || facts->ino != saved.ino ||
      by_inode_.count({facts->dev, facts->ino}) != 0 || facts->size < saved.offset ||
      (saved.head_len > 0 && facts->head_hash != saved.head_hash)) {
    ::close(fd);
    return;
  }
  auto file = std::make_unique<OpenFile>();
  file->fd = fd;
  file->pos.dev = facts->dev;
  file->pos.ino = facts->ino;
  file->pos.offset = saved.offset;
  file->owner = &slot;
  UpdateHead(*file);
  Arm(*file, sink);
  slot.draining = std::move(file);
  Emit(sink, SourceEventKind::kRotated, slot, saved.offset,
       "rotated while stopped; reading the rest of " + found + " first");
}

void InotifyTailer::ReadSlot(Slot& slot, LineSink* sink) {
  if (sink == nullptr) {
    read_.insert(slot.path);
    return;
  }
  if (slot.draining) {
    ReadFile(*slot.draining, sink);
    struct stat st;
    if (slot.draining && ::fstat(slot.draining->fd, &st) == 0 && st.st_nlink == 0) {
      Close(slot.draining);  // deleted: nobody can write to it by name any more
    }
  }
  if (!slot.current) {
    return;
  }
  OpenFile& file = *slot.current;
  std::optional<FileFacts> facts = FdFacts(file.fd, file.pos.head.len, false);
  if (facts && DecideGrowth(file.pos, *facts) == Growth::kTruncated) {
    uint64_t old_offset = file.pos.offset;
    RememberConsumed(file, /*by_inode=*/false);
    file.pos.offset = 0;
    file.pos.head = Head{};
    file.splitter.Reset();
    Emit(sink, SourceEventKind::kTruncated, slot, old_offset, "file shrank or was rewritten");
  }
  uint64_t got = ReadFile(file, sink);
  if (got > 0 && slot.draining && slot.current && slot.current->pos.offset > 0) {
    // The writer has switched to the new file: whatever the old one still holds is read now,
    // then it is let go.
    FinishDraining(slot, sink);
  }
}

uint64_t InotifyTailer::ReadFile(OpenFile& file, LineSink* sink) {
  if (sink == nullptr) {
    return 0;
  }
  Slot& slot = *file.owner;
  LineOrigin origin{slot.id, slot.path, slot.patterns};
  uint64_t total = 0;
  while (true) {
    ssize_t n = ::pread(file.fd, buffer_.get(), kReadBytes, static_cast<off_t>(file.pos.offset));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      Error(sink, slot, ErrnoText("read", errno));
      break;
    }
    if (n == 0) {
      break;
    }
    file.pos.offset += static_cast<uint64_t>(n);
    total += static_cast<uint64_t>(n);
    file.splitter.Feed(std::string_view(buffer_.get(), static_cast<size_t>(n)));
    while (std::optional<LineSplitter::Line> line = file.splitter.Next()) {
      sink->OnLine(origin, line->text, line->cut);
    }
    if (file.splitter.cut_lines() != file.reported_cuts) {
      file.reported_cuts = file.splitter.cut_lines();
      Emit(sink, SourceEventKind::kOversizeLine, slot, file.pos.offset,
           "line longer than 64 KiB cut", file.reported_cuts);
    }
  }
  if (total > 0) {
    UpdateHead(file);
  }
  return total;
}

void InotifyTailer::ForgetDirWatch(int wd) {
  auto it = dir_watches_.find(wd);
  if (it == dir_watches_.end()) {
    return;
  }
  for (const std::string& dir : it->second) {
    dir_wd_.erase(dir);
  }
  dir_watches_.erase(it);
}

void InotifyTailer::DirGone(const std::string& dir) {
  for (Pattern& pattern : patterns_) {
    if (pattern.watched_dir == dir || pattern.dir == dir) {
      ResolvePattern(pattern, false, nullptr);
    }
  }
  for (const auto& [path, slot] : slots_) {
    if (DirName(path) == dir) {
      check_.insert(path);
    }
  }
  if (auto links = link_dirs_.find(dir); links != link_dirs_.end()) {
    for (const std::string& path : links->second) {
      check_.insert(path);
    }
  }
}

void InotifyTailer::WatchLinkTarget(const Slot& slot) {
  struct stat st;
  if (::lstat(slot.path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
    return;
  }
  std::error_code error;
  fs::path target = fs::read_symlink(slot.path, error);
  if (error) {
    return;
  }
  if (target.is_relative()) {
    target = fs::path(DirName(slot.path)) / target;
  }
  std::string dir = DirName(target.lexically_normal().string());
  std::set<std::string>& paths = link_dirs_[dir];
  if (paths.insert(slot.path).second || dir_wd_.count(dir) == 0) {
    (void)WatchDir(dir);  // best effort: the link's own directory is watched anyway
  }
}

void InotifyTailer::HandleDirEvent(const std::string& dir, uint32_t mask, std::string_view name,
                                   LineSink* sink) {
  (void)mask;
  if (auto links = link_dirs_.find(dir); links != link_dirs_.end()) {
    for (const std::string& path : links->second) {
      check_.insert(path);
    }
  }
  for (Pattern& pattern : patterns_) {
    if (pattern.watched_dir != dir) {
      continue;
    }
    if (pattern.dir == dir) {
      if (NameMatches(pattern.base, pattern.glob, name)) {
        check_.insert(SlotFor(Join(dir, name), pattern).path);
      }
    } else if (name == NextComponent(dir, pattern.dir)) {
      ResolvePattern(pattern, false, sink);  // the missing directory (or a step to it) appeared
    }
  }
}

void InotifyTailer::DropUnusedSlots() {
  for (auto it = slots_.begin(); it != slots_.end();) {
    const Slot& slot = *it->second;
    if (!slot.literal && !slot.current && !slot.draining && check_.count(it->first) == 0) {
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
}

Status InotifyTailer::OnReadable(LineSink& sink) {
  for (const QueuedEvent& queued : queued_) {
    SourceEvent event;
    event.kind = queued.kind;
    event.file = queued.file;
    event.path = queued.path;
    event.offset = queued.offset;
    event.count = queued.count;
    event.detail = queued.detail;
    sink.OnEvent(event);
  }
  queued_.clear();

  alignas(struct inotify_event) char events[64 * 1024];
  bool overflow = false;
  while (true) {
    ssize_t n = ::read(inotify_fd_, events, sizeof(events));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN) {
        break;
      }
      return Status::IoError(ErrnoText("read inotify", errno));
    }
    if (n == 0) {
      break;
    }
    for (char* p = events; p < events + n;) {
      const auto* event = reinterpret_cast<const struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + event->len;
      if (event->mask & IN_Q_OVERFLOW) {
        overflow = true;
        continue;
      }
      if (auto file = file_watches_.find(event->wd); file != file_watches_.end()) {
        read_.insert(file->second->owner->path);
        if (event->mask & (IN_ATTRIB | IN_MOVE_SELF)) {
          check_.insert(file->second->owner->path);
        }
        continue;
      }
      auto dir = dir_watches_.find(event->wd);
      if (dir == dir_watches_.end()) {
        continue;  // a watch we already dropped
      }
      std::vector<std::string> dirs = dir->second;
      if (event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
        // A moved directory keeps its watch under its new name; we want the old name.
        if (event->mask & IN_MOVE_SELF) {
          inotify_rm_watch(inotify_fd_, event->wd);
        }
        ForgetDirWatch(event->wd);
        for (const std::string& gone : dirs) {
          DirGone(gone);
        }
        continue;
      }
      std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view();
      if (name.empty()) {
        continue;
      }
      for (const std::string& watched : dirs) {
        HandleDirEvent(watched, event->mask, name, &sink);
      }
    }
  }
  if (overflow) {
    EmitFor(&sink, SourceEventKind::kError, 0, "", 0,
            "inotify event queue overflowed; every path is looked at again", 0);
    // Events were lost: look at everything again.
    for (Pattern& pattern : patterns_) {
      ResolvePattern(pattern, false, &sink);
    }
    for (const auto& [path, slot] : slots_) {
      check_.insert(path);
    }
  }

  // Re-examine paths first (rotation decides which file is read), then read.
  while (!check_.empty()) {
    std::string path = *check_.begin();
    check_.erase(check_.begin());
    auto it = slots_.find(path);
    if (it == slots_.end()) {
      continue;
    }
    read_.erase(path);
    CheckSlot(*it->second, false, &sink);
  }
  while (!read_.empty()) {
    std::string path = *read_.begin();
    read_.erase(read_.begin());
    auto it = slots_.find(path);
    if (it != slots_.end()) {
      ReadSlot(*it->second, &sink);
    }
  }
  DropUnusedSlots();
  return Status::Ok();
}

}  // namespace portcullis
