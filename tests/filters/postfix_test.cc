// Sample lines for filters.d/postfix.toml, written for this project from the formats of
// Postfix smtpd and postscreen (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class PostfixFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("postfix");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(PostfixFilter, PolicyRejects) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[192.0.2.7]: 554 5.7.1 <nobody@example.net>: Relay access denied; "
                "from=<a@example.com> to=<nobody@example.net> proto=ESMTP helo=<x>",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "mail.example.com[192.0.2.8]: 550 5.1.1 <nobody@example.org>: Recipient address "
                "rejected: User unknown in virtual mailbox table; from=<a@example.com> "
                "to=<nobody@example.org> proto=ESMTP helo=<mail.example.com>",
                "192.0.2.8");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[2001:db8::9]: 504 5.5.2 <localhost>: Helo command rejected: need "
                "fully-qualified hostname; from=<a@example.com> to=<b@example.org> proto=ESMTP "
                "helo=<localhost>",
                "2001:db8::9");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 mx postfix-in/smtpd[2231]: 4Xk2Lq0z3Tz9vBq: reject: RCPT from "
                "unknown[192.0.2.10]: 450 4.7.25 Client host rejected: cannot find your hostname, "
                "[192.0.2.10]; from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<x.example>",
                "192.0.2.10");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 mx postfix/smtpd[2231]: NOQUEUE: reject: MAIL from "
                "unknown[192.0.2.11]: 553 5.7.1 <ceo@example.org>: Sender address rejected: not "
                "logged in; from=<ceo@example.org> proto=ESMTP helo=<x>",
                "192.0.2.11");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 mx postfix/smtpd[2231]: 3F1A2B4C5D: milter-reject: END-OF-MESSAGE "
                "from unknown[192.0.2.12]: 550 5.7.1 Command rejected; from=<a@example.com> "
                "to=<b@example.org> proto=ESMTP helo=<x>",
                "192.0.2.12");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[192.0.2.25]: 554 5.7.1 <b@example.org>: Recipient address rejected: "
                "Message rejected due to: SPF fail - not authorized; from=<ceo@example.org> "
                "to=<b@example.org> proto=ESMTP helo=<x>",
                "192.0.2.25");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 mx postfix/smtpd[2231]: NOQUEUE: reject: VRFY from "
                "unknown[192.0.2.26]: 550 5.1.1 <root>: Recipient address rejected: User unknown "
                "in local recipient table; to=<root> proto=SMTP",
                "192.0.2.26");
}

TEST_F(PostfixFilter, ProtocolAbuse) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:07 mx postfix/smtpd[2231]: too many errors after RCPT from "
                "unknown[192.0.2.13]",
                "192.0.2.13");
  ExpectFailure(*filter_,
                "Nov 22 10:00:08 mx postfix/submission/smtpd[2231]: improper command pipelining "
                "after EHLO from unknown[192.0.2.14]: MAIL FROM:<a@example.com>\\r\\n",
                "192.0.2.14");
}

TEST_F(PostfixFilter, DefaultModeIncludesDnsbl) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:09 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[192.0.2.15]: 554 5.7.1 Service unavailable; Client host [192.0.2.15] "
                "blocked using zen.example.net; from=<a@example.com> to=<b@example.org> "
                "proto=ESMTP helo=<x>",
                "192.0.2.15");
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 mx postfix/postscreen[88]: NOQUEUE: reject: RCPT from "
                "[192.0.2.16]:4711: 550 5.7.1 Service unavailable; client [192.0.2.16] blocked "
                "using zen.example.net; from=<a@example.com>, to=<b@example.org>, proto=ESMTP, "
                "helo=<x>",
                "192.0.2.16");
}

TEST_F(PostfixFilter, IgnoresGreylistingAndServerTrouble) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:11 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "mail.example.com[192.0.2.7]: 450 4.2.0 <b@example.org>: Recipient address "
                  "rejected: Greylisted, see https://postgrey.example/help/example.org; "
                  "from=<a@example.com> to=<b@example.org> proto=ESMTP helo=<mail.example.com>");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:12 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "mail.example.com[192.0.2.7]: 451 4.3.5 <b@example.org>: Recipient address "
                  "rejected: Server configuration problem; from=<a@example.com> to=<b@example.org> "
                  "proto=ESMTP helo=<mail.example.com>");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:13 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "mail.example.com[192.0.2.7]: 452 4.3.1 Insufficient system storage; "
                  "from=<a@example.com> to=<b@example.org>");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:14 mx postfix/smtpd[2231]: connect from mail.example.com[192.0.2.7]");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:15 mx postfix/smtpd[2231]: lost connection after DATA from "
                  "mail.example.com[192.0.2.7]");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:16 mx postfix/smtpd[2231]: warning: unknown[192.0.2.7]: SASL LOGIN "
                  "authentication failed: UGFzc3dvcmQ6");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:17 mx postfix/smtp[3001]: 3F1A2B4C5D: to=<b@example.org>, "
                  "relay=mx.example.org[198.51.100.2]:25, delay=1, status=bounced (host "
                  "mx.example.org[198.51.100.2] said: 550 5.1.1 <b@example.org>: Recipient address "
                  "rejected: User unknown)");
}

