#include "watch/journal_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "watch/sd_journal_reader.h"

namespace portcullis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// An in-memory journal: entries with increasing ids, cursor text "c<id>". Matching is
// libsystemd's job; the fake records the matches it was given and returns every entry.
struct FakeJournal {
  struct Item {
    uint64_t id;
    JournalEntry entry;
  };
  std::vector<Item> items;
  std::vector<std::string> calls;  // matches, seeks, process
  uint64_t next_id = 1;
  int fd = -1;
  uint64_t broken_id = 0;  // Entry() fails for this id

  FakeJournal() { fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
  ~FakeJournal() { close(fd); }

  void Add(std::string message, std::string comm = "sshd") {
    JournalEntry e;
    e.realtime_usec = 1795401963123456ull + next_id * 1000000;
    e.hostname = "host";
    e.comm = std::move(comm);
    e.pid = "812";
    e.message = std::move(message);
    items.push_back({next_id++, std::move(e)});
  }
};

class FakeReader final : public JournalReader {
 public:
  explicit FakeReader(FakeJournal* j) : j_(j) {}

  Status AddMatch(std::string_view m) override {
    j_->calls.push_back("match " + std::string(m));
    return Status::Ok();
  }
  Status AddDisjunction() override {
    j_->calls.push_back("or");
    return Status::Ok();
  }
  Status SeekTail() override {
    j_->calls.push_back("tail");
    pos_ = static_cast<long>(j_->items.size()) - 1;
    return Status::Ok();
  }
  Status SeekCursor(const std::string& cursor) override {
    j_->calls.push_back("seek " + cursor);
    if (cursor.size() < 2 || cursor[0] != 'c') return Status::InvalidArgument("Invalid argument");
    uint64_t id = std::stoull(cursor.substr(1));
    pos_ = -1;
    for (size_t i = 0; i < j_->items.size() && j_->items[i].id < id; ++i) {
      pos_ = static_cast<long>(i);
    }
    return Status::Ok();
  }
  Result<bool> Next() override {
    if (pos_ + 1 >= static_cast<long>(j_->items.size())) return false;
    ++pos_;
    return true;
  }
  Result<bool> TestCursor(const std::string& cursor) override {
    return On() && "c" + std::to_string(j_->items[pos_].id) == cursor;
  }
  Result<std::string> Cursor() override {
    if (!On()) return Status::IoError("sd_journal_get_cursor: Cannot assign requested address");
    return "c" + std::to_string(j_->items[pos_].id);
  }
  Result<JournalEntry> Entry() override {
    if (!On()) return Status::IoError("no entry");
    if (j_->items[pos_].id == j_->broken_id) return Status::IoError("Bad message");
    return j_->items[pos_].entry;
  }
  Result<int> Fd() override { return j_->fd; }
  Result<int> Events() override { return POLLIN; }
  Result<std::optional<uint64_t>> TimeoutUsec() override { return std::optional<uint64_t>(); }
  Status Process() override {
    j_->calls.push_back("process");
    return Status::Ok();
  }

 private:
  bool On() const { return pos_ >= 0 && pos_ < static_cast<long>(j_->items.size()); }
  FakeJournal* j_;
  long pos_ = -1;
};

struct Recorder : LineSink {
  std::vector<std::string> lines;
  std::vector<PatternId> patterns;
  std::vector<std::string> paths;
  std::vector<std::string> events;
  void OnLine(const LineOrigin& origin, std::string_view line, bool cut) override {
    lines.emplace_back(line);
    patterns.insert(patterns.end(), origin.patterns.begin(), origin.patterns.end());
    paths.emplace_back(origin.path);
    if (cut) events.push_back("cut");
  }
  void OnEvent(const SourceEvent& e) override {
    events.push_back(std::string(SourceEventKindName(e.kind)) + " " + std::string(e.path) + ": " +
                     std::string(e.detail));
  }
  // Just the messages (after "]: ").
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    for (const std::string& l : lines) out.push_back(l.substr(l.find("]: ") + 3));
    return out;
  }
};

