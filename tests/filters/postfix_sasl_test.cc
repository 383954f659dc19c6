// Sample lines for filters.d/postfix-sasl.toml, written for this project from the formats of
// Postfix smtpd SASL messages (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class PostfixSaslFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("postfix-sasl");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(PostfixSaslFilter, CountsFailedAuthentication) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 mx postfix/submission/smtpd[2231]: warning: unknown[192.0.2.7]: "
                "SASL LOGIN authentication failed: UGFzc3dvcmQ6",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 mx postfix/smtpd[2231]: warning: mail.example.net[2001:db8::8]: "
                "SASL PLAIN authentication failed: authentication failure, sasl_username=alice",
                "2001:db8::8", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 mx postfix-in/smtpd[2231]: warning: unknown[192.0.2.9]: SASL "
                "CRAM-MD5 authentication failed: authentication failure",
                "192.0.2.9");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 mx postfix/smtps/smtpd[2231]: warning: unknown[192.0.2.10]: SASL "
                "LOGIN authentication failed: Password:",
                "192.0.2.10");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 mx postfix/smtpd[2231]: warning: unknown[192.0.2.11]: SASL LOGIN "
                "authentication failed: (reason unavailable)",
                "192.0.2.11");
}

TEST_F(PostfixSaslFilter, IgnoresServerSideFailures) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:06 mx postfix/smtpd[2231]: warning: unknown[192.0.2.7]: SASL LOGIN "
                  "authentication failed: Connection lost to authentication server");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:07 mx postfix/smtpd[2231]: warning: unknown[192.0.2.7]: SASL "
                  "DIGEST-MD5 authentication failed: Invalid authentication mechanism");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:08 mx postfix/smtpd[2231]: warning: unknown[192.0.2.7]: SASL PLAIN "
                  "authentication failed: generic failure");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:09 mx postfix/smtpd[2231]: warning: SASL authentication failure: "
                  "cannot connect to saslauthd server: No such file or directory");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:10 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "unknown[192.0.2.7]: 554 5.7.1 <nobody@example.net>: Relay access denied; "
                  "from=<a@example.com> to=<nobody@example.net> proto=ESMTP helo=<x>");
}

TEST_F(PostfixSaslFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:11 mx postfix/smtpd[2231]: warning: unknown[198.51.100.23]: SASL "
                "PLAIN authentication failed: authentication failure, sasl_username=x warning: "
                "unknown[203.0.113.5]: from 192.0.2.66",
                "198.51.100.23", "x warning: unknown[203.0.113.5]: from 192.0.2.66");
}

}  // namespace
}  // namespace portcullis::testing
