#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace portcullis::cli {
namespace {

namespace fs = std::filesystem;

int RunCheck(std::vector<std::string> args) {
  args.insert(args.begin(), "config-test");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return RunConfigCheck(static_cast<int>(args.size()), argv.data());
}

// The shipped configuration as it is installed: packaging/config plus the shipped filters.d.
class ShippedConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/portcullis-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    const fs::path src(PORTCULLIS_SOURCE_DIR);
    for (const char* f : {"portcullis.toml", "jail.toml"}) {
      fs::copy_file(src / "packaging/config" / f, dir_ / f);
    }
    fs::create_directory_symlink(src / "filters.d", dir_ / "filters.d");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ShippedConfigTest, ChecksOkAndDumps) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunCheck({"--config-dir", dir_.string()}), kExitOk);
  EXPECT_EQ(RunCheck({"--config-dir=" + dir_.string(), "--dump"}), kExitOk);
  EXPECT_EQ(RunCheck({"--config-dir", dir_.string(), "--quiet"}), kExitOk);
  EXPECT_EQ(RunCheck({"--config-dir", dir_.string() + "/does-not-exist"}), kExitError);
  EXPECT_EQ(RunCheck({"--bogus"}), kExitUsage);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("OK: " + dir_.string() + ", 19 jails (1 enabled) from portcullis.toml jail.toml\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n[sshd]\n"), std::string::npos) << out;
  EXPECT_NE(err.find(dir_.string() + "/does-not-exist: not a directory\n"), std::string::npos)
      << err;
  EXPECT_NE(err.find("unexpected argument '--bogus'"), std::string::npos) << err;
}

// Every shipped jail, enabled, loads its shipped filter (with the jail's mode) and compiles.
TEST_F(ShippedConfigTest, EveryShippedJailCompilesWhenEnabled) {
  std::ofstream local(dir_ / "jail.local.toml");
  for (const char* jail :
       {"sshd", "selinux-ssh", "recidive", "nginx-http-auth", "nginx-limit-req", "nginx-botsearch",
        "apache-auth", "apache-badbots", "apache-noscript", "postfix", "postfix-sasl", "dovecot",
        "courier-auth", "exim", "vsftpd", "proftpd", "pure-ftpd", "mysqld-auth", "named-refused"}) {
    local << "[" << jail << "]\nenabled = true\n";
  }
  local.close();
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int rc = RunCheck({"--config-dir", dir_.string()});
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitOk) << err;
  EXPECT_NE(out.find("19 jails (19 enabled)"), std::string::npos) << out;
}

TEST_F(ShippedConfigTest, JournalJailsNeedAMatchFromTheJailOrItsFilter) {
  std::ofstream(dir_ / "jail.local.toml")
      << "[sshd]\nlogpath = \"/nonexistent/auth.log\"\n"
      << "[postfix]\nenabled = true\nbackend = \"journal\"\n"
      << "[recidive]\nenabled = true\nbackend = \"journal\"\nfilter = \"nomatch\"\n";
  std::ofstream(dir_ / "nomatch.toml") << "failregex = ['^x <HOST>$']\n";
  fs::remove(dir_ / "filters.d");
  fs::create_directory(dir_ / "filters.d");
  for (const char* f : {"sshd.toml", "postfix.toml"}) {
    fs::copy_file(fs::path(PORTCULLIS_SOURCE_DIR) / "filters.d" / f, dir_ / "filters.d" / f);
  }
  fs::rename(dir_ / "nomatch.toml", dir_ / "filters.d/nomatch.toml");
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int rc = RunCheck({"--config-dir", dir_.string()});
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitError);
  EXPECT_NE(err.find("[recidive] backend \"journal\" needs a journalmatch (the jail has none, "
                     "nor has its filter 'nomatch')"),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("[postfix]"), std::string::npos) << err;  // its filter has matches
  EXPECT_NE((out + err).find("[sshd] none of its log files exists: it reads the systemd journal "
                             "instead (journalmatch)"),
            std::string::npos)
      << out << err;
}

TEST_F(ShippedConfigTest, ReportsABrokenFilter) {
  fs::remove(dir_ / "filters.d");
  fs::create_directory(dir_ / "filters.d");
  std::ofstream(dir_ / "filters.d/sshd.toml") << "failregex = ['^(unclosed <HOST>']\n";
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  int rc = RunCheck({"--config-dir", dir_.string()});
  (void)testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitError);
  EXPECT_NE(err.find("[sshd]"), std::string::npos) << err;
  EXPECT_NE(err.find("failregex[0]"), std::string::npos) << err;
}

}  // namespace
}  // namespace portcullis::cli
