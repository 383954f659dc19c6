// Sample lines for filters.d/dovecot.toml, written for this project from the formats of
// Dovecot login and auth processes (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class DovecotFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("dovecot");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(DovecotFilter, LoginProcessAuthFailures) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:01 mail dovecot: imap-login: Disconnected (auth failed, 3 attempts "
                "in 12 secs): user=<alice>, method=PLAIN, rip=192.0.2.7, lip=198.51.100.2, TLS, "
                "session=<gXy7AbC1>",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:02 mail dovecot[812]: pop3-login: Aborted login (auth failed, 1 "
                "attempts in 2 secs): user=<bob@example.org>, method=LOGIN, rip=2001:db8::8, "
                "lip=2001:db8::1, session=<hQ1>",
                "2001:db8::8", "bob@example.org");
  ExpectFailure(*filter_,
                "Nov 22 10:00:03 mail dovecot: imap-login: Login aborted: Connection closed (auth "
                "failed, 2 attempts in 6 secs) (auth_failed): user=<carol>, method=PLAIN, "
                "rip=192.0.2.9, lip=198.51.100.2, TLS, session=<Zq9>",
                "192.0.2.9", "carol");
  ExpectFailure(*filter_,
                "Nov 22 10:00:04 mail dovecot: submission-login: Disconnected: Connection closed: "
                "read(size=1024) failed: Connection reset by peer (auth failed, 1 attempts in 0 "
                "secs): user=<dave>, rip=192.0.2.10, lip=198.51.100.2, TLS: Disconnected, "
                "session=<x>",
                "192.0.2.10", "dave");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 mail dovecot: pop3-login: Aborted login (tried to use disabled "
                "plaintext auth): rip=192.0.2.11, lip=198.51.100.2",
                "192.0.2.11");
  ExpectFailure(*filter_,
                "Nov 22 10:00:05 proxy dovecot: imap-login: Disconnected (proxy dest auth failed): "
                "user=<zoe>, method=PLAIN, rip=192.0.2.21, lip=198.51.100.2, session=<p>",
                "192.0.2.21", "zoe");
  ExpectFailure(*filter_,
                "Nov 22 10:00:06 imap-login: Info: Disconnected (auth failed, 1 attempts in 4 "
                "secs): user=<erin>, method=PLAIN, rip=192.0.2.12, lip=198.51.100.2, TLS, "
                "session=<y>",
                "192.0.2.12", "erin");
}

TEST_F(DovecotFilter, AuthProcessPassdbFailures) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:07 mail dovecot: auth-worker(1234): pam(alice,192.0.2.13): "
                "pam_authenticate() failed: Authentication failure (password mismatch?)",
                "192.0.2.13", "alice");
  ExpectFailure(*filter_,
                "Nov 22 10:00:08 mail dovecot: auth: passwd-file(bob@example.org,192.0.2.14,<hQ1>):"
                " unknown user",
                "192.0.2.14", "bob@example.org");
  ExpectFailure(*filter_,
                "Nov 22 10:00:09 mail dovecot: auth-worker(1234): Info: conn unix:auth-worker "
                "(pid=1200,uid=97): auth-worker<3>: sql(carol,2001:db8::15,<Zq9>): Password "
                "mismatch",
                "2001:db8::15", "carol");
  ExpectFailure(*filter_,
                "Nov 22 10:00:10 mail dovecot: auth: ldap(dave,192.0.2.16,<x>): Password mismatch "
                "(for LDAP bind) (SHA1 of given password: 0123ab)",
                "192.0.2.16", "dave");
  ExpectFailure(*filter_,
                "Nov 22 10:00:11 auth(erin@example.org,192.0.2.17,sasl:plain)<gXy7AbC1>: Info: "
                "passwd-file: Password mismatch",
                "192.0.2.17", "erin@example.org");
  ExpectFailure(*filter_,
                "Nov 22 10:00:12 mail dovecot-auth: pam_unix(dovecot:auth): authentication "
                "failure; logname= uid=0 euid=0 tty=dovecot ruser=frank rhost=192.0.2.18  "
                "user=frank",
                "192.0.2.18", "frank");
  ExpectFailure(*filter_,
                "Nov 22 10:00:12 mail dovecot: auth: pam_unix(dovecot:auth): authentication "
                "failure; logname= uid=0 euid=0 tty=dovecot ruser= rhost=192.0.2.19  user=grace",
                "192.0.2.19", "grace");
}

