#include "watch/line_splitter.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis {
namespace {

struct Got {
  std::string text;
  bool cut;
  bool operator==(const Got&) const = default;
};

std::vector<Got> FeedAll(LineSplitter& splitter, std::string_view data) {
  std::vector<Got> lines;
  splitter.Feed(data);
  while (auto line = splitter.Next()) {
    lines.push_back({std::string(line->text), line->cut});
  }
  return lines;
}

TEST(LineSplitter, SplitsOnNewlineOnly) {
  LineSplitter splitter;
  EXPECT_EQ(FeedAll(splitter, "a\nb\r\n\nc\n"),
            (std::vector<Got>{{"a", false}, {"b\r", false}, {"", false}, {"c", false}}));
  EXPECT_EQ(splitter.unfinished_bytes(), 0u);
}

TEST(LineSplitter, HoldsPartialLineUntilNewline) {
  LineSplitter splitter;
  EXPECT_EQ(FeedAll(splitter, "first\nsec"), (std::vector<Got>{{"first", false}}));
  EXPECT_EQ(splitter.unfinished_bytes(), 3u);
  EXPECT_TRUE(FeedAll(splitter, "on").empty());
  EXPECT_EQ(splitter.unfinished_bytes(), 5u);
  EXPECT_EQ(FeedAll(splitter, "d\nthird\n"),
            (std::vector<Got>{{"second", false}, {"third", false}}));
  EXPECT_EQ(splitter.unfinished_bytes(), 0u);
}

TEST(LineSplitter, KeepsNulAndInvalidUtf8Bytes) {
  LineSplitter splitter;
  std::string data("a\0b\xff\xfe\xc3\n", 7);
  auto lines = FeedAll(splitter, data);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, std::string("a\0b\xff\xfe\xc3", 6));
}

TEST(LineSplitter, LineExactlyAtCapIsNotCut) {
  LineSplitter splitter(8);
  EXPECT_EQ(FeedAll(splitter, "12345678\n"), (std::vector<Got>{{"12345678", false}}));
  EXPECT_EQ(FeedAll(splitter, "1234"), std::vector<Got>{});
  EXPECT_EQ(FeedAll(splitter, "5678"), std::vector<Got>{});
  EXPECT_EQ(FeedAll(splitter, "\n"), (std::vector<Got>{{"12345678", false}}));
  EXPECT_EQ(splitter.cut_lines(), 0u);
}

TEST(LineSplitter, CutsLongLineOnceAndSkipsRest) {
  LineSplitter splitter(8);
  EXPECT_EQ(FeedAll(splitter, "0123456789abcdef\nnext\n"),
            (std::vector<Got>{{"01234567", true}, {"next", false}}));
  EXPECT_EQ(splitter.cut_lines(), 1u);
}

TEST(LineSplitter, CutsLongLineArrivingInPieces) {
  LineSplitter splitter(8);
  EXPECT_TRUE(FeedAll(splitter, "01234").empty());
  // The ninth byte proves the line too long: its start is delivered at once.
  EXPECT_EQ(FeedAll(splitter, "5678"), (std::vector<Got>{{"01234567", true}}));
  EXPECT_EQ(splitter.unfinished_bytes(), 9u);
  EXPECT_TRUE(FeedAll(splitter, "xxxxxxxxxxxxxxxxxxxxxxxx").empty());
  EXPECT_EQ(splitter.unfinished_bytes(), 33u);
  EXPECT_EQ(FeedAll(splitter, "yy\nok\n"), (std::vector<Got>{{"ok", false}}));
  EXPECT_EQ(splitter.cut_lines(), 1u);
  EXPECT_EQ(splitter.unfinished_bytes(), 0u);
}

TEST(LineSplitter, CutsHeldStartPlusLongRest) {
  LineSplitter splitter(8);
  EXPECT_TRUE(FeedAll(splitter, "abc").empty());
  EXPECT_EQ(FeedAll(splitter, "defghijk\nz\n"),
            (std::vector<Got>{{"abcdefgh", true}, {"z", false}}));
  EXPECT_EQ(splitter.cut_lines(), 1u);
}

TEST(LineSplitter, DefaultCapIs64KiB) {
  LineSplitter splitter;
  std::string big(70000, 'x');
  big += "\nshort\n";
  auto lines = FeedAll(splitter, big);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text.size(), 64u * 1024);
  EXPECT_TRUE(lines[0].cut);
  EXPECT_EQ(lines[1], (Got{"short", false}));
}

TEST(LineSplitter, ResetDropsHeldBytesAndCanSkipToNewline) {
  LineSplitter splitter;
  EXPECT_TRUE(FeedAll(splitter, "partial").empty());
  splitter.Reset();
  EXPECT_EQ(splitter.unfinished_bytes(), 0u);
  EXPECT_EQ(FeedAll(splitter, "fresh\n"), (std::vector<Got>{{"fresh", false}}));
  splitter.Reset(/*skip_to_newline=*/true);
  EXPECT_EQ(FeedAll(splitter, "tail of old\nnew\n"), (std::vector<Got>{{"new", false}}));
}

}  // namespace
}  // namespace portcullis
