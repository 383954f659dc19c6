#include "watch/inotify_tailer.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace portcullis {
namespace {

namespace fs = std::filesystem;

struct Recorded {
  FileId file;
  std::string path;
  std::vector<PatternId> patterns;
  std::string text;
  bool cut;
};

struct RecordedEvent {
  SourceEventKind kind;
  std::string path;
  uint64_t offset;
  uint64_t count;
  std::string detail;
};

class Recorder : public LineSink {
 public:
  void OnLine(const LineOrigin& origin, std::string_view line, bool cut) override {
    lines.push_back({origin.file, std::string(origin.path),
                     std::vector<PatternId>(origin.patterns.begin(), origin.patterns.end()),
                     std::string(line), cut});
  }
  void OnEvent(const SourceEvent& event) override {
    events.push_back({event.kind, std::string(event.path), event.offset, event.count,
                      std::string(event.detail)});
  }
  std::vector<std::string> Texts() const {
    std::vector<std::string> texts;
    for (const Recorded& line : lines) {
      texts.push_back(line.text);
    }
    return texts;
  }
  int Count(SourceEventKind kind) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const RecordedEvent& e) { return e.kind == kind; }));
  }

  std::vector<Recorded> lines;
  std::vector<RecordedEvent> events;
};

class InotifyTailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "portcullis-watch-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    auto tailer = InotifyTailer::Create();
    ASSERT_TRUE(tailer.ok()) << tailer.status().ToString();
    tailer_ = std::move(*tailer);
  }
  void TearDown() override {
    tailer_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string Path(std::string_view name) const { return (fs::path(dir_) / name).string(); }

  static void Append(const std::string& path, std::string_view data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    ::close(fd);
  }
  static void WriteFd(int fd, std::string_view data) {
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }

  PatternId Add(const std::string& pattern, std::span<const FilePosition> saved = {}) {
    Result<PatternId> id = tailer_->AddPattern(pattern, saved);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  // Polls the tailer's fd and handles it until `done` holds or the deadline passes, then once
  // more after a short quiet period so that anything delivered twice would show up.
  bool Pump(const std::function<bool()>& done, int timeout_ms = 2000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    EXPECT_TRUE(tailer_->OnReadable(sink_).ok());
    while (!done()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return false;
      }
      pollfd pfd{tailer_->fd(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left.count(), 50)));
      EXPECT_TRUE(tailer_->OnReadable(sink_).ok());
    }
    Settle();
    return true;
  }
  bool PumpLines(size_t count, int timeout_ms = 2000) {
    return Pump([&] { return sink_.lines.size() >= count; }, timeout_ms);
  }
  // Handles whatever is pending and whatever arrives within a short quiet period.
  void Settle() {
    pollfd pfd{tailer_->fd(), POLLIN, 0};
    while (::poll(&pfd, 1, 30) > 0) {
      ASSERT_TRUE(tailer_->OnReadable(sink_).ok());
    }
    ASSERT_TRUE(tailer_->OnReadable(sink_).ok());
  }

  static std::vector<std::string> Numbered(std::string_view prefix, int from, int to) {
    std::vector<std::string> lines;
    for (int i = from; i < to; ++i) {
      lines.push_back(std::string(prefix) + std::to_string(i));
    }
    return lines;
  }
  static std::string Joined(const std::vector<std::string>& lines) {
    std::string text;
    for (const std::string& line : lines) {
      text += line + "\n";
    }
    return text;
  }

  std::string dir_;
  std::unique_ptr<InotifyTailer> tailer_;
  Recorder sink_;
};

TEST_F(InotifyTailerTest, ExistingFileStartsAtEndAndDeliversAppendedLines) {
  std::string log = Path("auth.log");
  Append(log, "old line\n");
  PatternId id = Add(log);
  Settle();
  EXPECT_TRUE(sink_.lines.empty());
  ASSERT_EQ(sink_.Count(SourceEventKind::kOpened), 1);
  EXPECT_EQ(sink_.events[0].detail, "at end");
  EXPECT_EQ(tailer_->ExistingFiles(id), std::vector<std::string>{log});

  Append(log, "one\ntwo\n");
  ASSERT_TRUE(PumpLines(2));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(sink_.lines[0].path, log);
  EXPECT_EQ(sink_.lines[0].patterns, std::vector<PatternId>{id});
}

