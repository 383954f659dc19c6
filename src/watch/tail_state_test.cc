#include "watch/tail_state.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis {
namespace {

constexpr uint64_t kDev = 2049;

FileFacts File(uint64_t ino, uint64_t size, std::optional<uint64_t> head_hash = std::nullopt,
               bool ends_with_newline = true) {
  FileFacts facts;
  facts.exists = true;
  facts.dev = kDev;
  facts.ino = ino;
  facts.size = size;
  facts.head_hash = head_hash;
  facts.ends_with_newline = ends_with_newline;
  return facts;
}

FilePosition Saved(uint64_t ino, uint64_t offset, uint64_t hash, uint32_t len) {
  FilePosition position;
  position.path = "/var/log/auth.log";
  position.dev = kDev;
  position.ino = ino;
  position.offset = offset;
  position.head_hash = hash;
  position.head_len = len;
  return position;
}

TailPosition Reading(uint64_t ino, uint64_t offset, uint64_t hash, uint32_t len) {
  TailPosition position;
  position.dev = kDev;
  position.ino = ino;
  position.offset = offset;
  position.head = {hash, len, len == FilePosition::kHeadBytes};
  return position;
}

TEST(Fnv1a64, MatchesReferenceValues) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar"), 0x85944171f73967e8ULL);
}

TEST(ComputeHead, CoversAtMostHeadBytes) {
  std::string big(300, 'q');
  Head head = ComputeHead(big);
  EXPECT_EQ(head.len, FilePosition::kHeadBytes);
  EXPECT_TRUE(head.final);
  EXPECT_EQ(head.hash, Fnv1a64(std::string(256, 'q')));
  Head small = ComputeHead("one line\n");
  EXPECT_EQ(small.len, 9u);
  EXPECT_FALSE(small.final);
  EXPECT_EQ(small.hash, Fnv1a64("one line\n"));
}

TEST(DecideStart, ExistingFileWithoutSavedPositionStartsAtEnd) {
  StartDecision d = DecideStart(std::nullopt, File(7, 1000), /*existed_at_start=*/true);
  EXPECT_EQ(d.offset, 1000u);
  EXPECT_EQ(d.reason, StartReason::kAtEnd);
  EXPECT_FALSE(d.skip_to_newline);
}

TEST(DecideStart, AtEndInsideUnfinishedLineSkipsToNextLine) {
  StartDecision d = DecideStart(std::nullopt, File(7, 1000, std::nullopt, false), true);
  EXPECT_EQ(d.offset, 1000u);
  EXPECT_TRUE(d.skip_to_newline);
}

TEST(DecideStart, FileAppearingLaterStartsAtZero) {
  StartDecision d = DecideStart(std::nullopt, File(7, 1000), /*existed_at_start=*/false);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kNewFile);
}

TEST(DecideStart, ValidSavedPositionResumes) {
  StartDecision d = DecideStart(Saved(7, 600, 42, 256), File(7, 1000, 42), true);
  EXPECT_EQ(d.offset, 600u);
  EXPECT_EQ(d.reason, StartReason::kResumed);
  // Also for a file that appears only after start.
  EXPECT_EQ(DecideStart(Saved(7, 600, 42, 256), File(7, 1000, 42), false).offset, 600u);
}

TEST(DecideStart, SavedPositionWithShortHeadResumesOnSameInode) {
  StartDecision d = DecideStart(Saved(7, 20, 42, 20), File(7, 80, 42), true);
  EXPECT_EQ(d.offset, 20u);
  EXPECT_EQ(d.reason, StartReason::kResumed);
}

TEST(DecideStart, EmptySavedFileResumesAtZeroOnSameInode) {
  StartDecision d = DecideStart(Saved(7, 0, Fnv1a64(""), 0), File(7, 50), true);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kResumed);
}

TEST(DecideStart, HeadMismatchMeansReplacedWhileStopped) {
  StartDecision d = DecideStart(Saved(7, 600, 42, 256), File(7, 1000, 43), true);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kReplaced);
}

TEST(DecideStart, NewInodeWithOtherContentMeansRotatedWhileStopped) {
  StartDecision d = DecideStart(Saved(7, 600, 42, 256), File(8, 100, 99), true);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kReplaced);
  // Too short to hold the saved head at all.
  d = DecideStart(Saved(7, 600, 42, 256), File(8, 100, std::nullopt), true);
  EXPECT_EQ(d.reason, StartReason::kReplaced);
}

TEST(DecideStart, NewInodeWithSameFullHeadIsSameContent) {
  // Copied, restored, or a file system whose device numbers changed: not new lines.
  StartDecision d = DecideStart(Saved(7, 600, 42, 256), File(9, 700, 42), true);
  EXPECT_EQ(d.offset, 600u);
  EXPECT_EQ(d.reason, StartReason::kResumed);
}

TEST(DecideStart, NewInodeWithSameShortHeadIsNotTrusted) {
  StartDecision d = DecideStart(Saved(7, 20, 42, 20), File(9, 700, 42), true);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kReplaced);
}

TEST(DecideStart, SameFileShorterThanSavedOffsetWasTruncated) {
  StartDecision d = DecideStart(Saved(7, 600, 42, 256), File(7, 300, 42), true);
  EXPECT_EQ(d.offset, 0u);
  EXPECT_EQ(d.reason, StartReason::kShrunk);
}

TEST(DecidePathChange, SameInodeIsSame) {
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), File(7, 800, 42)), PathChange::kSame);
}

TEST(DecidePathChange, MissingPathIsGone) {
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), FileFacts{}), PathChange::kGone);
}

TEST(DecidePathChange, NewInodeIsRotation) {
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), File(8, 0)), PathChange::kRotated);
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), File(8, 900, 43)), PathChange::kRotated);
}

TEST(DecidePathChange, NewInodeWithOurContentIsRewriteInPlace) {
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), File(8, 500, 42)),
            PathChange::kReplacedSameContent);
  // Same head but shorter than what we read: a new file that happens to start alike.
  EXPECT_EQ(DecidePathChange(Reading(7, 500, 42, 256), File(8, 499, 42)), PathChange::kRotated);
  // A short head is not enough to call it the same content.
  EXPECT_EQ(DecidePathChange(Reading(7, 50, 42, 50), File(8, 900, 42)), PathChange::kRotated);
}

TEST(DecideGrowth, GrowingFileKeepsReading) {
  EXPECT_EQ(DecideGrowth(Reading(7, 500, 42, 256), File(7, 500, 42)), Growth::kKeepReading);
  EXPECT_EQ(DecideGrowth(Reading(7, 500, 42, 256), File(7, 900, 42)), Growth::kKeepReading);
  EXPECT_EQ(DecideGrowth(Reading(7, 0, 0, 0), File(7, 10)), Growth::kKeepReading);
}

TEST(DecideGrowth, ShrinkBelowOffsetIsTruncation) {
  EXPECT_EQ(DecideGrowth(Reading(7, 500, 42, 256), File(7, 0)), Growth::kTruncated);
  EXPECT_EQ(DecideGrowth(Reading(7, 500, 42, 256), File(7, 499, 42)), Growth::kTruncated);
}

TEST(DecideGrowth, ChangedHeadIsTruncationEvenWhenLonger) {
  // copytruncate, then more than we had read was written before we looked.
  EXPECT_EQ(DecideGrowth(Reading(7, 500, 42, 256), File(7, 900, 77)), Growth::kTruncated);
  EXPECT_EQ(DecideGrowth(Reading(7, 30, 42, 30), File(7, 900, 77)), Growth::kTruncated);
}

}  // namespace
}  // namespace portcullis