int64_t Utc(int64_t) { return 0; }

class JournalSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<JournalSource> Make(std::string cursor = "", size_t max_batch = 4096,
                                      std::vector<std::string> matches = {"_COMM=sshd"}) {
    JournalSource::Options o;
    o.jail = "sshd";
    o.description = "journal (_COMM=sshd)";
    o.pattern = 0x80000007;
    o.matches = std::move(matches);
    o.cursor = std::move(cursor);
    o.max_batch = max_batch;
    o.utc_offset = Utc;
    Result<std::unique_ptr<JournalSource>> s =
        JournalSource::Create(std::make_unique<FakeReader>(&journal_), std::move(o));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }

  FakeJournal journal_;
  Recorder sink_;
};

TEST(ValidateJournalMatches, AcceptsFieldValueGroupsJoinedByPlus) {
  std::vector<std::string> m = {"_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd", "PRIORITY=3"};
  EXPECT_TRUE(ValidateJournalMatches("sshd", m).ok());
  std::vector<std::string> empty_value = {"SYSLOG_IDENTIFIER="};
  EXPECT_TRUE(ValidateJournalMatches("sshd", empty_value).ok());
}

TEST(ValidateJournalMatches, NamesTheJailAndTheEntry) {
  std::vector<std::string> lower = {"_COMM=sshd", "comm=sshd"};
  EXPECT_EQ(ValidateJournalMatches("sshd", lower).message(),
            "[sshd] journalmatch[1] 'comm=sshd': the field name must be upper-case letters, "
            "digits and '_' (e.g. _COMM=sshd)");
  std::vector<std::string> no_eq = {"_COMM"};
  EXPECT_EQ(ValidateJournalMatches("web", no_eq).message(),
            "[web] journalmatch[0] '_COMM': expected FIELD=value");
  std::vector<std::string> digit = {"1X=y"};
  EXPECT_EQ(ValidateJournalMatches("web", digit).code(), StatusCode::kInvalidArgument);
  for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
           {"+", "_COMM=a"}, {"_COMM=a", "+"}, {"_COMM=a", "+", "+", "_COMM=b"}}) {
    EXPECT_THAT(ValidateJournalMatches("web", bad).message(),
                HasSubstr("\"+\" needs a match before and after it"));
  }
  EXPECT_EQ(ValidateJournalMatches("web", {}).message(), "[web] journalmatch is empty");
}

TEST(FormatJournalLine, SyslogLikeLineWithRfc3339LocalTime) {
  JournalEntry e;
  e.realtime_usec = 1795401963123456ull;  // 2026-11-23T02:46:03.123456Z
  e.hostname = "host";
  e.identifier = "sshd";
  e.comm = "sshd-session";
  e.pid = "812";
  e.message = "Failed password for root from 192.0.2.7 port 4242 ssh2";
  std::string line;
  EXPECT_FALSE(FormatJournalLine(e, 0, &line));
  EXPECT_EQ(line,
            "2026-11-23T02:46:03.123456+00:00 host sshd[812]: Failed password for root from "
            "192.0.2.7 port 4242 ssh2");
  FormatJournalLine(e, -(3 * 3600 + 30 * 60), &line);
  EXPECT_EQ(line.substr(0, 33), "2026-11-22T23:16:03.123456-03:30 ");
  FormatJournalLine(e, 5 * 3600 + 45 * 60, &line);
  EXPECT_EQ(line.substr(0, 33), "2026-11-23T08:31:03.123456+05:45 ");
}

