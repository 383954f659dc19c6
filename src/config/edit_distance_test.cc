#include "config/edit_distance.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace portcullis {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("maxretry", "maxretry"), 0u);
  EXPECT_EQ(EditDistance("maxretries", "maxretry"), 3u);
  EXPECT_EQ(EditDistance("maxretrys", "maxretry"), 1u);
  EXPECT_EQ(EditDistance("bantmie", "bantime"), 1u);  // one transposition
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(EditDistance, NearestWordRespectsTheLimitAndPrefersTheFirstOnTies) {
  const std::vector<std::string_view> words = {"findtime", "bantime", "maxretry"};
  EXPECT_EQ(NearestWord("bantim", words), "bantime");
  EXPECT_EQ(NearestWord("fndtime", words), "findtime");
  EXPECT_EQ(NearestWord("backend", words), "");
  EXPECT_EQ(NearestWord("maxretries", words), "maxretry");  // long word: distance 3 allowed
  EXPECT_EQ(NearestWord("maxretries", words, 2), "");
  EXPECT_EQ(NearestWord("bntm", words), "");  // short word: 3 is too far
  EXPECT_EQ(NearestWord("xxxxxxx", words, 100), "bantime");
}

}  // namespace
}  // namespace portcullis