TEST_F(InotifyTailerTest, StartingAtEndInsideAnUnfinishedLineSkipsItsTail) {
  std::string log = Path("app.log");
  Append(log, "done\nhalf a li");
  Add(log);
  Append(log, "ne\nnext\n");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"next"});
}

TEST_F(InotifyTailerTest, HoldsPartialLineUntilItsNewlineArrives) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  Append(log, "first\nsec");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"first"});
  Append(log, "ond\n");
  ASSERT_TRUE(PumpLines(2));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"first", "second"}));
}

TEST_F(InotifyTailerTest, RenameRotationDrainsOldFileBeforeTheNewOne) {
  std::string log = Path("auth.log");
  Append(log, "");
  Add(log);
  int writer = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  WriteFd(writer, "l1\nl2\n");
  ASSERT_TRUE(PumpLines(2));

  // logrotate renames; the daemon writing the log has not reopened yet.
  ASSERT_EQ(::rename(log.c_str(), Path("auth.log.1").c_str()), 0);
  WriteFd(writer, "l3\n");
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Count(SourceEventKind::kGone), 1);
  // logrotate creates the new file; the writer still writes to the old one.
  Append(log, "");
  WriteFd(writer, "l4\n");
  ASSERT_TRUE(PumpLines(4));
  // The writer reopens.
  ::close(writer);
  Append(log, "l5\n");
  ASSERT_TRUE(PumpLines(5));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"l1", "l2", "l3", "l4", "l5"}));
  for (const Recorded& line : sink_.lines) {
    EXPECT_EQ(line.path, log);
  }
}

TEST_F(InotifyTailerTest, RenameRotationWhileWritingLosesAndRepeatsNothing) {
  std::string log = Path("busy.log");
  Append(log, "");
  Add(log);
  constexpr int kGenerations = 5;
  constexpr int kPerGeneration = 4000;
  constexpr size_t kTotal = size_t{kGenerations} * kPerGeneration;
  std::atomic<int> seen_generation{-1};
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    for (int gen = 0; gen < kGenerations && !stop.load(); ++gen) {
      for (int i = 0; i < kPerGeneration; ++i) {
        std::string line = "g" + std::to_string(gen) + " n" + std::to_string(i) + "\n";
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
          abort();
        }
        if (i == kPerGeneration / 2 && gen + 1 < kGenerations) {
          // Rotations in real life are far apart: let the reader reach this file first.
          while (seen_generation.load() < gen && !stop.load()) {
            std::this_thread::yield();
          }
          // Rotate mid-stream: rename and create, but keep writing to the old file for a while
          // like a daemon that has not had its SIGHUP yet.
          std::string rotated = log + "." + std::to_string(gen);
          if (::rename(log.c_str(), rotated.c_str()) != 0) {
            abort();
          }
          ::close(::open(log.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        }
      }
      ::close(fd);
      fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    ::close(fd);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink_.lines.size() < kTotal && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{tailer_->fd(), POLLIN, 0};
    ::poll(&pfd, 1, 20);
    ASSERT_TRUE(tailer_->OnReadable(sink_).ok());
    if (!sink_.lines.empty()) {
      const std::string& last = sink_.lines.back().text;
      seen_generation.store(std::stoi(last.substr(1, last.find(' ') - 1)));
    }
  }
  stop.store(true);
  writer.join();
  Settle();
  ASSERT_EQ(sink_.lines.size(), kTotal);
  // Per generation, in order, each line once.
  std::vector<int> next(kGenerations, 0);
  for (const Recorded& line : sink_.lines) {
    int gen = std::stoi(line.text.substr(1, line.text.find(' ') - 1));
    int n = std::stoi(line.text.substr(line.text.find('n') + 1));
    ASSERT_EQ(n, next[gen]) << line.text;
    ++next[gen];
  }
  EXPECT_EQ(sink_.Count(SourceEventKind::kRotated) + sink_.Count(SourceEventKind::kGone),
            kGenerations - 1);
}

TEST_F(InotifyTailerTest, CopyTruncateReadsTheRestartedFileOnce) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  int writer = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  WriteFd(writer, Joined(Numbered("before ", 0, 50)));
  ASSERT_TRUE(PumpLines(50));
  // logrotate copytruncate: copy (to a name nobody watches), then truncate in place.
  fs::copy_file(log, Path("app.log.1"));
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  WriteFd(writer, Joined(Numbered("after ", 0, 10)));
  ASSERT_TRUE(PumpLines(60));
  std::vector<std::string> expected = Numbered("before ", 0, 50);
  for (const std::string& line : Numbered("after ", 0, 10)) {
    expected.push_back(line);
  }
  EXPECT_EQ(sink_.Texts(), expected);
  EXPECT_EQ(sink_.Count(SourceEventKind::kTruncated), 1);
  ::close(writer);
}

