// InotifyTailer: the FileLineSource for real log files, on Linux inotify.
//
// Watches (all on one inotify descriptor, so the daemon polls a single fd):
//  - each followed file, by inode: IN_MODIFY (new data, truncation), IN_ATTRIB (unlinked),
//    IN_MOVE_SELF (renamed, also outside the watched directory);
//  - the directory of each pattern: IN_CREATE, IN_MOVED_TO, IN_MOVED_FROM, IN_DELETE, IN_ATTRIB
//    and the directory's own deletion or move. Directories get no IN_MODIFY watch, so a busy
//    neighbour log in /var/log does not wake us;
//  - while a pattern's directory is missing, its nearest existing ancestor (re-armed downwards as
//    directories appear).
//
// Rotation. rename+create: when the path vanishes or names a new inode, the old file stays open
// and is read to EOF ("draining"); a writer that has not reopened yet keeps being read. The old
// file is closed once it is unlinked, or once the new file at the path has data (the writer has
// switched; the old one is drained a last time first). copytruncate: a file shorter than our
// offset, or whose first kHeadBytes changed, is read again from 0; a new file that starts like one
// already read (the copy, under a glob that matches it) continues at the offset read there. A file
// renamed to a name that another pattern matches (auth.log -> auth.log.1 under "auth.log*") is
// continued at its offset under the new name, never read twice.
//
// A followed path that is a symlink also gets a watch on its target's directory (one level of
// link), so rotation of the target is seen there.
//
// Limits (documented, not bugs): a glob is allowed only in the last path component; a file that
// two watched names reach through a hard link or symlink is read once, under the name seen first,
// and its lines carry that name's patterns only; a backlog is read to EOF in one OnReadable call;
// Positions() covers current files only, so lines a not-yet-reopened writer adds to a rotated
// file after our last read are lost if the daemon stops in that window; file systems whose
// changes inotify does not see (NFS, FUSE) are not supported (no polling fallback).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "portcullis/line_source.h"
#include "watch/line_splitter.h"
#include "watch/tail_state.h"

namespace portcullis {

class InotifyTailer final : public FileLineSource {
 public:
  // Errors: IoError when inotify_init1 fails (EMFILE: too many inotify instances).
  static Result<std::unique_ptr<InotifyTailer>> Create();
  ~InotifyTailer() override;

  int fd() const override { return inotify_fd_; }
  Status OnReadable(LineSink& sink) override;
  Result<PatternId> AddPattern(std::string_view pattern,
                               std::span<const FilePosition> saved) override;
  std::vector<std::string> ExistingFiles(PatternId pattern) const override;
  std::vector<FilePosition> Positions() const override;

 private:
  struct Slot;

  // One inode we hold open.
  struct OpenFile {
    int fd = -1;
    int wd = -1;
    TailPosition pos;
    LineSplitter splitter;
    Slot* owner = nullptr;
    uint64_t reported_cuts = 0;
  };

  // One concrete path named by one or more patterns.
  struct Slot {
    FileId id = 0;
    std::string path;
    std::vector<PatternId> patterns;
    bool literal = false;  // named by a non-glob pattern: kept while missing
    std::unique_ptr<OpenFile> current;
    std::unique_ptr<OpenFile> draining;  // previous file after rotation, read until closed
    std::string last_error;              // reported once until it changes
    bool checking = false;               // CheckSlot is running for this slot
  };

  // A file whose content we consumed and then let go (closed after rotation, or truncated). If
  // that inode shows up again under a followed name (auth.log -> auth.log.1 under "auth.log*"),
  // or a new file starts with the same kHeadBytes (copytruncate's copy, a restored backup), its
  // lines up to `offset` were already delivered.
  struct Consumed {
    bool by_inode = false;  // false once the inode is freed (may be reused) or was truncated
    uint64_t dev = 0;
    uint64_t ino = 0;
    Head head;
    uint64_t offset = 0;
  };

  struct QueuedEvent {
    SourceEventKind kind;
    FileId file;
    std::string path;
    uint64_t offset;
    uint64_t count;
    std::string detail;
  };

