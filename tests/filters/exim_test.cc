// Sample lines for filters.d/exim.toml, written for this project from the formats of
// Exim main log and syslog output (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class EximFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("exim");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(EximFilter, AuthenticatorFailures) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:01 login authenticator failed for (mail.example.net) "
                "[192.0.2.7]:50123 I=[198.51.100.2]:587: 535 Incorrect authentication data "
                "(set_id=alice)",
                "192.0.2.7");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:02 dovecot_plain authenticator failed for host.example.net "
                "[2001:db8::8]:50124: 535 Incorrect authentication data",
                "2001:db8::8");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:03 [4242] plain authenticator failed for ([192.0.2.1]) "
                "[192.0.2.9]: 535 Incorrect authentication data: 2 Time(s)",
                "192.0.2.9");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 mx exim[4242]: login authenticator failed for (x) "
                "[192.0.2.10]:50125 I=[198.51.100.2]:465 Ci=3041: 535 Incorrect authentication "
                "data (set_id=bob@example.org)",
                "192.0.2.10");
}

TEST_F(EximFilter, RelayAttemptsAndProtocolAbuse) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:05 H=(helo.example) [192.0.2.11]:50126 F=<a@example.com> "
                "rejected RCPT <b@example.net>: relay not permitted",
                "192.0.2.11");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:06 H=mail.example.com (helo.example) [192.0.2.12]:50127 "
                "I=[198.51.100.2]:25 X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no F=<a@example.com> "
                "rejected RCPT <b@example.net>: relay not permitted",
                "192.0.2.12");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:07 SMTP protocol synchronization error (input sent without "
                "waiting for greeting): rejected connection from H=[192.0.2.13]:50128 "
                "I=[198.51.100.2]:25 input=\"GET / HTTP/1.1\"",
                "192.0.2.13");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:08 SMTP call from (x) [192.0.2.14]:50129 I=[198.51.100.2]:25 "
                "dropped: too many nonmail commands (last was \"RSET\")",
                "192.0.2.14");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:09 SMTP protocol error in \"AUTH LOGIN\" H=(x) "
                "[192.0.2.15]:50130 I=[198.51.100.2]:25 AUTH command used when not advertised",
                "192.0.2.15");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:09 SMTP protocol synchronization error (next input sent too "
                "soon: pipelining was not advertised): rejected \"EHLO\" H=(x) [192.0.2.19]:50141 "
                "I=[198.51.100.2]:25 next input=\"QUIT\\r\\n\"",
                "192.0.2.19");
}

TEST_F(EximFilter, IgnoresDeliveriesAndSoftRejects) {
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:10 1vXyZa-000Abc-Qr <= a@example.com H=mail.example.com "
                  "[192.0.2.7]:50131 P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:256 S=1234");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:11 H=mail.example.com [192.0.2.7]:50132 F=<a@example.com> "
                  "temporarily rejected RCPT <b@example.org>: greylisted");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:12 H=mail.example.com [192.0.2.7]:50133 F=<a@example.com> "
                  "rejected RCPT <b@example.org>: Sender verify failed");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:13 no IP address found for host mail.example.com (during SMTP "
                  "connection from [192.0.2.7]:50134)");
}

TEST(EximFilterModes, MoreModeAddsSenderVerificationAndUnknownUsers) {
  auto filter = LoadShippedFilter("exim", "more");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "2026-11-22 10:00:14 H=mail.example.com [192.0.2.16]:50135 F=<a@example.com> "
                "rejected RCPT <b@example.org>: Sender verify failed",
                "192.0.2.16");
  ExpectFailure(*filter,
                "2026-11-22 10:00:15 H=(x) [192.0.2.17]:50136 F=<a@example.com> rejected RCPT "
                "<nobody@example.org>: Unknown user",
                "192.0.2.17");
  ExpectFailure(*filter,
                "2026-11-22 10:00:16 no MAIL in SMTP connection from (x) [192.0.2.18]:50137 "
                "I=[198.51.100.2]:25 D=12s C=EHLO,QUIT",
                "192.0.2.18");
}

TEST_F(EximFilter, HeloAndAddressesCannotSupplyTheHost) {
  ExpectFailure(*filter_,
                "2026-11-22 10:00:17 H=(x) [198.51.100.23]:50138 F=<a@[203.0.113.5]> rejected RCPT "
                "<H=(y) [192.0.2.66]:1 F=<a@b>>: relay not permitted",
                "198.51.100.23");
  ExpectFailure(*filter_,
                "2026-11-22 10:00:18 login authenticator failed for (x) [198.51.100.23]:50139: 535 "
                "Incorrect authentication data (set_id=x [203.0.113.5]:1: 535)",
                "198.51.100.23");
  ExpectNoFailure(*filter_,
                  "2026-11-22 10:00:19 SMTP protocol error in \"AUTH x\" H=(y) [203.0.113.5]:1 "
                  "AUTH command used when not advertised\" H=(x) [198.51.100.23]:50140 AUTH "
                  "command used when not advertised");
}

}  // namespace
}  // namespace portcullis::testing
