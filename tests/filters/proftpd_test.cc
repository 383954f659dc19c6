// Sample lines for filters.d/proftpd.toml, written for this project from the formats of
// ProFTPD syslog and SystemLog (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class ProftpdFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("proftpd");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(ProftpdFilter, FailedLogins) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 ftp proftpd[4242] ftp.example.org "
                "(client.example.net[192.0.2.7]): USER alice (Login failed): Incorrect password",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 ftp proftpd[4243] ftp.example.org "
                "(::ffff:192.0.2.8[::ffff:192.0.2.8]): USER bob: no such user found from "
                "::ffff:192.0.2.8 [::ffff:192.0.2.8] to ::ffff:198.51.100.2:21",
                "192.0.2.8", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 ftp proftpd[4244]: ftp.example.org (2001:db8::9[2001:db8::9]) - "
                "Maximum login attempts (3) exceeded, connection refused",
                "2001:db8::9");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 ftp proftpd[4245] ftp.example.org (192.0.2.10[192.0.2.10]): "
                "SECURITY VIOLATION: root login attempted.",
                "192.0.2.10");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:05,123 ftp proftpd[4246] ftp.example.org "
                "(192.0.2.11[192.0.2.11]): USER carol (Login failed): No such user found",
                "192.0.2.11", "carol");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 ftp proftpd[4247]: 198.51.100.2 (192.0.2.12[192.0.2.12]) - USER "
                "dave (Login failed): Incorrect password",
                "192.0.2.12", "dave");
}

TEST_F(ProftpdFilter, IgnoresSessionsAndTransfers) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:07 ftp proftpd[4248] ftp.example.org (192.0.2.7[192.0.2.7]): FTP "
                  "session opened.");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:08 ftp proftpd[4249] ftp.example.org (192.0.2.7[192.0.2.7]): USER "
                  "alice: Login successful.");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:09 ftp proftpd[4250] ftp.example.org (192.0.2.7[192.0.2.7]): FTP "
                  "session closed.");
}

TEST_F(ProftpdFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 ftp proftpd[4251] ftp.example.org (198.51.100.23[198.51.100.23]): "
                "USER x (203.0.113.5[203.0.113.5]): USER y from 192.0.2.66 (Login failed): "
                "Incorrect password",
                "198.51.100.23");
  ExpectFailure(*filter_,
                "Nov 22 10:00:11 ftp proftpd[4252] ftp.example.org (198.51.100.23[198.51.100.23]): "
                "USER x: no such user found from 203.0.113.5 [203.0.113.5] to 198.51.100.2:21: no "
                "such user found from 198.51.100.23 [198.51.100.23] to 198.51.100.2:21",
                "198.51.100.23");
}

}  // namespace
}  // namespace portcullis::testing
