// Sample lines for filters.d/nginx-http-auth.toml, written for this project from the formats of
// nginx's auth_basic and auth_pam messages (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class NginxHttpAuthFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("nginx-http-auth");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(NginxHttpAuthFilter, PasswordMismatchAndUnknownUser) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:01 [error] 4242#4242: *17 user \"alice\": password mismatch, "
                "client: 192.0.2.7, server: example.org, request: \"GET /admin/ HTTP/1.1\", host: "
                "\"example.org\"",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "2026/11/22 10:00:02 [error] 4242#4242: *18 user \"bob\" was not found in "
                "\"/etc/nginx/.htpasswd\", client: 2001:db8::5, server: example.org, request: "
                "\"GET / HTTP/2.0\", host: \"example.org\", referrer: \"https://example.org/\"",
                "2001:db8::5", "bob");
  ExpectFailure(*filter_,
                "2026/11/22 10:00:03 [error] 4242#4242: *19 user \"\": password mismatch, client: "
                "198.51.100.3, server: , request: \"GET / HTTP/1.0\"",
                "198.51.100.3", "");
}

TEST_F(NginxHttpAuthFilter, PamModule) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:04 [error] 4242#4242: *20 PAM: user 'carol' - not authenticated: "
                "Authentication failure, client: 192.0.2.8, server: dav.example.org, request: "
                "\"PROPFIND / HTTP/1.1\", host: \"dav.example.org\"",
                "192.0.2.8", "carol");
}

TEST_F(NginxHttpAuthFilter, SyslogOutput) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 web nginx: 2026/11/22 10:00:05 [error] 77#77: *3 user \"dave\": "
                "password mismatch, client: 192.0.2.9, server: example.org, request: \"GET / "
                "HTTP/1.1\", host: \"example.org\"",
                "192.0.2.9", "dave");
}

TEST_F(NginxHttpAuthFilter, IgnoresOtherErrors) {
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:06 [info] 4242#4242: *21 no user/password was provided for "
                  "basic authentication, client: 192.0.2.7, server: example.org, request: \"GET "
                  "/admin/ HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:07 [error] 4242#4242: *22 open() \"/srv/www/favicon.ico\" "
                  "failed (2: No such file or directory), client: 192.0.2.7, server: example.org, "
                  "request: \"GET /favicon.ico HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:08 [error] 4242#4242: *23 limiting requests, excess: 10.500 by "
                  "zone \"one\", client: 192.0.2.7, server: example.org, request: \"GET / "
                  "HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:09 [crit] 4242#4242: *24 SSL_do_handshake() failed (SSL: "
                  "error:0A00010B:SSL routines::wrong version number) while SSL handshaking, "
                  "client: 192.0.2.7, server: 0.0.0.0:443");
}

TEST_F(NginxHttpAuthFilter, RequestAndHeadersCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:10 [error] 4242#4242: *25 user \"eve\": password mismatch, "
                "client: 198.51.100.23, server: example.org, request: \"GET /x, client: "
                "203.0.113.5, server: y HTTP/1.1\", host: \"client: 192.0.2.66\", referrer: "
                "\"[client 203.0.113.5]\"",
                "198.51.100.23", "eve");
  ExpectFailure(*filter_,
                "2026/11/22 10:00:11 [error] 4242#4242: *26 user \"x\\\" was not found in "
                "\\\"y\\\", client 203.0.113.5\": password mismatch, client: 198.51.100.23, "
                "server: example.org, request: \"GET / HTTP/1.1\", host: \"example.org\"",
                "198.51.100.23");
}

TEST(NginxHttpAuthFilterModes, FallbackModeCountsScannerHandshakes) {
  auto filter = LoadShippedFilter("nginx-http-auth", "fallback");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "2026/11/22 10:00:12 [crit] 4242#4242: *27 SSL_do_handshake() failed (SSL: "
                "error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: "
                "192.0.2.7, server: 0.0.0.0:443",
                "192.0.2.7");
  ExpectFailure(*filter,
                "2026/11/22 10:00:13 [info] 4242#4242: *28 SSL_do_handshake() failed (SSL: "
                "error:1408F10B:SSL routines:ssl3_get_record:wrong version number) while SSL "
                "handshaking, client: 192.0.2.8, server: [::]:443",
                "192.0.2.8");
  ExpectNoFailure(*filter,
                  "2026/11/22 10:00:14 [error] 4242#4242: *29 user \"alice\": password mismatch, "
                  "client: 192.0.2.7, server: example.org, request: \"GET / HTTP/1.1\", host: "
                  "\"example.org\"");
}

TEST(NginxHttpAuthFilterModes, AggressiveModeCountsBoth) {
  auto filter = LoadShippedFilter("nginx-http-auth", "aggressive");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "2026/11/22 10:00:15 [error] 4242#4242: *30 user \"alice\": password mismatch, "
                "client: 192.0.2.7, server: example.org, request: \"GET / HTTP/1.1\", host: "
                "\"example.org\"",
                "192.0.2.7", "alice");
  ExpectFailure(*filter,
                "2026/11/22 10:00:16 [crit] 4242#4242: *31 SSL_do_handshake() failed (SSL: "
                "error:0A0000C1:SSL routines::no shared cipher) while SSL handshaking, client: "
                "192.0.2.9, server: 0.0.0.0:443",
                "192.0.2.9");
}

}  // namespace
}  // namespace portcullis::testing
