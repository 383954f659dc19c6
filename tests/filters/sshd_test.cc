// Sample lines for filters.d/sshd.toml, written from OpenSSH's message formats.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class SshdFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("sshd");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(SshdFilter, FailedPasswordForValidAndInvalidUsers) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 gw sshd[1001]: Failed password for root from 192.0.2.10 port "
                "40122 ssh2",
                "192.0.2.10", "root");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 gw sshd[1002]: Failed password for invalid user oracle from "
                "198.51.100.7 port 5122 ssh2",
                "198.51.100.7", "oracle");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 gw sshd[1003]: Failed keyboard-interactive/pam for invalid user "
                "test from 203.0.113.4 port 6001 ssh2",
                "203.0.113.4", "test");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 gw sshd[1004]: Failed none for invalid user admin from "
                "192.0.2.11 port 22 ssh2",
                "192.0.2.11", "admin");
}

TEST_F(SshdFilter, OpenSsh98SessionProcessNames) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 gw sshd-session[2001]: Failed password for alice from 192.0.2.20 "
                "port 51000 ssh2",
                "192.0.2.20", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 gw sshd-session[2002]: Invalid user bob from 2001:db8::20 port "
                "51001",
                "2001:db8::20", "bob");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 gw sshd-auth[2003]: Invalid user carol from 192.0.2.21 port 51002",
                "192.0.2.21", "carol");
}

// Lines as the journal source (watch/journal_source.h) builds them from journal entries.
TEST_F(SshdFilter, LinesBuiltFromJournalEntries) {
  ExpectFailure(*filter_,
                "2026-11-23T02:46:03.123456+00:00 host sshd[812]: Failed password for root from "
                "192.0.2.7 port 4242 ssh2",
                "192.0.2.7", "root");
  ExpectFailure(*filter_,
                "2026-11-22T23:16:03.000001-03:30 localhost sshd-session[9]: Invalid user admin "
                "from 2001:db8::7 port 4242",
                "2001:db8::7", "admin");
}

TEST_F(SshdFilter, InvalidUserWithSpacesAndEmptyName) {
  ExpectFailure(*filter_,
                "Nov 22 10:01:00 gw sshd[3001]: Invalid user john smith from 198.51.100.30 port "
                "41000",
                "198.51.100.30", "john smith");
  ExpectFailure(*filter_,
                "Nov 22 10:01:01 gw sshd[3002]: Invalid user  from 198.51.100.31 port 41001",
                "198.51.100.31", "");
}

TEST_F(SshdFilter, InjectedAddressInUserNameNeverBecomesTheHost) {
  ExpectFailure(*filter_,
                "Nov 22 10:02:00 gw sshd[4001]: Invalid user x from 192.0.2.66 port 22 from "
                "203.0.113.50 port 50000",
                "203.0.113.50", "x from 192.0.2.66 port 22");
  ExpectFailure(*filter_,
                "Nov 22 10:02:01 gw sshd[4002]: Failed password for invalid user root from "
                "198.51.100.1 from 203.0.113.51 port 50001 ssh2",
                "203.0.113.51", "root from 198.51.100.1");
  ExpectFailure(*filter_,
                "Nov 22 10:02:02 gw sshd[4003]: Failed password for invalid user x from "
                "192.0.2.66 port 22 ssh2: from 203.0.113.52 port 50002 ssh2",
                "203.0.113.52");
  ExpectFailure(*filter_,
                "Nov 22 10:02:03 gw sshd[4004]: error: PAM: Authentication failure for a from "
                "192.0.2.66 via b from 203.0.113.53",
                "203.0.113.53");
  ExpectFailure(*filter_,
                "Nov 22 10:02:04 gw sshd[4005]: User x from 192.0.2.66 not allowed because "
                "listed in DenyUsers from 203.0.113.54 not allowed because not listed in "
                "AllowUsers",
                "203.0.113.54");
}

TEST_F(SshdFilter, Ipv6InAllSpellings) {
  ExpectFailure(*filter_,
                "Nov 22 10:03:00 gw sshd[5001]: Failed password for root from 2001:db8:0:1::5 "
                "port 22 ssh2",
                "2001:db8:0:1::5", "root");
  ExpectFailure(*filter_,
                "Nov 22 10:03:01 gw sshd[5002]: Failed password for root from ::ffff:192.0.2.77 "
                "port 22 ssh2",
                "192.0.2.77");
  ExpectFailure(*filter_,
                "Nov 22 10:03:02 gw sshd[5003]: error: PAM: authentication failure for mario "
                "from 2001:db8::a11:beef:7ac0%eth0",
                "2001:db8::a11:beef:7ac0");
  ExpectFailure(*filter_,
                "Nov 22 10:03:03 gw sshd[5004]: Received disconnect from 2001:db8::9: 3: "
                "com.jcraft.jsch.JSchException: Auth fail [preauth]",
                "2001:db8::9");
}

