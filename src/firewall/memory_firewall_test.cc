#include "firewall/memory_firewall.h"

#include <gtest/gtest.h>

namespace portcullis {
namespace {

using std::chrono::seconds;

class MemoryFirewallTest : public ::testing::Test {
 protected:
  MemoryFirewallTest()
      : fw_(false, [this] { return std::chrono::steady_clock::time_point(now_); }) {}

  void SetUp() override {
    JailSpec spec{"sshd", {{22, 22}}, {Protocol::kTcp}, BlockAction::kReject, false};
    ASSERT_TRUE(fw_.SetUpJails(std::span(&spec, 1)).ok());
  }

  std::chrono::steady_clock::duration now_ = seconds(1000);
  MemoryFirewall fw_;
};

TEST_F(MemoryFirewallTest, RecordsCallsInOrder) {
  FirewallBatch b;
  b.Ban("sshd", *Cidr::Parse("192.0.2.1"), seconds(600)).Unban("sshd", *Cidr::Parse("192.0.2.2"));
  ASSERT_TRUE(fw_.Apply(b).ok());
  ASSERT_TRUE(fw_.Flush("sshd").ok());
  std::vector<std::string> want{"setup sshd", "ban sshd 192.0.2.1 600000ms", "unban sshd 192.0.2.2",
                                "flush sshd"};
  EXPECT_EQ(fw_.calls(), want);
}

TEST_F(MemoryFirewallTest, BansLapseWhenTheClockPassesThem) {
  std::vector<BanEntry> e{{*Cidr::Parse("2001:db8::1"), seconds(10), std::nullopt},
                          {*Cidr::Parse("198.51.100.0/24"), std::nullopt, std::nullopt}};
  ASSERT_TRUE(fw_.Ban("sshd", e).ok());
  now_ += seconds(4);
  auto listed = fw_.List("sshd");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].target.ToString(), "198.51.100.0/24");
  EXPECT_FALSE((*listed)[0].remaining);
  EXPECT_EQ((*listed)[1].remaining, std::chrono::milliseconds(6000));
  now_ += seconds(6);
  EXPECT_EQ(fw_.List("sshd")->size(), 1u);
}

TEST_F(MemoryFirewallTest, RejectsInvalidSpecsAndUnknownJails) {
  JailSpec bad{"bad name", {}, {}, BlockAction::kDrop, false};
  EXPECT_EQ(fw_.SetUpJails(std::span(&bad, 1)).code(), StatusCode::kInvalidArgument);
  JailSpec ports_without_proto{"web", {{80, 80}}, {}, BlockAction::kDrop, false};
  EXPECT_EQ(fw_.SetUpJails(std::span(&ports_without_proto, 1)).code(),
            StatusCode::kInvalidArgument);
  JailSpec reset_with_drop{"web", {}, {Protocol::kTcp}, BlockAction::kDrop, true};
  EXPECT_EQ(fw_.SetUpJails(std::span(&reset_with_drop, 1)).code(), StatusCode::kInvalidArgument);
  std::vector<BanEntry> e{{*Cidr::Parse("192.0.2.1"), std::nullopt, std::nullopt}};
  EXPECT_EQ(fw_.Ban("web", e).code(), StatusCode::kNotFound);
  EXPECT_EQ(fw_.List("web").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(fw_.calls().size(), 1u);  // only the initial setup
}

TEST_F(MemoryFirewallTest, ReplaceAndRemoveAndTearDown) {
  std::vector<BanEntry> e{{*Cidr::Parse("192.0.2.1"), std::nullopt, std::nullopt}};
  ASSERT_TRUE(fw_.Ban("sshd", e).ok());
  std::vector<BanEntry> list{{*Cidr::Parse("203.0.113.0/24"), std::nullopt, std::nullopt}};
  ASSERT_TRUE(fw_.Replace("sshd", list).ok());
  auto listed = fw_.List("sshd");
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].target.ToString(), "203.0.113.0/24");
  EXPECT_EQ(fw_.Jails(), std::vector<std::string>{"sshd"});
  ASSERT_TRUE(fw_.RemoveJail("sshd").ok());
  EXPECT_TRUE(fw_.Jails().empty());
  ASSERT_TRUE(fw_.TearDown().ok());
  EXPECT_EQ(fw_.calls().back(), "teardown");
  EXPECT_EQ(fw_.event_fd(), -1);
}

}  // namespace
}  // namespace portcullis