  struct Pattern {
    PatternId id = 0;
    std::string dir;   // the pattern's directory (lexically normal, no trailing '/')
    std::string base;  // last component, literal or glob
    bool glob = false;
    std::string watched_dir;  // `dir` when it exists, else its nearest existing ancestor
    std::string last_error;   // reported once until it changes
  };

  explicit InotifyTailer(int inotify_fd);

  // Ensures the directory watch for `pattern`, creates slots for files it names, checks each.
  void ResolvePattern(Pattern& pattern, bool at_start, LineSink* sink);
  Slot& SlotFor(const std::string& path, const Pattern& pattern);
  // Re-examines what `slot.path` names now and reads whatever is readable.
  void CheckSlot(Slot& slot, bool at_start, LineSink* sink);
  // Reads the slot's draining file, then its current one.
  void ReadSlot(Slot& slot, LineSink* sink);
  // After a restart whose saved position names another inode: look for that inode under a
  // rotated name next to the path ("auth.log.1") and drain it from the saved offset.
  void FindRotatedWhileStopped(Slot& slot, const FilePosition& saved, LineSink* sink);
  // Reads `file` to EOF, delivering lines under `file.owner`. Returns bytes read.
  uint64_t ReadFile(OpenFile& file, LineSink* sink);
  // Opens the file `slot.path` names now. nullptr (and an event) on failure.
  std::unique_ptr<OpenFile> Open(Slot& slot, LineSink* sink);
  // Registers `file` (inode map, IN_MODIFY watch on the inode itself).
  void Arm(OpenFile& file, LineSink* sink);
  void Close(std::unique_ptr<OpenFile>& file);
  void MakeDraining(Slot& slot, LineSink* sink);
  void FinishDraining(Slot& slot, LineSink* sink);
  // Facts about `fd` with the head hash over `head_len` bytes.
  std::optional<FileFacts> FdFacts(int fd, uint32_t head_len, bool want_last_byte);
  void UpdateHead(OpenFile& file);
  // Returns 0, or the errno of inotify_add_watch.
  int WatchDir(const std::string& dir);
  void HandleDirEvent(const std::string& dir, uint32_t mask, std::string_view name, LineSink* sink);
  void ForgetDirWatch(int wd);
  void Emit(LineSink* sink, SourceEventKind kind, const Slot& slot, uint64_t offset,
            std::string_view detail, uint64_t count = 0);
  void EmitFor(LineSink* sink, SourceEventKind kind, FileId file, std::string_view path,
               uint64_t offset, std::string_view detail, uint64_t count);
  void Error(LineSink* sink, Slot& slot, std::string detail);
  void DropUnusedSlots();
  void DirGone(const std::string& dir);
  // For a path that is a symlink: also watch the directory of its target (one level), where the
  // target is rotated.
  void WatchLinkTarget(const Slot& slot);
  // If `fd` starts like a file we already consumed, the offset up to which its lines were seen.
  std::optional<uint64_t> AlreadyConsumed(int fd, const FileFacts& facts);
  void RememberConsumed(const OpenFile& file, bool by_inode);

  int inotify_fd_ = -1;
  std::vector<Pattern> patterns_;
  std::map<std::string, std::unique_ptr<Slot>> slots_;  // by path
  FileId next_file_id_ = 1;
  std::map<std::string, FilePosition> saved_;  // unused saved positions, by path
  std::map<std::pair<uint64_t, uint64_t>, OpenFile*> by_inode_;
  std::unordered_map<int, OpenFile*> file_watches_;                // wd -> file
  std::unordered_map<int, std::vector<std::string>> dir_watches_;  // wd -> directory paths
  std::map<std::string, int> dir_wd_;                              // directory path -> wd
  std::map<std::string, std::set<std::string>> link_dirs_;         // link target dir -> slot paths
  std::set<std::string> check_;      // slots whose path must be re-examined
  std::set<std::string> read_;       // slots with data to read
  std::vector<QueuedEvent> queued_;  // events raised while no sink was at hand
  std::vector<Consumed> consumed_;   // most recent last, bounded
  std::unique_ptr<char[]> buffer_;   // kReadBytes, for one pread
};

}  // namespace portcullis
