// Sample lines for filters.d/selinux-ssh.toml, written for this project from the formats of
// auditd records of sshd (no line is taken from another project's tests).
// Failures name the expected host, and the user where the service logs one. Negatives are
// ordinary lines of the same service. The "CannotSupply" tests put decoy addresses (192.0.2.66,
// 198.51.100.1, 203.0.113.5) into fields a client controls: the real address must win, or
// the line must not count at all.
#include <gtest/gtest.h>

#include "filters/filter_test_util.h"

namespace portcullis::testing {
namespace {

class SelinuxSshFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    filter_ = LoadShippedFilter("selinux-ssh");
    ASSERT_NE(filter_, nullptr);
  }
  std::unique_ptr<Filter> filter_;
};

TEST_F(SelinuxSshFilter, FailedAuthentication) {
  ExpectFailure(*filter_,
                "type=USER_AUTH msg=audit(1124013500.123:4711): pid=4242 uid=0 auid=4294967295 "
                "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 "
                "msg='op=PAM:authentication grantors=? acct=\"alice\" exe=\"/usr/sbin/sshd\" "
                "hostname=192.0.2.7 addr=192.0.2.7 terminal=ssh res=failed'",
                "192.0.2.7", "alice");
  ExpectFailure(*filter_,
                "type=USER_ERR msg=audit(1124013500.124:4712): pid=4242 uid=0 auid=4294967295 "
                "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=PAM:bad_ident "
                "grantors=? acct=\"?\" exe=\"/usr/sbin/sshd\" hostname=2001:db8::8 "
                "addr=2001:db8::8 terminal=ssh res=failed'",
                "2001:db8::8");
  ExpectFailure(*filter_,
                "type=USER_AUTH msg=audit(1124013500.125:4713): pid=4243 uid=0 auid=4294967295 "
                "ses=4294967295 subj=unconfined msg='op=PAM:authentication grantors=? acct=\"bob\" "
                "exe=\"/usr/libexec/openssh/sshd-session\" hostname=192.0.2.9 addr=192.0.2.9 "
                "terminal=ssh res=failed'\x1d"
                "UID=\"root\" AUID=\"unset\"",
                "192.0.2.9", "bob");
  ExpectFailure(*filter_,
                "type=USER_AUTH msg=audit(1124013500.126:4714): pid=4244 uid=0 auid=4294967295 "
                "ses=4294967295 msg='op=PAM:authentication grantors=? acct=6A6F686E20736D697468 "
                "exe=\"/usr/sbin/sshd\" hostname=? addr=192.0.2.10 terminal=ssh res=failed'",
                "192.0.2.10");
}

TEST_F(SelinuxSshFilter, IgnoresSuccessAndLoginRecords) {
  ExpectNoFailure(*filter_,
                  "type=USER_AUTH msg=audit(1124013500.127:4715): pid=4245 uid=0 auid=4294967295 "
                  "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 "
                  "msg='op=PAM:authentication grantors=pam_unix acct=\"alice\" "
                  "exe=\"/usr/sbin/sshd\" hostname=192.0.2.7 addr=192.0.2.7 terminal=ssh "
                  "res=success'");
  ExpectNoFailure(*filter_,
                  "type=USER_LOGIN msg=audit(1124013500.128:4716): pid=4246 uid=0 auid=4294967295 "
                  "ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login "
                  "acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=192.0.2.7 terminal=ssh "
                  "res=failed'");
  ExpectNoFailure(*filter_,
                  "type=USER_AUTH msg=audit(1124013500.129:4717): pid=4247 uid=0 auid=1000 ses=3 "
                  "msg='op=PAM:authentication grantors=? acct=\"alice\" exe=\"/usr/bin/su\" "
                  "hostname=? addr=? terminal=pts/0 res=failed'");
}

TEST_F(SelinuxSshFilter, AccountNamesCannotSupplyTheAddress) {
  ExpectFailure(*filter_,
                "type=USER_AUTH msg=audit(1124013500.130:4718): pid=4248 uid=0 auid=4294967295 "
                "ses=4294967295 msg='op=PAM:authentication grantors=? "
                "acct=7820616464723D3230332E302E3131332E35 exe=\"/usr/sbin/sshd\" "
                "hostname=198.51.100.23 addr=198.51.100.23 terminal=ssh res=failed'",
                "198.51.100.23");
  ExpectFailure(*filter_,
                "type=USER_AUTH msg=audit(1124013500.131:4719): pid=4249 uid=0 auid=4294967295 "
                "ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"x addr=203.0.113.5\" "
                "exe=\"/usr/sbin/sshd\" hostname=? addr=198.51.100.23 terminal=ssh res=failed'",
                "198.51.100.23", "x addr=203.0.113.5");
}

}  // namespace
}  // namespace portcullis::testing