TEST_F(InotifyTailerTest, CopyTruncateNoticedLateAfterRegrowthStillReadsFromZero) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  int writer = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  WriteFd(writer, Joined(Numbered("before ", 0, 20)));
  ASSERT_TRUE(PumpLines(20));
  // Truncate and write more than we had read before the tailer looks: the size alone does not
  // show the truncation, the changed head does.
  ASSERT_EQ(::ftruncate(writer, 0), 0);
  WriteFd(writer, Joined(Numbered("after ", 0, 100)));
  ASSERT_TRUE(PumpLines(120));
  std::vector<std::string> expected = Numbered("before ", 0, 20);
  for (const std::string& line : Numbered("after ", 0, 100)) {
    expected.push_back(line);
  }
  EXPECT_EQ(sink_.Texts(), expected);
  EXPECT_EQ(sink_.Count(SourceEventKind::kTruncated), 1);
  ::close(writer);
}

TEST_F(InotifyTailerTest, CopyTruncateUnderAGlobDoesNotReadTheCopyAgain) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(Path("app.log*"));
  int writer = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(writer, 0);
  WriteFd(writer, Joined(Numbered("first batch line ", 0, 30)));
  ASSERT_TRUE(PumpLines(30));
  // Written but not yet read when logrotate copies: must come from the copy, once.
  WriteFd(writer, Joined(Numbered("unread line ", 0, 5)));
  fs::copy_file(log, Path("app.log.1"));
  ASSERT_EQ(::ftruncate(writer, 0), 0);
  WriteFd(writer, Joined(Numbered("new ", 0, 3)));
  ASSERT_TRUE(PumpLines(38));
  std::vector<std::string> texts = sink_.Texts();
  EXPECT_EQ(texts.size(), 38u);
  for (const std::string& line : Numbered("unread line ", 0, 5)) {
    EXPECT_EQ(std::count(texts.begin(), texts.end(), line), 1) << line;
  }
  for (const std::string& line : Numbered("new ", 0, 3)) {
    EXPECT_EQ(std::count(texts.begin(), texts.end(), line), 1) << line;
  }
  ::close(writer);
}

TEST_F(InotifyTailerTest, RenameToANameTheGlobAlsoMatchesIsNotReadTwice) {
  std::string log = Path("auth.log");
  Append(log, Joined(Numbered("existing ", 0, 10)));
  Add(Path("auth.log*"));
  Append(log, "a1\n");
  ASSERT_TRUE(PumpLines(1));
  ASSERT_EQ(::rename(log.c_str(), Path("auth.log.1").c_str()), 0);
  Append(Path("auth.log.1"), "a2\n");
  Append(log, "b1\n");
  ASSERT_TRUE(PumpLines(3));
  std::vector<std::string> texts = sink_.Texts();
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"a1", "a2", "b1"}));
}

TEST_F(InotifyTailerTest, DeletedFileIsDrainedAndItsRecreationReadFromStart) {
  std::string log = Path("app.log");
  Append(log, "");
  PatternId id = Add(log);
  Append(log, "x1\n");
  ASSERT_TRUE(PumpLines(1));
  ASSERT_EQ(::unlink(log.c_str()), 0);
  Settle();
  EXPECT_EQ(sink_.Count(SourceEventKind::kGone), 1);
  EXPECT_TRUE(tailer_->ExistingFiles(id).empty());
  Append(log, "y1\ny2\n");
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"x1", "y1", "y2"}));
  EXPECT_EQ(tailer_->ExistingFiles(id), std::vector<std::string>{log});
}

TEST_F(InotifyTailerTest, RecreatedFileStartingLikeTheDeletedOneIsReadFromStart) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  Append(log, "same first line\n");
  ASSERT_TRUE(PumpLines(1));
  ASSERT_EQ(::unlink(log.c_str()), 0);
  Settle();
  Append(log, "same first line\nsecond\n");
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Texts(),
            (std::vector<std::string>{"same first line", "same first line", "second"}));
}

