// FakeLineSource: an in-memory FileLineSource for daemon tests.
//
// The test plays the log writer: Append() adds bytes to a named file, Rotate()/Truncate()/
// Remove() change it, and every call also queues what a real source would report. The fd() is an
// eventfd that is readable while something is queued, so the daemon's real epoll loop can drive
// it; OnReadable() delivers the queue in order and clears it. Patterns and saved positions given
// to AddPattern() are recorded for assertions. No files, no inotify, no clock.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/line_source.h"
#include "watch/line_splitter.h"

namespace portcullis {

class FakeLineSource final : public FileLineSource {
 public:
  FakeLineSource();
  ~FakeLineSource() override;

  int fd() const override { return event_fd_; }
  Status OnReadable(LineSink& sink) override;
  // Accepts any absolute path; the last component may be an fnmatch glob. Records the call.
  Result<PatternId> AddPattern(std::string_view pattern,
                               std::span<const FilePosition> saved) override;
  std::vector<std::string> ExistingFiles(PatternId pattern) const override;
  std::vector<FilePosition> Positions() const override;

  // The writer's side. `path` is a concrete file path; lines complete at '\n' are delivered to
  // every pattern naming it (once, with all those patterns in LineOrigin), as the real tailer does.
  void Append(std::string_view path, std::string_view data);
  void Rotate(std::string_view path);    // kRotated; the new file is empty
  void Truncate(std::string_view path);  // kTruncated; reading restarts at 0
  void Remove(std::string_view path);    // kGone; ExistingFiles() no longer lists it
  // The next OnReadable() returns `status` (once) without delivering anything.
  void FailNextRead(Status status);

  struct AddCall {
    std::string pattern;
    std::vector<FilePosition> saved;
  };
  const std::vector<AddCall>& add_calls() const { return add_calls_; }

 private:
  struct File {
    FileId id = 0;
    std::string path;
    bool exists = true;
    uint64_t offset = 0;  // bytes appended to the current incarnation
    uint64_t ino = 0;
    LineSplitter splitter;
  };
  struct Queued {
    bool is_line = false;
    FileId file = 0;
    std::string path;
    std::string text;  // line text or event detail
    bool cut = false;
    SourceEventKind kind = SourceEventKind::kOpened;
    uint64_t offset = 0;
    uint64_t count = 0;
  };

  File& FileFor(std::string_view path);
  std::vector<PatternId> PatternsFor(std::string_view path) const;
  void Signal();

  int event_fd_ = -1;
  std::vector<std::string> patterns_;  // index = id - 1
  std::map<std::string, File, std::less<>> files_;
  std::vector<AddCall> add_calls_;
  std::vector<Queued> queue_;
  Status fail_next_;
  FileId next_file_id_ = 1;
  uint64_t next_ino_ = 1000;
};

}  // namespace portcullis
