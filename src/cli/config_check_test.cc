#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/commands.h"

namespace portcullis::cli {
namespace {

int RunCheck(std::vector<std::string> args) {
  args.insert(args.begin(), "config-check");
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return RunConfigCheck(static_cast<int>(args.size()), argv.data());
}

TEST(ConfigCheck, ExitCodes) {
  const std::string shipped = std::string(PORTCULLIS_SOURCE_DIR) + "/packaging/config";
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunCheck({"--config-dir", shipped}), kExitOk);
  EXPECT_EQ(RunCheck({"--config-dir=" + shipped, "--dump"}), kExitOk);
  EXPECT_EQ(RunCheck({"--config-dir", shipped + "/does-not-exist"}), kExitError);
  EXPECT_EQ(RunCheck({"--bogus"}), kExitUsage);
  std::string out = testing::internal::GetCapturedStdout();
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find(shipped + ": OK, 19 jails (1 enabled) from portcullis.toml jail.toml\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n[sshd]\n"), std::string::npos) << out;
  EXPECT_NE(err.find(shipped + "/does-not-exist: not a directory\n"), std::string::npos) << err;
  EXPECT_NE(err.find("unexpected argument '--bogus'"), std::string::npos) << err;
}

}  // namespace
}  // namespace portcullis::cli
