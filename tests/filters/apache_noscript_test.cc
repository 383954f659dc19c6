// Sample lines for filters.d/apache-noscript.toml, written for this project from the formats of
// Apache httpd 2.2 and 2.4 error logs (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class ApacheNoscriptFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("apache-noscript");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(ApacheNoscriptFilter, MissingCgiAndPhpScripts) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:01.123456 2026] [cgi:error] [pid 812:tid 1402] [client "
                "192.0.2.7:51234] AH02811: script not found or unable to stat: "
                "/usr/lib/cgi-bin/php5",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:02.123456 2026] [cgid:error] [pid 812:tid 1402] [client "
                "192.0.2.7:51235] AH02811: stderr from /usr/lib/cgi-bin/test-cgi: script not found "
                "or unable to stat",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:03 2026] [error] [client 198.51.100.4] script "
                "'/srv/www/wp-login.php' not found or unable to stat",
                "198.51.100.4");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:04.123456 2026] [proxy_fcgi:error] [pid 812:tid 1402] [client "
                "2001:db8::4:40000] AH01071: Got error 'Primary script unknown'",
                "2001:db8::4");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:05.123456 2026] [proxy_fcgi:error] [pid 812:tid 1402] [client "
                "192.0.2.8:40001] AH01071: Got error 'Primary script unknown\\n'",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:06 2026] [error] [client 192.0.2.9] File does not exist: "
                "/srv/www/phpmyadmin/setup.php",
                "192.0.2.9");
}

TEST_F(ApacheNoscriptFilter, IgnoresMissingStaticFiles) {
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:07.123456 2026] [core:info] [pid 812:tid 1402] [client "
                  "192.0.2.7:51236] AH00128: File does not exist: /srv/www/favicon.ico");
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:08.123456 2026] [auth_basic:error] [pid 812:tid 1402] [client "
                  "192.0.2.7:51237] AH01618: user bob not found: /private/");
  ExpectNoFailure(*filter_,
                  "[Sun Nov 22 10:00:09.123456 2026] [proxy_fcgi:error] [pid 812:tid 1402] [client "
                  "192.0.2.7:51238] AH01071: Got error 'PHP message: PHP Warning:  Undefined "
                  "variable $x in /srv/www/index.php on line 3'");
}

TEST_F(ApacheNoscriptFilter, UrlsCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "[Sun Nov 22 10:00:10.123456 2026] [cgi:error] [pid 812:tid 1402] [client "
                "198.51.100.23:51239] AH02811: script not found or unable to stat: "
                "/usr/lib/cgi-bin/[client 203.0.113.5] from 192.0.2.66",
                "198.51.100.23");
}

}  // namespace
}  // namespace portcullis::testing