TEST_F(SshdFilter, PamAndAccessRules) {
  ExpectFailure(*filter_,
                "Nov 22 10:04:00 gw sshd[6001]: error: PAM: Authentication failure for dave from "
                "host.example.com",
                "host.example.com", "dave");
  ExpectFailure(*filter_,
                "Nov 22 10:04:01 gw sshd[6002]: User root from 192.0.2.90 not allowed because not "
                "listed in AllowUsers",
                "192.0.2.90", "root");
  ExpectFailure(*filter_,
                "Nov 22 10:04:02 gw sshd[6003]: error: maximum authentication attempts exceeded "
                "for root from 192.0.2.91 port 4919 ssh2 [preauth]",
                "192.0.2.91", "root");
  ExpectFailure(*filter_,
                "Nov 22 10:04:03 gw sshd[6004]: ROOT LOGIN REFUSED FROM 192.0.2.92 port 1 "
                "[preauth]",
                "192.0.2.92");
}

TEST_F(SshdFilter, SyslogHeaderVariants) {
  ExpectFailure(*filter_, "Nov 22 10:05:00 sshd[7001]: Invalid user a from 192.0.2.100 port 1",
                "192.0.2.100");
  ExpectFailure(*filter_, "Nov 22 10:05:01 [sshd]: Invalid user b from 192.0.2.101 port 1",
                "192.0.2.101");
  ExpectFailure(*filter_,
                "2026-11-22T10:05:02.123456+00:00 gw sshd[7002]: Invalid user c from 192.0.2.102 "
                "port 1",
                "192.0.2.102");
}

TEST_F(SshdFilter, TcpWrappersAndClientReportedAuthFail) {
  ExpectFailure(*filter_,
                "Nov 22 10:05:04 gw sshd[7004]: refused connect from scanner.example.net "
                "(198.51.100.77)",
                "198.51.100.77");
  ExpectFailure(*filter_,
                "Nov 22 10:05:05 gw sshd[7005]: Received disconnect from 198.51.100.78 port 7:3: "
                "Auth fail [preauth]",
                "198.51.100.78");
}

TEST_F(SshdFilter, RsyslogRepeatedMessageIsUnwrapped) {
  ExpectFailure(*filter_,
                "Nov 22 10:05:03 gw sshd[7003]: message repeated 3 times: [ Failed password for "
                "root from 192.0.2.103 port 22 ssh2]",
                "192.0.2.103", "root");
}

TEST_F(SshdFilter, BenignLinesDoNotCount) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:00 gw sshd[8001]: Accepted publickey for deploy from 192.0.2.120 "
                  "port 50111 ssh2: ED25519 SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIG");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:01 gw sshd[8001]: pam_unix(sshd:session): session opened for "
                  "user deploy(uid=1000) by (uid=0)");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:02 gw sshd[8002]: Failed publickey for deploy from 192.0.2.121 "
                  "port 50112 ssh2: RSA SHA256:abc");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:03 gw sshd[8003]: Received disconnect from 192.0.2.122 port "
                  "50113:11: disconnected by user");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:04 gw sshd[8003]: Disconnected from user deploy 192.0.2.122 port "
                  "50113");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:05 gw sshd[8004]: Connection closed by 192.0.2.123 port 1");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:06 gw CRON[8005]: pam_unix(cron:session): session opened for user "
                  "root(uid=0) by (uid=0)");
  // Another program quoting an sshd-like message is not sshd.
  ExpectNoFailure(*filter_,
                  "Nov 22 10:06:07 gw sudo[8006]: Invalid user x from 192.0.2.124 port 1");
  // 1.2.3.4.5 is not an address.
  ExpectNoFailure(*filter_, "Nov 22 10:06:08 gw sshd[8007]: Invalid user x from 1.2.3.4.5 port 1");
}

TEST_F(SshdFilter, TooManyFailuresTakesHostFromConnectionLine) {
  Feed(*filter_,
       "Nov 22 10:07:00 gw sshd[9001]: Connection from 198.51.100.9 port 51353 on "
       "192.0.2.1 port 22 rdomain \"\"");
  ExpectFailure(*filter_,
                "Nov 22 10:07:03 gw sshd[9001]: Disconnecting: Too many authentication failures "
                "for root [preauth]",
                "198.51.100.9");
  // Another session (pid) does not see that host.
  ExpectNoFailure(*filter_,
                  "Nov 22 10:07:04 gw sshd[9002]: Disconnecting: Too many authentication "
                  "failures [preauth]");
}

TEST_F(SshdFilter, TooManyFailuresWithoutHostWaitsForClosingLine) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:08:00 gw sshd[9101]: Disconnecting: Too many authentication "
                  "failures for admin [preauth]");
  ExpectFailure(*filter_,
                "Nov 22 10:08:01 gw sshd[9101]: Connection closed by 203.0.113.9 [preauth]",
                "203.0.113.9", "admin");
  // The flag is used up: a second closing line does not count again.
  ExpectNoFailure(*filter_,
                  "Nov 22 10:08:02 gw sshd[9101]: Connection closed by 203.0.113.9 [preauth]");
}

