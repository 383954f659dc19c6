#include "fakes/fake_line_source.h"

#include <fnmatch.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

namespace portcullis {

namespace {

bool Names(const std::string& pattern, std::string_view path) {
  return fnmatch(pattern.c_str(), std::string(path).c_str(), FNM_PATHNAME | FNM_PERIOD) == 0;
}

}  // namespace

FakeLineSource::FakeLineSource() : event_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FakeLineSource::~FakeLineSource() {
  if (event_fd_ >= 0) {
    ::close(event_fd_);
  }
}

void FakeLineSource::Signal() {
  uint64_t one = 1;
  (void)!::write(event_fd_, &one, sizeof(one));
}

Result<PatternId> FakeLineSource::AddPattern(std::string_view pattern,
                                             std::span<const FilePosition> saved) {
  add_calls_.push_back(
      {std::string(pattern), std::vector<FilePosition>(saved.begin(), saved.end())});
  if (pattern.empty() || pattern.front() != '/') {
    return Status::InvalidArgument("log path must be absolute: " + std::string(pattern));
  }
  patterns_.emplace_back(pattern);
  return static_cast<PatternId>(patterns_.size());
}

std::vector<PatternId> FakeLineSource::PatternsFor(std::string_view path) const {
  std::vector<PatternId> ids;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    if (Names(patterns_[i], path)) {
      ids.push_back(static_cast<PatternId>(i + 1));
    }
  }
  return ids;
}

std::vector<std::string> FakeLineSource::ExistingFiles(PatternId pattern) const {
  std::vector<std::string> paths;
  if (pattern == 0 || pattern > patterns_.size()) {
    return paths;
  }
  for (const auto& [path, file] : files_) {
    if (file.exists && Names(patterns_[pattern - 1], path)) {
      paths.push_back(path);
    }
  }
  return paths;
}

std::vector<FilePosition> FakeLineSource::Positions() const {
  std::vector<FilePosition> positions;
  for (const auto& [path, file] : files_) {
    if (!file.exists) {
      continue;
    }
    FilePosition position;
    position.path = path;
    position.dev = 1;
    position.ino = file.ino;
    position.offset = file.offset - file.splitter.unfinished_bytes();
    positions.push_back(position);
  }
  return positions;
}

FakeLineSource::File& FakeLineSource::FileFor(std::string_view path) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    File file;
    file.id = next_file_id_++;
    file.path = std::string(path);
    file.ino = next_ino_++;
    it = files_.emplace(std::string(path), std::move(file)).first;
    queue_.push_back({false, it->second.id, it->second.path, "new file, from start", false,
                      SourceEventKind::kOpened, 0, 0});
  }
  return it->second;
}

void FakeLineSource::Append(std::string_view path, std::string_view data) {
  File& file = FileFor(path);
  if (!file.exists) {
    file.exists = true;
    file.ino = next_ino_++;
    file.offset = 0;
    file.splitter.Reset();
    queue_.push_back(
        {false, file.id, file.path, "new file, from start", false, SourceEventKind::kOpened, 0, 0});
  }
  file.offset += data.size();
  uint64_t cuts = file.splitter.cut_lines();
  file.splitter.Feed(data);
  while (auto line = file.splitter.Next()) {
    queue_.push_back({true, file.id, file.path, std::string(line->text), line->cut,
                      SourceEventKind::kOpened, 0, 0});
  }
  if (file.splitter.cut_lines() != cuts) {
    queue_.push_back({false, file.id, file.path, "line longer than 64 KiB cut", false,
                      SourceEventKind::kOversizeLine, file.offset, file.splitter.cut_lines()});
  }
  Signal();
}

void FakeLineSource::Rotate(std::string_view path) {
  File& file = FileFor(path);
  queue_.push_back({false, file.id, file.path, "new file at the path, from start", false,
                    SourceEventKind::kRotated, file.offset, 0});
  file.exists = true;
  file.ino = next_ino_++;
  file.offset = 0;
  file.splitter.Reset();
  Signal();
}

void FakeLineSource::Truncate(std::string_view path) {
  File& file = FileFor(path);
  queue_.push_back({false, file.id, file.path, "file shrank or was rewritten", false,
                    SourceEventKind::kTruncated, file.offset, 0});
  file.offset = 0;
  file.splitter.Reset();
  Signal();
}

void FakeLineSource::Remove(std::string_view path) {
  File& file = FileFor(path);
  file.exists = false;
  queue_.push_back(
      {false, file.id, file.path, "path vanished", false, SourceEventKind::kGone, file.offset, 0});
  Signal();
}

void FakeLineSource::FailNextRead(Status status) {
  fail_next_ = std::move(status);
  Signal();
}

Status FakeLineSource::OnReadable(LineSink& sink) {
  uint64_t ignored = 0;
  (void)!::read(event_fd_, &ignored, sizeof(ignored));
  if (!fail_next_.ok()) {
    Status status = std::move(fail_next_);
    fail_next_ = Status::Ok();
    return status;
  }
  std::vector<Queued> queue;
  queue.swap(queue_);
  for (const Queued& item : queue) {
    if (item.is_line) {
      std::vector<PatternId> patterns = PatternsFor(item.path);
      LineOrigin origin{item.file, item.path, patterns};
      sink.OnLine(origin, item.text, item.cut);
    } else {
      SourceEvent event;
      event.kind = item.kind;
      event.file = item.file;
      event.path = item.path;
      event.offset = item.offset;
      event.count = item.count;
      event.detail = item.text;
      sink.OnEvent(event);
    }
  }
  return Status::Ok();
}

}  // namespace portcullis
