// Sample lines for filters.d/mysqld-auth.toml, written for this project from the formats of
// MySQL and MariaDB error logs (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class MysqldAuthFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("mysqld-auth");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(MysqldAuthFilter, AccessDenied) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:01 4644 [Warning] Access denied for user 'root'@'192.0.2.7' "
                "(using password: YES)",
                "192.0.2.7", "root");
  ExpectFailure(*filter_,
                "2026-11-22T10:00:02.123456Z 113 [Note] [MY-010926] [Server] Access denied for "
                "user 'admin'@'2001:db8::8' (using password: NO)",
                "2001:db8::8", "admin");
  ExpectFailure(*filter_,
                "061122 10:00:03 [Warning] Access denied for user 'bob'@'192.0.2.9' (using "
                "password: YES)",
                "192.0.2.9", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 db mysqld: 261122 10:00:04 [Warning] Access denied for user "
                "'carol'@'192.0.2.10' (using password: YES)",
                "192.0.2.10", "carol");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 db mariadbd[812]: 2026-11-22 10:00:05 4645 [Warning] Access "
                "denied for user 'dave'@'client.example.net' (using password: YES)",
                "client.example.net", "dave");
  ExpectFailure(*filter_,
                "\t\t   4646 Connect\tAccess denied for user 'erin'@'192.0.2.11' (using password: "
                "YES)",
                "192.0.2.11", "erin");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:05 4651 [Warning] Access denied for user 'frank'@'192.0.2.12' to "
                "database 'payroll'",
                "192.0.2.12", "frank");
}

TEST_F(MysqldAuthFilter, IgnoresOtherWarnings) {
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:06 4647 [Warning] Aborted connection 4647 to db: 'app' user: "
                  "'app' host: '192.0.2.7' (Got an error reading communication packets)");
  ExpectNoFailure(*filter_, "2026-11-22 10:00:07 0 [Note] Server socket created on IP: '0.0.0.0'.");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:08 4648 [Warning] IP address '192.0.2.7' could not be "
                  "resolved: Name or service not known");
}

TEST_F(MysqldAuthFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:09 4649 [Warning] Access denied for user 'x'@'203.0.113.5' "
                "(using password: NO)'@'198.51.100.23' (using password: YES)",
                "198.51.100.23", "x'@'203.0.113.5' (using password: NO)");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:10 4650 [Warning] Access denied for user 'x'@'203.0.113.5' "
                  "(using password: NO) from 192.0.2.66'@'198.51.100.23' (using password: YES) x");
}

}  // namespace
}  // namespace portcullis::testing