TEST_F(InotifyTailerTest, FileAppearingLaterIsReadFromStart) {
  std::string log = Path("late.log");
  PatternId id = Add(log);
  Settle();
  EXPECT_TRUE(tailer_->ExistingFiles(id).empty());
  Append(log, "hello\nworld\n");
  ASSERT_TRUE(PumpLines(2));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(tailer_->ExistingFiles(id), std::vector<std::string>{log});
}

TEST_F(InotifyTailerTest, DirectoryAppearingLaterIsWatched) {
  std::string log = Path("a/b/c/late.log");
  PatternId id = Add(log);
  Settle();
  fs::create_directories(Path("a/b"));
  Settle();
  fs::create_directories(Path("a/b/c"));
  Settle();
  Append(log, "deep\n");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"deep"});
  EXPECT_EQ(tailer_->ExistingFiles(id), std::vector<std::string>{log});
}

TEST_F(InotifyTailerTest, DirectoryCreatedWithFileAtOnceIsReadFromStart) {
  std::string log = Path("x/y/late.log");
  Add(log);
  Settle();
  fs::create_directories(Path("x/y"));
  Append(log, "quick\n");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"quick"});
}

TEST_F(InotifyTailerTest, DirectoryRemovedAndRecreatedIsWatchedAgain) {
  fs::create_directories(Path("d"));
  std::string log = Path("d/app.log");
  Append(log, "");
  Add(log);
  Append(log, "one\n");
  ASSERT_TRUE(PumpLines(1));
  fs::remove_all(Path("d"));
  Settle();
  fs::create_directories(Path("d"));
  Append(log, "two\n");
  ASSERT_TRUE(PumpLines(2));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(InotifyTailerTest, GlobMatchesFilesCreatedLater) {
  Append(Path("old.log"), "ignored existing content\n");
  PatternId id = Add(Path("*.log"));
  Settle();
  Append(Path("new.log"), "n1\n");
  Append(Path("other.txt"), "not matched\n");
  Append(Path(".hidden.log"), "not matched either\n");
  fs::create_directories(Path("subdir.log"));  // matched, but a directory: silently skipped
  Append(Path("old.log"), "o1\n");
  ASSERT_TRUE(PumpLines(2));
  std::vector<std::string> texts = sink_.Texts();
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"n1", "o1"}));
  std::vector<std::string> files = tailer_->ExistingFiles(id);
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files, (std::vector<std::string>{Path("new.log"), Path("old.log")}));
  EXPECT_EQ(sink_.Count(SourceEventKind::kError), 0);
}

TEST_F(InotifyTailerTest, TwoPatternsNamingOneFileReadItOnce) {
  std::string log = Path("shared.log");
  Append(log, "");
  PatternId a = Add(log);
  PatternId b = Add(log);
  PatternId c = Add(Path("shared.*"));
  Append(log, "once\n");
  ASSERT_TRUE(PumpLines(1));
  ASSERT_EQ(sink_.lines.size(), 1u);
  std::vector<PatternId> patterns = sink_.lines[0].patterns;
  std::sort(patterns.begin(), patterns.end());
  EXPECT_EQ(patterns, (std::vector<PatternId>{a, b, c}));
  EXPECT_EQ(sink_.Count(SourceEventKind::kOpened), 1);
}

TEST_F(InotifyTailerTest, RestartWithSavedPositionNeitherRecountsNorMisses) {
  std::string log = Path("auth.log");
  Append(log, Joined(Numbered("history line number ", 0, 40)));
  Add(log);
  Append(log, "seen1\nseen2\nhalf");
  ASSERT_TRUE(PumpLines(2));
  std::vector<FilePosition> positions = tailer_->Positions();
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0].path, log);
  EXPECT_EQ(positions[0].offset, fs::file_size(log) - 4);  // before the unfinished line
  EXPECT_EQ(positions[0].head_len, FilePosition::kHeadBytes);

  // Stop; lines arrive while we are down; start again.
  tailer_.reset();
  Append(log, "-done\nwhile down\n");
  tailer_ = std::move(*InotifyTailer::Create());
  sink_ = Recorder();
  Add(log, positions);
  Append(log, "after restart\n");
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"half-done", "while down", "after restart"}));
  EXPECT_EQ(sink_.events[0].detail, "resumed at saved position");
}

