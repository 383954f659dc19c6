// Sample lines for filters.d/nginx-botsearch.toml, written for this project from the formats of
// nginx access and error logs (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class NginxBotsearchFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("nginx-botsearch");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(NginxBotsearchFilter, AccessLogProbesAnswered404) {
  ExpectFailure(*filter_,
                "192.0.2.7 - - [22/Nov/2026:10:00:01 +0000] \"GET /phpmyadmin/index.php HTTP/1.1\" "
                "404 153 \"-\" \"Mozilla/5.0\"",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "2001:db8::7 - - [22/Nov/2026:10:00:02 +0000] \"POST /wp-login.php HTTP/1.1\" 404 "
                "153 \"-\" \"Mozilla/5.0\"",
                "2001:db8::7");
  ExpectFailure(*filter_,
                "192.0.2.8 - admin [22/Nov/2026:10:00:03 +0000] \"GET /cgi-bin/luci/;stok=/locale "
                "HTTP/1.1\" 404 162 \"-\" \"-\"",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "192.0.2.9 - - [22/Nov/2026:10:00:04 +0000] \"GET /.env HTTP/1.1\" 404 153 \"-\" "
                "\"curl/8.0\"",
                "192.0.2.9");
  ExpectFailure(*filter_,
                "192.0.2.10 - - [22/Nov/2026:10:00:05 +0000] \"GET /blog/.git/config HTTP/1.1\" "
                "404 153 \"-\" \"-\"",
                "192.0.2.10");
  ExpectFailure(*filter_,
                "192.0.2.11 - - [22/Nov/2026:10:00:06 +0000] \"GET "
                "http://example.org/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1\" "
                "404 153 \"-\" \"-\"",
                "192.0.2.11");
}

TEST_F(NginxBotsearchFilter, ErrorLogMissingFiles) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:07 [error] 4242#4242: *7 open() \"/srv/www/wp-login.php\" failed "
                "(2: No such file or directory), client: 192.0.2.12, server: example.org, request: "
                "\"GET /wp-login.php HTTP/1.1\", host: \"example.org\"",
                "192.0.2.12");
  ExpectFailure(*filter_,
                "2026/11/22 10:00:08 [error] 4242#4242: *8 \"/srv/www/phpmyadmin/index.html\" is "
                "not found (2: No such file or directory), client: 192.0.2.13, server: "
                "example.org, request: \"GET /phpmyadmin/ HTTP/1.1\", host: \"example.org\"",
                "192.0.2.13");
}

TEST_F(NginxBotsearchFilter, IgnoresOrdinaryRequests) {
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:09 +0000] \"GET /phpmyadmin/index.php "
                  "HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0\"");
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:10 +0000] \"GET /blog/missing-post HTTP/1.1\" "
                  "404 153 \"-\" \"Mozilla/5.0\"");
  ExpectNoFailure(*filter_,
                  "192.0.2.7 - - [22/Nov/2026:10:00:11 +0000] \"GET "
                  "/phpmyadministration-guide.html HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.0\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:12 [error] 4242#4242: *9 open() \"/srv/www/favicon.ico\" "
                  "failed (2: No such file or directory), client: 192.0.2.7, server: example.org, "
                  "request: \"GET /favicon.ico HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:13 [error] 4242#4242: *10 user \"alice\": password mismatch, "
                  "client: 192.0.2.7, server: example.org, request: \"GET /wp-admin/ HTTP/1.1\", "
                  "host: \"example.org\"");
}

TEST_F(NginxBotsearchFilter, UrlsCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "198.51.100.23 - - [22/Nov/2026:10:00:14 +0000] \"GET /cgi-bin/x?203.0.113.5 "
                "HTTP/1.1\" 404 153 \"[client 203.0.113.5]\" \"198.51.100.1 - - \\\"GET /cgi-bin/ "
                "HTTP/1.1\\\" 404 \"",
                "198.51.100.23");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:15 [error] 4242#4242: *11 open() \"/srv/www/x\" failed (2: No "
                  "such file or directory), client: 203.0.113.5, server: e, request: \"GET "
                  "/cgi-bin/a HTTP/1.1\"\" failed (2: No such file or directory), client: "
                  "198.51.100.23, server: example.org, request: \"GET /x%22%20failed... "
                  "HTTP/1.1\", host: \"example.org\"");
}

}  // namespace
}  // namespace portcullis::testing
