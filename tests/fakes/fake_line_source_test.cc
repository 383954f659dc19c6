#include "fakes/fake_line_source.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>
#include <vector>

namespace portcullis {
namespace {

class Recorder : public LineSink {
 public:
  void OnLine(const LineOrigin& origin, std::string_view line, bool cut) override {
    (void)cut;
    lines.push_back(std::string(origin.path) + ": " + std::string(line) + " [" +
                    std::to_string(origin.patterns.size()) + "]");
  }
  void OnEvent(const SourceEvent& event) override {
    events.push_back(std::string(SourceEventKindName(event.kind)) + " " + std::string(event.path));
  }
  std::vector<std::string> lines;
  std::vector<std::string> events;
};

bool Readable(int fd) {
  pollfd pfd{fd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) == 1;
}

TEST(FakeLineSource, DeliversCompleteLinesToEveryPatternOnceWhenReadable) {
  FakeLineSource source;
  ASSERT_TRUE(source.AddPattern("/var/log/auth.log", {}).ok());
  ASSERT_TRUE(source.AddPattern("/var/log/*.log", {}).ok());
  EXPECT_FALSE(Readable(source.fd()));
  source.Append("/var/log/auth.log", "one\ntw");
  EXPECT_TRUE(Readable(source.fd()));
  Recorder sink;
  ASSERT_TRUE(source.OnReadable(sink).ok());
  EXPECT_FALSE(Readable(source.fd()));
  EXPECT_EQ(sink.lines, std::vector<std::string>{"/var/log/auth.log: one [2]"});
  EXPECT_EQ(sink.events, std::vector<std::string>{"opened /var/log/auth.log"});
  EXPECT_EQ(source.ExistingFiles(1), std::vector<std::string>{"/var/log/auth.log"});
  ASSERT_EQ(source.Positions().size(), 1u);
  EXPECT_EQ(source.Positions()[0].offset, 4u);
}

TEST(FakeLineSource, ReportsRotationTruncationAndRemoval) {
  FakeLineSource source;
  ASSERT_TRUE(source.AddPattern("/var/log/app.log", {}).ok());
  source.Append("/var/log/app.log", "a\n");
  source.Rotate("/var/log/app.log");
  source.Append("/var/log/app.log", "b\n");
  source.Truncate("/var/log/app.log");
  source.Remove("/var/log/app.log");
  Recorder sink;
  ASSERT_TRUE(source.OnReadable(sink).ok());
  EXPECT_EQ(sink.lines,
            (std::vector<std::string>{"/var/log/app.log: a [1]", "/var/log/app.log: b [1]"}));
  EXPECT_EQ(sink.events,
            (std::vector<std::string>{"opened /var/log/app.log", "rotated /var/log/app.log",
                                      "truncated /var/log/app.log", "gone /var/log/app.log"}));
  EXPECT_TRUE(source.ExistingFiles(1).empty());
}

TEST(FakeLineSource, RecordsAddCallsAndInjectsReadFailure) {
  FakeLineSource source;
  FilePosition saved;
  saved.path = "/var/log/auth.log";
  saved.offset = 42;
  ASSERT_TRUE(
      source.AddPattern("/var/log/auth.log", std::span<const FilePosition>(&saved, 1)).ok());
  EXPECT_FALSE(source.AddPattern("relative.log", {}).ok());
  ASSERT_EQ(source.add_calls().size(), 2u);
  EXPECT_EQ(source.add_calls()[0].saved, std::vector<FilePosition>{saved});
  source.FailNextRead(Status::IoError("inotify gone"));
  Recorder sink;
  EXPECT_EQ(source.OnReadable(sink).code(), StatusCode::kIoError);
  EXPECT_TRUE(source.OnReadable(sink).ok());
}

}  // namespace
}  // namespace portcullis