TEST_F(InotifyTailerTest, SavedPositionIsKeptWhileItsFileIsMissing) {
  FilePosition saved;
  saved.path = Path("missing.log");
  saved.offset = 10;
  FilePosition unconfigured;
  unconfigured.path = Path("no-longer-configured.log");
  FilePosition glob_match;
  glob_match.path = Path("app-2026-11-01.log");
  std::vector<FilePosition> all{saved, unconfigured, glob_match};
  Add(saved.path, all);
  Add(Path("app-*.log"), all);
  std::vector<FilePosition> positions = tailer_->Positions();
  ASSERT_EQ(positions.size(), 1u);
  EXPECT_EQ(positions[0], saved);
}

TEST_F(InotifyTailerTest, RestartAfterFileWasReplacedReadsFromStart) {
  std::string log = Path("auth.log");
  Append(log, Joined(Numbered("original content ", 0, 30)));
  Add(log);
  Settle();
  std::vector<FilePosition> positions = tailer_->Positions();
  tailer_.reset();
  // Rotated while we were down: another file, other content.
  ASSERT_EQ(::rename(log.c_str(), Path("auth.log.1").c_str()), 0);
  Append(log, "fresh1\nfresh2\n");
  tailer_ = std::move(*InotifyTailer::Create());
  sink_ = Recorder();
  Add(log, positions);
  ASSERT_TRUE(PumpLines(2));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"fresh1", "fresh2"}));
  EXPECT_EQ(sink_.events[0].detail, "saved position is for other content, from start");
}

TEST_F(InotifyTailerTest, RestartAfterRotationReadsTheRestOfTheRotatedFileFirst) {
  std::string log = Path("auth.log");
  Append(log, Joined(Numbered("original content ", 0, 30)));
  Add(log);
  Settle();
  std::vector<FilePosition> positions = tailer_->Positions();
  tailer_.reset();
  // While we are down: more lines, then logrotate, then lines in the new file.
  Append(log, "missed1\nmissed2\n");
  ASSERT_EQ(::rename(log.c_str(), Path("auth.log.1").c_str()), 0);
  Append(Path("auth.log.2.gz"), "unrelated");
  Append(log, "fresh\n");
  tailer_ = std::move(*InotifyTailer::Create());
  sink_ = Recorder();
  Add(log, positions);
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"missed1", "missed2", "fresh"}));
  EXPECT_EQ(sink_.Count(SourceEventKind::kRotated), 1);
}

TEST_F(InotifyTailerTest, RestartAfterDeletionAndRecreationReadsFromStart) {
  std::string log = Path("auth.log");
  Append(log, "short\n");
  Add(log);
  Settle();
  std::vector<FilePosition> positions = tailer_->Positions();
  tailer_.reset();
  ASSERT_EQ(::unlink(log.c_str()), 0);
  Append(log, "other\n");
  tailer_ = std::move(*InotifyTailer::Create());
  sink_ = Recorder();
  Add(log, positions);
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"other"});
}

TEST_F(InotifyTailerTest, SymlinkedLogFollowsRotationOfItsTarget) {
  fs::create_directories(Path("real"));
  std::string target = Path("real/app.log");
  Append(target, "");
  std::string link = Path("app.log");
  fs::create_symlink("real/app.log", link);
  Add(link);
  Append(target, "t1\n");
  ASSERT_TRUE(PumpLines(1));
  ASSERT_EQ(::rename(target.c_str(), Path("real/app.log.1").c_str()), 0);
  Append(Path("real/app.log.1"), "t2\n");
  ASSERT_TRUE(PumpLines(2));
  Append(target, "t3\n");
  ASSERT_TRUE(PumpLines(3));
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"t1", "t2", "t3"}));
  for (const Recorded& line : sink_.lines) {
    EXPECT_EQ(line.path, link);
  }
}

TEST_F(InotifyTailerTest, FileRewrittenInPlaceWithSameContentIsNotRecounted) {
  std::string log = Path("app.log");
  std::string content = Joined(Numbered("a line that is long enough to matter ", 0, 20));
  Append(log, content);
  Add(log);
  Settle();
  // An editor or sed -i: new inode, same content plus a new line, renamed over the old name.
  std::string temp = Path("app.log.tmp");
  Append(temp, content + "added\n");
  ASSERT_EQ(::rename(temp.c_str(), log.c_str()), 0);
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"added"});
  EXPECT_EQ(sink_.Count(SourceEventKind::kRotated), 0);
}

