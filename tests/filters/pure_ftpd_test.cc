// Sample lines for filters.d/pure-ftpd.toml, written for this project from the formats of
// Pure-FTPd syslog output (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class PureFtpdFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("pure-ftpd");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(PureFtpdFilter, FailedLogins) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 ftp pure-ftpd: (?@192.0.2.7) [WARNING] Authentication failed for "
                "user [alice]",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 ftp pure-ftpd[4242]: (?@2001:db8::8) [WARNING] Authentication "
                "failed for user [bob]",
                "2001:db8::8", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 ftp pure-ftpd: (?@client.example.net) [WARNING] Authentication "
                "failed for user [carol]",
                "client.example.net", "carol");
}

TEST_F(PureFtpdFilter, IgnoresSessions) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:04 ftp pure-ftpd: (?@192.0.2.7) [INFO] New connection from "
                  "192.0.2.7");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:05 ftp pure-ftpd: (?@192.0.2.7) [INFO] alice is now logged in");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:06 ftp pure-ftpd: (alice@192.0.2.7) [NOTICE] /srv/ftp//a.txt "
                  "uploaded  (12 bytes, 1.00KB/sec)");
}

TEST_F(PureFtpdFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:07 ftp pure-ftpd: (?@198.51.100.23) [WARNING] Authentication failed "
                "for user [x] (?@203.0.113.5) [WARNING] Authentication failed for user [y from "
                "192.0.2.66]",
                "198.51.100.23",
                "x] (?@203.0.113.5) [WARNING] Authentication failed for user [y from 192.0.2.66");
}

}  // namespace
}  // namespace portcullis::testing