TEST(FormatJournalLine, FallsBackToCommAndDropsMissingParts) {
  JournalEntry e;
  e.realtime_usec = 1000000;
  e.comm = "sshd";
  e.message = "hello";
  std::string line;
  FormatJournalLine(e, 0, &line);
  EXPECT_EQ(line, "1970-01-01T00:00:01.000000+00:00 localhost sshd: hello");
  e.comm.reset();
  FormatJournalLine(e, 0, &line);
  EXPECT_EQ(line, "1970-01-01T00:00:01.000000+00:00 localhost unknown: hello");
}

TEST(FormatJournalLine, CutsAtTheFirstNewlineAndAtTheCap) {
  JournalEntry e;
  e.identifier = "x";
  e.message = std::string("first\0line", 10) + "\nInvalid user root from 192.0.2.9";
  std::string line;
  EXPECT_FALSE(FormatJournalLine(e, 0, &line));
  EXPECT_EQ(line,
            "1970-01-01T00:00:00.000000+00:00 localhost x: " + std::string("first\0line", 10));
  e.message = std::string(100000, 'a');
  EXPECT_TRUE(FormatJournalLine(e, 0, &line));
  EXPECT_EQ(line.size(), JournalSource::kMaxLineBytes);
}

TEST_F(JournalSourceTest, AddsMatchesAndDisjunctionsInOrderThenStartsAtTheTail) {
  journal_.Add("old one");
  journal_.Add("old two");
  auto src = Make("", 4096, {"_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"});
  ASSERT_NE(src, nullptr);
  EXPECT_THAT(journal_.calls,
              ElementsAre("match _SYSTEMD_UNIT=ssh.service", "or", "match _COMM=sshd", "tail"));
  EXPECT_EQ(src->cursor(), "c2");  // the tail entry: a restart reads what comes after it
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_TRUE(sink_.lines.empty());
  journal_.Add("Failed password for root from 192.0.2.7 port 4242 ssh2");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.lines, ElementsAre("2026-11-23T02:46:06.123456+00:00 host sshd[812]: Failed "
                                       "password for root from 192.0.2.7 port 4242 ssh2"));
  EXPECT_THAT(sink_.patterns, ElementsAre(0x80000007u));
  EXPECT_THAT(sink_.paths, ElementsAre("journal (_COMM=sshd)"));
  EXPECT_EQ(src->cursor(), "c3");
  EXPECT_EQ(std::count(journal_.calls.begin(), journal_.calls.end(), "process"), 2);
}

TEST_F(JournalSourceTest, EmptyJournalHasNoCursorUntilAnEntryArrives) {
  auto src = Make();
  EXPECT_EQ(src->cursor(), "");
  journal_.Add("one");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("one"));
  EXPECT_EQ(src->cursor(), "c1");
}

TEST_F(JournalSourceTest, ResumesAfterTheSavedCursorWithoutRepeatingIt) {
  for (const char* m : {"1", "2", "3", "4", "5"}) journal_.Add(m);
  auto src = Make("c3");
  EXPECT_THAT(journal_.calls, ElementsAre("match _COMM=sshd", "seek c3"));
  EXPECT_EQ(src->cursor(), "c3");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("4", "5"));
  EXPECT_EQ(src->cursor(), "c5");
}

TEST_F(JournalSourceTest, ResumesAtTheNextEntryWhenTheSavedOneIsGone) {
  for (const char* m : {"1", "2", "3", "4", "5"}) journal_.Add(m);
  journal_.items.erase(journal_.items.begin() + 2);  // c3 was vacuumed away
  auto src = Make("c3");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("4", "5"));
}

TEST_F(JournalSourceTest, SavedCursorAtTheEndReadsOnlyLaterEntries) {
  for (const char* m : {"1", "2"}) journal_.Add(m);
  auto src = Make("c2");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_TRUE(sink_.lines.empty());
  journal_.Add("3");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("3"));
}