TEST_F(DovecotFilter, IgnoresLoginsAndDisconnectsWithoutAuth) {
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:13 mail dovecot: imap-login: Login: user=<alice>, method=PLAIN, "
                  "rip=192.0.2.7, lip=198.51.100.2, mpid=4242, TLS, session=<gXy7AbC1>");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:14 mail dovecot: imap-login: Disconnected (no auth attempts in 10 "
                  "secs): user=<>, rip=192.0.2.7, lip=198.51.100.2, TLS handshaking: SSL_accept() "
                  "failed: error:0A000102:SSL routines::unsupported protocol, session=<q>");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:15 mail dovecot: auth: Error: ldap(alice,192.0.2.7,<x>): LDAP "
                  "search failed: Server down");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:16 mail dovecot: imap(alice)<4242><gXy7AbC1>: Disconnected: Logged "
                  "out in=120 out=900");
}

TEST_F(DovecotFilter, UserNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "Nov 22 10:00:17 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts "
                "in 2 secs): user=<x>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.66, TLS, "
                "session=<a>, method=PLAIN, rip=198.51.100.23, lip=198.51.100.2, TLS, "
                "session=<gXy7AbC1>",
                "198.51.100.23",
                "x>, method=PLAIN, rip=203.0.113.5, lip=192.0.2.66, TLS, session=<a");
  ExpectFailure(*filter_,
                "Nov 22 10:00:18 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts "
                "in 2 secs): user=<rip=198.51.100.1>, rip=198.51.100.23, lip=198.51.100.2",
                "198.51.100.23", "rip=198.51.100.1");
  ExpectFailure(*filter_,
                "Nov 22 10:00:19 mail dovecot: auth-worker(1234): "
                "pam(a,203.0.113.5,b,198.51.100.23): unknown user",
                "198.51.100.23", "a,203.0.113.5,b");
  ExpectNoFailure(*filter_,
                  "Nov 22 10:00:20 mail dovecot: auth-worker(1234): pam(a,203.0.113.5): unknown "
                  "user,198.51.100.23): unknown user");
  ExpectFailure(*filter_,
                "Nov 22 10:00:21 mail dovecot-auth: pam_unix(dovecot:auth): authentication "
                "failure; logname= uid=0 euid=0 tty=dovecot ruser=x rhost=203.0.113.5  user=x "
                "rhost=198.51.100.23  user=x rhost=203.0.113.5  user=x",
                "198.51.100.23", "x rhost=203.0.113.5  user=x");
}

TEST(DovecotFilterModes, AggressiveModeAddsConnectionsWithoutAuth) {
  auto filter = LoadShippedFilter("dovecot", "aggressive");
  ASSERT_NE(filter, nullptr);
  ExpectFailure(*filter,
                "Nov 22 10:00:22 mail dovecot: imap-login: Disconnected (no auth attempts in 10 "
                "secs): user=<>, rip=192.0.2.19, lip=198.51.100.2, session=<q>",
                "192.0.2.19");
  ExpectFailure(*filter,
                "Nov 22 10:00:23 mail dovecot: pop3-login: Disconnected (auth failed, 1 attempts "
                "in 2 secs): user=<alice>, method=PLAIN, rip=192.0.2.20, lip=198.51.100.2",
                "192.0.2.20", "alice");
}

}  // namespace
}  // namespace portcullis::testing
