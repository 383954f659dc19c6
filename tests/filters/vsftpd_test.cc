// Sample lines for filters.d/vsftpd.toml, written for this project from the formats of
// vsftpd's own log, syslog and PAM (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class VsftpdFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("vsftpd");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(VsftpdFilter, FailedLogins) {
  ExpectFailure(*filter_,
                "Sun Nov 22 10:00:01 2026 [pid 4242] [alice] FAIL LOGIN: Client "
                "\"::ffff:192.0.2.7\"",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "Sun Nov 22 10:00:02 2026 [pid 4243] [anonymous] FAIL LOGIN: Client \"2001:db8::8\"",
                "2001:db8::8", "anonymous");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 ftp vsftpd[4244]: [bob] FAIL LOGIN: Client \"192.0.2.9\"",
                "192.0.2.9", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 ftp vsftpd[4245]: pam_unix(vsftpd:auth): authentication failure; "
                "logname= uid=0 euid=0 tty=ftp ruser=carol rhost=192.0.2.10",
                "192.0.2.10", "carol");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 ftp vsftpd[4246]: pam_unix(vsftpd:auth): authentication failure; "
                "logname= uid=0 euid=0 tty=ftp ruser=dave rhost=192.0.2.11  user=dave",
                "192.0.2.11", "dave");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 ftp vsftpd(pam_unix)[4247]: authentication failure; logname= "
                "uid=0 euid=0 tty= ruser= rhost=192.0.2.12  user=erin",
                "192.0.2.12", "erin");
}

TEST_F(VsftpdFilter, IgnoresSuccessAndConnects) {
  ExpectNoFailure(*filter_,
                  "Sun Nov 22 10:00:06 2026 [pid 4247] CONNECT: Client \"::ffff:192.0.2.7\"");
  ExpectNoFailure(*filter_,
                  "Sun Nov 22 10:00:07 2026 [pid 4248] [alice] OK LOGIN: Client "
                  "\"::ffff:192.0.2.7\"");
  ExpectNoFailure(*filter_,
                  "Sun Nov 22 10:00:08 2026 [pid 4249] [alice] OK UPLOAD: Client "
                  "\"::ffff:192.0.2.7\", \"/incoming/a.txt\", 12 bytes, 1.00Kbyte/sec");
}

TEST_F(VsftpdFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Sun Nov 22 10:00:09 2026 [pid 4250] [x] FAIL LOGIN: Client \"203.0.113.5\"] FAIL "
                "LOGIN: Client \"::ffff:198.51.100.23\"",
                "198.51.100.23", "x] FAIL LOGIN: Client \"203.0.113.5\"");
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 ftp vsftpd[4251]: pam_unix(vsftpd:auth): authentication failure; "
                "logname= uid=0 euid=0 tty=ftp ruser=x rhost=203.0.113.5 rhost=198.51.100.23  "
                "user=x rhost=203.0.113.5",
                "198.51.100.23", "x rhost=203.0.113.5");
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 ftp vsftpd[4253]: pam_unix(vsftpd:auth): authentication failure; "
                "logname= uid=0 euid=0 tty=ftp ruser=x rhost=203.0.113.5  user=y "
                "rhost=198.51.100.23  user=x rhost=203.0.113.5  user=y",
                "198.51.100.23", "x rhost=203.0.113.5  user=y");
  ExpectNoFailure(*filter_,
                  "Sun Nov 22 10:00:11 2026 [pid 4252] [x FAIL LOGIN: Client \"203.0.113.5\"] OK "
                  "LOGIN: Client \"::ffff:198.51.100.23\"");
}

}  // namespace
}  // namespace portcullis::testing
