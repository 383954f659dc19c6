// The client commands end to end, in process: RunClient -> real socket -> ControlServer ->
// Dispatcher -> FakeDaemon.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "fakes/control_harness.h"

namespace portcullis::cli {
namespace {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class ClientCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path("p.sock");
    harness_.fake().jails["sshd"].status.total_failed = 51;
    ASSERT_TRUE(harness_.server().Listen(path_, 0600, std::nullopt).ok());
    harness_.Start();
  }

  CliRun Cli(std::vector<std::string> args, bool with_socket = true) {
    if (with_socket) {
      args.push_back("--socket");
      args.push_back(path_);
    }
    std::vector<char*> argv;
    argv.reserve(args.size());
    for (std::string& a : args) {
      argv.push_back(a.data());
    }
    testing::internal::CaptureStdout();
    testing::internal::CaptureStderr();
    int code = RunClient(static_cast<int>(argv.size()), argv.data());
    std::string out = testing::internal::GetCapturedStdout();
    std::string err = testing::internal::GetCapturedStderr();
    return {code, out, err};
  }

  // The fake's call log; only valid after the server thread has stopped.
  const std::vector<std::string>& Calls() {
    harness_.Stop();
    return harness_.fake().calls;
  }

  ControlTempDir dir_;
  std::string path_;
  ControlHarness harness_;
};

TEST_F(ClientCommandsTest, PingAndVersion) {
  CliRun r = Cli({"ping"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "portcullisd replied: pong\n");
  r = Cli({"version", "--json"});
  EXPECT_EQ(r.code, 0);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["protocol"], 1);
  EXPECT_TRUE(j["client_version"].is_string());
}

TEST_F(ClientCommandsTest, StatusHumanAndJson) {
  CliRun r = Cli({"status", "sshd"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("|  |- Total failed:     51\n"), std::string::npos) << r.out;
  r = Cli({"status", "sshd", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["total_failed"], 51);
  r = Cli({"status", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "portcullis: no jail 'nope'\n");
  r = Cli({"status", "nope", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["code"], "not_found");
}

TEST_F(ClientCommandsTest, BanFromFileIsOneRequest) {
  std::ofstream(dir_.path("list.txt")) << "# blocklist\n192.0.2.1\n198.51.100.7 # scanner\n\n";
  CliRun r = Cli({"ban", "sshd", "--file", dir_.path("list.txt"), "--for", "1h"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "banned 2 addresses in sshd for 1h\n");
  r = Cli({"ban", "sshd", "127.0.0.1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out,
            "127.0.0.1: refused: loopback or unspecified address\n"
            "banned 0 addresses in sshd for its bantime (1 refused)\n");
  r = Cli({"ban", "sshd", "--file", dir_.path("missing.txt")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"Ban sshd 192.0.2.1,198.51.100.7 for=3600 force=0",
                                               "Ban sshd 127.0.0.1 for=default force=0"}));
}

TEST_F(ClientCommandsTest, Fail2banSpellingsReachTheSameCalls) {
  EXPECT_EQ(Cli({"set", "sshd", "banip", "192.0.2.1", "192.0.2.2"}).code, 0);
  CliRun r = Cli({"get", "sshd", "banned"});
  EXPECT_EQ(r.out, "192.0.2.1\n192.0.2.2\n");
  r = Cli({"banned", "192.0.2.1"});
  EXPECT_EQ(r.out, "192.0.2.1 is banned in sshd (10m left)\n");
  EXPECT_EQ(Cli({"set", "sshd", "unbanip", "192.0.2.1"}).out, "192.0.2.1: unbanned from sshd\n");
  EXPECT_EQ(Cli({"unban", "--all"}).out, "unbanned 1 ban\n");
  EXPECT_EQ(Cli({"set", "sshd", "maxretry", "3"}).out, "sshd: maxretry = 3\n");
  EXPECT_EQ(Cli({"get", "sshd", "maxretry"}).out, "3\n");
  const auto& calls = Calls();
  EXPECT_EQ(calls[0], "Ban sshd 192.0.2.1,192.0.2.2 for=default force=0");
  EXPECT_EQ(calls[3], "Unban sshd 192.0.2.1");
  EXPECT_EQ(calls[4], "UnbanAll");
}

TEST_F(ClientCommandsTest, ReloadErrorsAndStop) {
  EXPECT_EQ(Cli({"reload"}).out, "configuration reloaded\n");
  CliRun r = Cli({"reload", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "portcullis: reload failed with 1 error; the previous configuration is still running\n"
            "  no jail 'nope'\n");
  EXPECT_EQ(Cli({"flushlogs"}).out, "log file reopened\n");
  EXPECT_EQ(Cli({"stop"}).out, "portcullisd is stopping\n");
  Calls();
  EXPECT_TRUE(harness_.fake().stop_requested);
}

TEST_F(ClientCommandsTest, UsageErrorsExitTwo) {
  CliRun r = Cli({"ban", "sshd"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("usage: portcullis ban JAIL ADDR..."), std::string::npos) << r.err;
  EXPECT_EQ(Cli({"status", "--bogus"}).code, 2);
  r = Cli({"ban", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("usage: portcullis ban"), std::string::npos);
}

TEST_F(ClientCommandsTest, DaemonNotRunningExitsThree) {
  std::string missing = dir_.path("nothing.sock");
  CliRun r = Cli({"status", "--socket", missing}, false);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "portcullis: portcullisd is not running (no socket at " + missing + ")\n");
  r = Cli({"version", "--socket", missing}, false);
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.out.rfind("portcullis ", 0), 0u);  // the client's own version still prints
}

TEST_F(ClientCommandsTest, ConfigDirNamesTheSocket) {
  std::ofstream(dir_.path("portcullis.toml")) << "[daemon]\nsocket = \"" << path_ << "\"\n";
  CliRun r = Cli({"ping", "--config-dir", dir_.path("")}, false);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "portcullisd replied: pong\n");
}

}  // namespace
}  // namespace portcullis::cli