TEST_F(JournalSourceTest, SavedCursorPastEveryEntryFallsBackToTheTail) {
  for (const char* m : {"1", "2"}) journal_.Add(m);
  auto src = Make("c9");
  EXPECT_THAT(journal_.calls, ElementsAre("match _COMM=sshd", "seek c9", "tail"));
  EXPECT_EQ(src->cursor(), "c2");
  journal_.Add("3");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("3"));
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(JournalSourceTest, RefusedCursorFallsBackToTheTailAndSaysSo) {
  for (const char* m : {"1", "2"}) journal_.Add(m);
  auto src = Make("garbage");
  EXPECT_THAT(journal_.calls, ElementsAre("match _COMM=sshd", "seek garbage", "tail"));
  journal_.Add("3");
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("3"));
  EXPECT_THAT(sink_.events,
              ElementsAre("error journal (_COMM=sshd): cannot resume after the saved journal "
                          "cursor (Invalid argument); reading new entries"));
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_EQ(sink_.events.size(), 1u);  // once
}

TEST_F(JournalSourceTest, ReadsInBoundedBatchesAndStaysReadableWhileMoreIsPending) {
  auto src = Make("", 3);
  for (int i = 1; i <= 7; ++i) journal_.Add(std::to_string(i));
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("1", "2", "3"));
  EXPECT_TRUE(src->more_pending());
  EXPECT_TRUE(Readable(src->fd()));  // the loop comes back without any new journal event
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_EQ(sink_.lines.size(), 6u);
  EXPECT_TRUE(Readable(src->fd()));
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("1", "2", "3", "4", "5", "6", "7"));
  EXPECT_FALSE(src->more_pending());
  EXPECT_FALSE(Readable(src->fd()));  // nothing pending: the loop sleeps
  EXPECT_EQ(src->cursor(), "c7");
}

TEST_F(JournalSourceTest, JournalDescriptorMakesTheSourceReadable) {
  auto src = Make();
  EXPECT_FALSE(Readable(src->fd()));
  uint64_t one = 1;
  ASSERT_EQ(write(journal_.fd, &one, sizeof one), static_cast<ssize_t>(sizeof one));
  EXPECT_TRUE(Readable(src->fd()));
}

TEST_F(JournalSourceTest, SkipsUnreadableEntriesButMovesPastThem) {
  auto src = Make();
  journal_.Add("1");
  journal_.Add("2");
  journal_.Add("3");
  journal_.broken_id = 2;
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  EXPECT_THAT(sink_.Messages(), ElementsAre("1", "3"));
  EXPECT_EQ(src->cursor(), "c3");
}

TEST_F(JournalSourceTest, OversizeMessageIsCutAndReported) {
  auto src = Make();
  journal_.Add(std::string(70000, 'x'));
  ASSERT_TRUE(src->OnReadable(sink_).ok());
  ASSERT_EQ(sink_.lines.size(), 1u);
  EXPECT_EQ(sink_.lines[0].size(), JournalSource::kMaxLineBytes);
  EXPECT_THAT(sink_.events, ElementsAre("cut", "oversize-line journal (_COMM=sshd): "));
}

TEST_F(JournalSourceTest, CreateRefusesInvalidMatches) {
  JournalSource::Options o;
  o.jail = "sshd";
  o.matches = {"_comm=sshd"};
  Result<std::unique_ptr<JournalSource>> s =
      JournalSource::Create(std::make_unique<FakeReader>(&journal_), std::move(o));
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(), HasSubstr("[sshd] journalmatch[0]"));
}

TEST(SdJournalReader, MissingLibraryIsUnavailableAndSaysWhy) {
  Result<std::unique_ptr<JournalReader>> r = OpenSdJournal({}, "libportcullis-no-such.so.0");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(),
              HasSubstr("cannot load libportcullis-no-such.so.0 (needed to read the systemd "
                        "journal): libportcullis-no-such.so.0: cannot open shared object file"));
}

TEST(SdJournalReader, RefusesSeveralDirectories) {
  std::vector<std::string> paths = {"/tmp", "/"};
  Result<std::unique_ptr<JournalReader>> r = OpenSdJournal(paths);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace portcullis
