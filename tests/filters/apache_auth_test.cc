// Sample lines for filters.d/apache-auth.toml, written for this project from the formats of
// Apache httpd 2.2 and 2.4 error logs (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class ApacheAuthFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("apache-auth");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(ApacheAuthFilter, BasicAuthUnknownUserAndWrongPassword) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:01.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "192.0.2.7:51234] AH01618: user bob not found: /private/",
                "192.0.2.7", "bob");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:02.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "192.0.2.7:51235] AH01617: user alice: authentication failure for \"/private/\": "
                "Password Mismatch",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:03 2026] [error] [client 198.51.100.4] user carol: "
                "authentication failure for \"/\": Password Mismatch",
                "198.51.100.4", "carol");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:04 2026] [error] [client 198.51.100.4] user dave not found: /",
                "198.51.100.4", "dave");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:05.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "192.0.2.7:51236] AH01614: client used wrong authentication scheme: /private/",
                "192.0.2.7");
}

TEST_F(ApacheAuthFilter, Ipv6ClientWithPort) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:06.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "2001:db8::7:51237] AH01618: user bob not found: /private/",
                "2001:db8::7", "bob");
}

TEST_F(ApacheAuthFilter, AuthorizationAndDigest) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:07.123456 2026] [authz_core:error] [pid 812:tid 1402] [client "
                "192.0.2.8:40000] AH01630: client denied by server configuration: /srv/www/admin",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:08 2026] [error] [client 192.0.2.8] Authorization of user erin "
                "to access /private/report.pdf failed, reason: file owner root does not match.",
                "192.0.2.8", "erin");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:09.123456 2026] [auth_digest:error] [pid 812:tid 1402] [client "
                "192.0.2.9:40001] AH01790: user `frank' in realm `staff' not found: /staff/",
                "192.0.2.9", "frank");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:10.123456 2026] [auth_digest:error] [pid 812:tid 1402] [client "
                "192.0.2.9:40002] AH01792: user grace: password mismatch: /staff/",
                "192.0.2.9", "grace");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:11.123456 2026] [auth_digest:error] [pid 812:tid 1402] [client "
                "192.0.2.9:40003] AH01777: invalid nonce abc= received - user attempted time travel",
                "192.0.2.9");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:11.223456 2026] [auth_digest:error] [pid 812:tid 1402] [client "
                "192.0.2.9:40004] AH01789: unknown algorithm `MD4' received: /staff/",
                "192.0.2.9");
}

TEST_F(ApacheAuthFilter, RemoteIpBehindProxy) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:12.123456 2026] [auth_basic:error] [pid 812:tid 1402] [remote "
                "10.0.0.2:443] [client 192.0.2.10:51000] AH01618: user bob not found: /private/",
                "192.0.2.10", "bob");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:13.123456 2026] [auth_basic:error] [pid 812:tid 1402] [remote "
                "192.0.2.11:51001] AH01618: user bob not found: /private/",
                "192.0.2.11", "bob");
}

TEST_F(ApacheAuthFilter, IgnoresOtherErrors) {
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:14.123456 2026] [core:error] [pid 812:tid 1402] [client "
                  "192.0.2.7:51238] AH00128: File does not exist: /srv/www/favicon.ico");
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:15.123456 2026] [auth_digest:notice] [pid 812:tid 1402] "
                  "[client 192.0.2.7:51239] AH01779: user alice: one-time-nonce mismatch - sending "
                  "new nonce");
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:16.123456 2026] [mpm_event:notice] [pid 800:tid 1400] "
                  "AH00489: Apache/2.4.62 (Debian) configured -- resuming normal operations");
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - bob [22/Nov/2026:10:00:17 +0000] \"GET /private/ HTTP/1.1\" 401 381 "
                  "\"-\" \"Mozilla/5.0\"");
}

TEST_F(ApacheAuthFilter, UserNamesAndUrlsCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:18.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "198.51.100.23:51240] AH01618: user [client 203.0.113.5] not found: "
                "/private/[client 192.0.2.66]",
                "198.51.100.23", "[client 203.0.113.5]");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:19 2026] [error] [client 198.51.100.23] user x from 192.0.2.66: "
                "authentication failure for \"/[client 203.0.113.5]\": Password Mismatch, referer: "
                "http://203.0.113.5/",
                "198.51.100.23", "x from 192.0.2.66");
}

TEST_F(ApacheAuthFilter, VirtualHostProbesOverTls) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:20.123456 2026] [ssl:error] [pid 812:tid 1402] [client "
                "192.0.2.12:51241] AH02031: Hostname www.example.org provided via SNI, but no "
                "hostname provided in HTTP request",
                "192.0.2.12");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:20.223456 2026] [ssl:error] [pid 812:tid 1402] [client "
                "192.0.2.12:51242] AH02032: Hostname www.example.org provided via SNI and hostname "
                "other.example provided via HTTP are different",
                "192.0.2.12");
}

TEST(ApacheAuthFilterModes, AggressiveModeAddsFailedHandshakes) {
  auto filter = LoadShippedFilter("apache-auth", "aggressive");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "[Sun Nov 22 10:00:20.323456 2026] [ssl:info] [pid 812:tid 1402] [client "
                "192.0.2.12:51243] AH02008: SSL library error 1 in handshake (server "
                "www.example.org:443)",
                "192.0.2.12");
  ExpectFailure(*filter,
                "[Sun Nov 22 10:00:21.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                "192.0.2.13:51242] AH01618: user bob not found: /private/",
                "192.0.2.13", "bob");
}

}  // namespace
}  // namespace portcullis::testing