TEST_F(InotifyTailerTest, LinesLongerThan64KiBAreCutAndCounted) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  Append(log, std::string(100000, 'x') + "\nafter\n" + std::string(70000, 'y') + "\n");
  ASSERT_TRUE(PumpLines(3));
  ASSERT_EQ(sink_.lines.size(), 3u);
  EXPECT_EQ(sink_.lines[0].text, std::string(size_t{64} * 1024, 'x'));
  EXPECT_TRUE(sink_.lines[0].cut);
  EXPECT_EQ(sink_.lines[1].text, "after");
  EXPECT_FALSE(sink_.lines[1].cut);
  EXPECT_EQ(sink_.lines[2].text.size(), 64u * 1024);
  ASSERT_GE(sink_.Count(SourceEventKind::kOversizeLine), 1);
  EXPECT_EQ(sink_.events.back().kind, SourceEventKind::kOversizeLine);
  EXPECT_EQ(sink_.events.back().count, 2u);
}

TEST_F(InotifyTailerTest, NulBytesAndInvalidUtf8PassThrough) {
  std::string log = Path("app.log");
  Append(log, "");
  Add(log);
  std::string line("user \0root\xff\xfe from 192.0.2.7", 27);
  Append(log, line + "\n");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.lines[0].text, line);
}

TEST_F(InotifyTailerTest, NonRegularFileIsReportedOnceAndItsReplacementRead) {
  std::string log = Path("app.log");
  ASSERT_EQ(::mkfifo(log.c_str(), 0600), 0);
  PatternId id = Add(log);
  Settle();
  ASSERT_EQ(sink_.Count(SourceEventKind::kError), 1);
  EXPECT_EQ(sink_.events[0].detail, "not a regular file");
  EXPECT_TRUE(tailer_->ExistingFiles(id).empty());
  ASSERT_EQ(::chmod(log.c_str(), 0644), 0);  // a re-check, same verdict: not reported again
  Settle();
  EXPECT_EQ(sink_.Count(SourceEventKind::kError), 1);
  ASSERT_EQ(::unlink(log.c_str()), 0);
  Append(log, "now a file\n");
  ASSERT_TRUE(PumpLines(1));
  EXPECT_EQ(sink_.Texts(), std::vector<std::string>{"now a file"});
}

TEST_F(InotifyTailerTest, LostEventsAfterQueueOverflowAreRecoveredByRescan) {
  std::string followed = Path("a.log");
  Append(followed, "");
  Add(Path("*.log"));
  Settle();
  // More events than fs.inotify.max_queued_events while we do not read.
  // Each rename queues IN_MOVED_FROM and IN_MOVED_TO; alternating names defeats coalescing.
  std::string names[2] = {Path("noise-a.txt"), Path("noise-b.txt")};
  Append(names[0], "");
  int max_queued = 16384;
  if (std::FILE* limit = std::fopen("/proc/sys/fs/inotify/max_queued_events", "r")) {
    if (std::fscanf(limit, "%d", &max_queued) != 1) {
      max_queued = 16384;
    }
    std::fclose(limit);
  }
  for (int i = 0; i < max_queued / 2 + 100; ++i) {
    ASSERT_EQ(::rename(names[i % 2].c_str(), names[(i + 1) % 2].c_str()), 0);
  }
  Append(followed, "modified\n");
  Append(Path("late.log"), "created\n");
  ASSERT_TRUE(PumpLines(2));
  std::vector<std::string> texts = sink_.Texts();
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(texts, (std::vector<std::string>{"created", "modified"}));
  EXPECT_EQ(sink_.Count(SourceEventKind::kError), 1);
}

TEST_F(InotifyTailerTest, RejectsRelativePathsAndGlobsInDirectories) {
  EXPECT_EQ(tailer_->AddPattern("var/log/auth.log", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(tailer_->AddPattern(Path("*/auth.log"), {}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(InotifyTailerTest, QuietFilesCauseNoWakeups) {
  std::string log = Path("app.log");
  Append(log, "x\n");
  Add(log);
  Settle();
  // A neighbour in the same directory is written: no IN_MODIFY on the directory watch.
  Append(Path("neighbour.log"), "noise\n");
  Settle();
  pollfd pfd{tailer_->fd(), POLLIN, 0};
  Append(Path("neighbour.log"), "more noise\n");
  EXPECT_EQ(::poll(&pfd, 1, 20), 0);
}

}  // namespace
}  // namespace portcullis
