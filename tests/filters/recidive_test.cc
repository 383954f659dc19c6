// Sample lines for filters.d/recidive.toml, written for this project from the formats of
// Portcullis's own ban log and fail2ban.log (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class RecidiveFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("recidive");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(RecidiveFilter, CountsBansOfOtherJails) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:01,123 portcullisd[1234]: NOTICE  [sshd] Ban 192.0.2.1 for 10m "
                "(5 failures)",
                "192.0.2.1");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:02,456 portcullisd[1234]: NOTICE  [nginx-http-auth] Ban "
                "2001:db8::7 for 1h (3 failures)",
                "2001:db8::7");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 gw portcullisd[1234]: NOTICE  [postfix] Ban 198.51.100.4 for 10m "
                "(5 failures)",
                "198.51.100.4");
}

TEST_F(RecidiveFilter, AcceptsFail2banLog) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:01,123 fail2ban.actions        [1234]: NOTICE  [sshd] Ban "
                "192.0.2.1",
                "192.0.2.1");
  ExpectFailure(*filter_,
                "2006-02-13 15:52:30,388 fail2ban.actions[123]: NOTICE [dovecot] Ban 203.0.113.9",
                "203.0.113.9");
  ExpectFailure(*filter_,
                "2014-01-02 03:04:05,678 fail2ban.actions: WARNING [ssh] Ban 198.51.100.77",
                "198.51.100.77");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 gw fail2ban-server[812]: fail2ban.actions        [812]: NOTICE  "
                "[sshd] Ban 192.0.2.44",
                "192.0.2.44");
}

TEST_F(RecidiveFilter, IgnoresUnbanRestoreAndFound) {
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:10:01,123 portcullisd[1234]: NOTICE  [sshd] Unban 192.0.2.1");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 portcullisd[1234]: NOTICE  [sshd] Restore Ban 192.0.2.1 "
                  "for 7m");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 portcullisd[1234]: INFO    [sshd] Found 192.0.2.1 - "
                  "2026-11-22 10:00:00");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 fail2ban.filter         [1234]: INFO    [sshd] Found "
                  "192.0.2.1 - 2026-11-22 10:00:00");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 fail2ban.actions        [1234]: NOTICE  [sshd] Unban "
                  "192.0.2.1");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 fail2ban.actions        [1234]: NOTICE  [sshd] Restore "
                  "Ban 192.0.2.1");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 portcullisd[1234]: NOTICE  [sshd] Ban 192.0.2.0/24 for "
                  "1h (subnet)");
}

TEST_F(RecidiveFilter, DoesNotFeedOnItsOwnBans) {
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 portcullisd[1234]: NOTICE  [recidive] Ban 192.0.2.1 for "
                  "1w (5 failures)");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:01,123 fail2ban.actions        [1234]: NOTICE  [recidive] Ban "
                  "192.0.2.1");
}

TEST_F(RecidiveFilter, OtherProgramsCannotForgeBans) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:01 gw sshd[99]: Invalid user NOTICE  [sshd] Ban 203.0.113.5 from "
                  "198.51.100.23 port 22");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:01 gw myapp[99]: portcullisd[1]: NOTICE  [sshd] Ban 203.0.113.5");
}

}  // namespace
}  // namespace portcullis::testing
