// Sample lines for filters.d/courier-auth.toml, written for this project from the formats of
// Courier IMAP/POP3 and esmtpd (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class CourierAuthFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("courier-auth");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(CourierAuthFilter, ImapAndPop3LoginFailures) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 mail imapd-ssl: LOGIN FAILED, user=alice@example.org, "
                "ip=[::ffff:192.0.2.7]",
                "192.0.2.7", "alice@example.org");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 mail pop3d: LOGIN FAILED, method=PLAIN, ip=[::ffff:192.0.2.8]",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 mail imapd: LOGIN FAILED, user=bob, ip=[2001:db8::9]",
                "2001:db8::9", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 mail courieresmtpd: error,relay=::ffff:192.0.2.10,msg=\"535 "
                "Authentication failed.\",cmd: AUTH LOGIN",
                "192.0.2.10");
}

TEST_F(CourierAuthFilter, IgnoresSuccessfulLogins) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:05 mail imapd-ssl: LOGIN, user=alice@example.org, "
                  "ip=[::ffff:192.0.2.7], port=[51234], protocol=IMAP");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:06 mail imapd-ssl: LOGOUT, user=alice@example.org, "
                  "ip=[::ffff:192.0.2.7], headers=0, body=0, rcvd=12, sent=345, time=2");
  ExpectNoFailure(*filter_, "Nov 22 10:00:07 mail pop3d: Connection, ip=[::ffff:192.0.2.7]");
}

TEST_F(CourierAuthFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:08 mail imapd: LOGIN FAILED, user=x, ip=[203.0.113.5], "
                "ip=[::ffff:198.51.100.23]",
                "198.51.100.23", "x, ip=[203.0.113.5]");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:09 mail imapd: LOGIN FAILED, user=x, ip=[203.0.113.5] from "
                  "192.0.2.66, ip=[::ffff:198.51.100.23], junk");
}

}  // namespace
}  // namespace portcullis::testing