TEST_F(PostfixFilter, AddressesInMailFieldsCannotSupplyTheHost) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:18 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[198.51.100.23]: 554 5.7.1 <x[192.0.2.66]: 554 a@b>: Relay access denied; "
                "from=<spam[203.0.113.5]@example.com> to=<x[192.0.2.66]: 554 a@b> proto=ESMTP "
                "helo=<reject: RCPT from y[203.0.113.5]:>",
                "198.51.100.23");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:19 mx postfix/cleanup[3001]: 3F1A2B4C5D: reject: header Subject: "
                  "NOQUEUE: reject: RCPT from x[203.0.113.5]: 554 5.7.1 Relay access denied from "
                  "unknown[198.51.100.23]; from=<a@example.com> to=<b@example.org>");
}

TEST(PostfixFilterModes, AuthModeCountsSaslFailures) {
  auto filter = LoadShippedFilter("postfix", "auth");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "Nov 22 10:00:20 mx postfix/smtpd[2231]: warning: unknown[192.0.2.17]: SASL LOGIN "
                "authentication failed: UGFzc3dvcmQ6",
                "192.0.2.17");
  ExpectNoFailure(*filter,
                  "Nov 22 10:00:21 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "unknown[192.0.2.7]: 554 5.7.1 <nobody@example.net>: Relay access denied; "
                  "from=<a@example.com> to=<nobody@example.net> proto=ESMTP helo=<x>");
}

TEST(PostfixFilterModes, DdosModeCountsPreAuthAbuse) {
  auto filter = LoadShippedFilter("postfix", "ddos");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "Nov 22 10:00:22 mx postfix/smtpd[2231]: lost connection after AUTH from "
                "unknown[192.0.2.18]",
                "192.0.2.18");
  ExpectFailure(*filter,
                "Nov 22 10:00:23 mx postfix/postscreen[88]: PREGREET 11 after 0.12 from "
                "[192.0.2.19]:51234: EHLO x\\r\\n",
                "192.0.2.19");
  ExpectFailure(*filter,
                "Nov 22 10:00:24 mx postfix/smtpd[2231]: warning: non-SMTP command from "
                "unknown[192.0.2.20]: GET / HTTP/1.1",
                "192.0.2.20");
  ExpectNoFailure(*filter,
                  "Nov 22 10:00:25 mx postfix/smtpd[2231]: lost connection after DATA from "
                  "mail.example.com[192.0.2.7]");
}

TEST(PostfixFilterModes, NormalModeLeavesOutDnsbl) {
  auto filter = LoadShippedFilter("postfix", "normal");
  ASSERT_NE(filter, nullptr);
  ExpectNoFailure(*filter,
                  "Nov 22 10:00:26 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                  "unknown[192.0.2.15]: 554 5.7.1 Service unavailable; Client host [192.0.2.15] "
                  "blocked using zen.example.net; from=<a@example.com> to=<b@example.org> "
                  "proto=ESMTP helo=<x>");
  ExpectFailure(*filter,
                "Nov 22 10:00:27 mx postfix/smtpd[2231]: too many errors after AUTH from "
                "unknown[192.0.2.21]",
                "192.0.2.21");
}

TEST(PostfixFilterModes, AggressiveModeCountsEverything) {
  auto filter = LoadShippedFilter("postfix", "aggressive");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "Nov 22 10:00:28 mx postfix/smtpd[2231]: warning: unknown[192.0.2.22]: SASL PLAIN "
                "authentication failed: authentication failure",
                "192.0.2.22");
  ExpectFailure(*filter,
                "Nov 22 10:00:29 mx postfix/smtpd[2231]: NOQUEUE: reject: RCPT from "
                "unknown[192.0.2.23]: 554 5.7.1 Service unavailable; Client host [192.0.2.23] "
                "blocked using zen.example.net; from=<a@example.com> to=<b@example.org> "
                "proto=ESMTP helo=<x>",
                "192.0.2.23");
  ExpectFailure(*filter,
                "Nov 22 10:00:30 mx postfix/smtpd[2231]: lost connection after CONNECT from "
                "unknown[192.0.2.24]",
                "192.0.2.24");
}

}  // namespace
}  // namespace portcullis::testing