TEST_F(SshdFilter, OldChangeOfUsernameTakesHostFromSession) {
  Feed(*filter_, "Nov 22 10:08:30 gw sshd[9151]: Connection from 198.51.100.50 port 4711");
  ExpectFailure(*filter_,
                "Nov 22 10:08:31 gw sshd[9151]: Disconnecting: Change of username or service not "
                "allowed: (root,ssh-connection) -> (admin,ssh-connection) [preauth]",
                "198.51.100.50");
}

TEST_F(SshdFilter, LockedAccountThenDisconnect) {
  Feed(*filter_, "Nov 22 10:09:00 gw sshd[9201]: User root not allowed because account is locked");
  ExpectFailure(*filter_,
                "Nov 22 10:09:00 gw sshd[9201]: Received disconnect from 198.51.100.34 port "
                "58846:11: Bye Bye [preauth]",
                "198.51.100.34");
  // Without the locked line the same disconnect is benign.
  ExpectNoFailure(*filter_,
                  "Nov 22 10:09:01 gw sshd[9202]: Received disconnect from 198.51.100.35: 11: "
                  "Bye Bye [preauth]");
}

TEST_F(SshdFilter, PamFailureCountsOnceWhateverFollows) {
  const char* kPam =
      "Nov 22 10:09:30 gw sshd[9251]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
      "euid=0 tty=ssh ruser= rhost=192.0.2.116  user=known";
  const char* kAccepted =
      "Nov 22 10:09:34 gw sshd[9251]: Accepted password for known from 192.0.2.116 port 52100 "
      "ssh2";
  // Alone, then the login succeeds: the mistyped password counts once.
  Feed(*filter_, kPam);
  ExpectFailure(*filter_, kAccepted, "192.0.2.116");
  // Already counted by "Failed password": the success does not count it again.
  Feed(*filter_, kPam);
  ExpectFailure(*filter_,
                "Nov 22 10:09:32 gw sshd[9251]: Failed password for known from 192.0.2.116 port "
                "52100 ssh2",
                "192.0.2.116", "known");
  ExpectNoFailure(*filter_, kAccepted);
}

TEST_F(SshdFilter, SessionStateExpiresWithLogTime) {
  Feed(*filter_, "Nov 22 10:10:00 gw sshd[9301]: Connection from 198.51.100.44 port 1");
  // Eleven minutes later (max_age is ten): the session is gone.
  ExpectNoFailure(*filter_,
                  "Nov 22 10:21:00 gw sshd[9301]: Disconnecting: Too many authentication "
                  "failures [preauth]");
}

TEST(SshdFilterModes, DdosAndExtraOnlyInTheirModes) {
  auto normal = LoadShippedFilter("sshd");
  auto aggressive = LoadShippedFilter("sshd", "aggressive");
  auto ddos = LoadShippedFilter("sshd", "ddos");
  ASSERT_NE(normal, nullptr);
  ASSERT_NE(aggressive, nullptr);
  ASSERT_NE(ddos, nullptr);
  const char* kNoIdent =
      "Nov 22 10:11:00 gw sshd[9401]: Did not receive identification string from 192.0.2.140 "
      "port 4000";
  const char* kNegotiate =
      "Nov 22 10:11:01 gw sshd[9402]: Unable to negotiate with 192.0.2.141 port 4001: no "
      "matching key exchange method found. Their offer: diffie-hellman-group1-sha1";
  const char* kPreauthClose =
      "Nov 22 10:11:02 gw sshd[9403]: Connection closed by invalid user admin 192.0.2.142 port "
      "4002 [preauth]";
  ExpectNoFailure(*normal, kNoIdent);
  ExpectNoFailure(*normal, kNegotiate);
  ExpectNoFailure(*normal, kPreauthClose);
  ExpectFailure(*ddos, kNoIdent, "192.0.2.140");
  ExpectNoFailure(*ddos, kNegotiate);
  // OpenSSH 9.8 PerSourcePenalties, and a client banner that quotes an address.
  ExpectFailure(*ddos,
                "Nov 22 10:11:04 gw sshd[9405]: drop connection #0 from [192.0.2.145]:22 on "
                "[198.51.100.1]:22 penalty: failed authentication",
                "192.0.2.145");
  ExpectFailure(*ddos,
                "Nov 22 10:11:05 gw sshd[9406]: Bad protocol version identification 'x from "
                "192.0.2.66 port 22' from 203.0.113.9 port 5555",
                "203.0.113.9");
  ExpectFailure(*aggressive, kNoIdent, "192.0.2.140");
  ExpectFailure(*aggressive, kNegotiate, "192.0.2.141");
  ExpectFailure(*aggressive, kPreauthClose, "192.0.2.142", "admin");
  // aggressive includes normal.
  ExpectFailure(*aggressive,
                "Nov 22 10:11:03 gw sshd[9404]: Invalid user x from 192.0.2.143 port 1",
                "192.0.2.143");
}

TEST(SshdFilterPrefilter, EnabledWithLiterals) {
  auto f = LoadShippedFilter("sshd");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->prefilter_enabled());
  EXPECT_EQ(
      f->Process("Nov 22 10:12:00 gw CRON[1]: (root) CMD (run-parts /etc/cron.hourly)", kTestNow)
          .kind,
      LineKind::kSkipped);
}

}  // namespace
}  // namespace portcullis::testing
