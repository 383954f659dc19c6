// Sample lines for filters.d/nginx-limit-req.toml, written for this project from the formats of
// nginx's limit_req and limit_conn messages (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class NginxLimitReqFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("nginx-limit-req");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(NginxLimitReqFilter, CountsRejectedRequestsAtAnyLogLevel) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:01 [error] 4242#4242: *1234 limiting requests, excess: 20.310 by "
                "zone \"perip\", client: 192.0.2.7, server: example.org, request: \"GET / "
                "HTTP/1.1\", host: \"example.org\"",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "2026/11/22 10:00:02 [warn] 4242#4242: *1235 limiting requests, excess: 5.000 by "
                "zone \"api\", client: 2001:db8::9, server: api.example.org, request: \"POST "
                "/v1/login HTTP/2.0\", host: \"api.example.org\", referrer: "
                "\"https://example.org/\"",
                "2001:db8::9");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 web nginx: [notice] 12#12: *5 limiting requests, excess: 1.001 by "
                "zone \"one\", client: 198.51.100.8, server: _, request: \"GET /a HTTP/1.1\"",
                "198.51.100.8");
}

TEST_F(NginxLimitReqFilter, IgnoresDelaysDryRunsAndOtherErrors) {
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:04 [warn] 4242#4242: *1236 delaying request, excess: 0.520 by "
                  "zone \"perip\", client: 192.0.2.7, server: example.org, request: \"GET / "
                  "HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:05 [error] 4242#4242: *1237 limiting requests, dry run, "
                  "excess: 20.310 by zone \"perip\", client: 192.0.2.7, server: example.org, "
                  "request: \"GET / HTTP/1.1\", host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:06 [error] 4242#4242: *1238 limiting connections by zone "
                  "\"addr\", client: 192.0.2.7, server: example.org, request: \"GET / HTTP/1.1\", "
                  "host: \"example.org\"");
  ExpectNoFailure(*filter_,
                  "2026/11/22 10:00:07 [error] 4242#4242: *1239 user \"alice\": password mismatch, "
                  "client: 192.0.2.7, server: example.org, request: \"GET / HTTP/1.1\", host: "
                  "\"example.org\"");
}

TEST_F(NginxLimitReqFilter, RequestAndHeadersCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "2026/11/22 10:00:08 [error] 4242#4242: *1240 limiting requests, excess: 2.000 by "
                "zone \"perip\", client: 198.51.100.23, server: example.org, request: \"GET /?q=, "
                "client: 203.0.113.5, server: x HTTP/1.1\", host: \"[client 203.0.113.5]\", "
                "referrer: \" from 192.0.2.66\"",
                "198.51.100.23");
}

TEST(NginxLimitReqFilterModes, AggressiveModeAddsLimitConn) {
  auto filter = LoadShippedFilter("nginx-limit-req", "aggressive");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "2026/11/22 10:00:09 [error] 4242#4242: *1241 limiting connections by zone "
                "\"addr\", client: 192.0.2.7, server: example.org, request: \"GET / HTTP/1.1\", "
                "host: \"example.org\"",
                "192.0.2.7");
  ExpectFailure(*filter,
                "2026/11/22 10:00:10 [error] 4242#4242: *1242 limiting requests, excess: 3.000 by "
                "zone \"perip\", client: 192.0.2.8, server: example.org, request: \"GET / "
                "HTTP/1.1\", host: \"example.org\"",
                "192.0.2.8");
}

}  // namespace
}  // namespace portcullis::testing
