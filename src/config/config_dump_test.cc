#include "config/config_dump.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"

namespace portcullis {
namespace {

namespace fs = std::filesystem;

TEST(FormatDurationText, LargestUnitsFirst) {
  EXPECT_EQ(FormatDurationText(0), "0s");
  EXPECT_EQ(FormatDurationText(45), "45s");
  EXPECT_EQ(FormatDurationText(600), "10m");
  EXPECT_EQ(FormatDurationText(5400), "1h30m");
  EXPECT_EQ(FormatDurationText(604800), "1w");
  EXPECT_EQ(FormatDurationText(694861), "1w1d1h1m1s");
}

class ConfigDumpTest : public ::testing::Test {
 protected:
  ConfigDumpTest() {
    std::string pattern = (fs::temp_directory_path() / "portcullis-dump-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  ~ConfigDumpTest() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& dir, const std::string& name, const std::string& text) {
    fs::create_directories(dir);
    std::ofstream(dir + "/" + name) << text;
  }
  Result<Config> Load(const std::string& dir) {
    LoadOptions options;
    options.services = &BuiltinServices();
    return LoadConfig(dir, options);
  }

  std::string dir_;
};

TEST_F(ConfigDumpTest, NamesTheFileAndLineOfEachValue) {
  Write(dir_, "jail.toml",
        "[defaults]\nbantime = \"1h\"\n[sshd]\nenabled = true\nlogpath = \"/var/log/auth.log\"\n"
        "port = [\"ssh\", \"6000:6010\"]\n");
  Result<Config> config = Load(dir_);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  std::string dump = DumpConfig(*config);
  // Values are padded to column 40, then the comment.
  auto line = [](std::string assignment, const std::string& comment) {
    assignment.resize(40, ' ');
    return "\n" + assignment + "  # " + comment + "\n";
  };
  EXPECT_NE(dump.find("\n[sshd]\n"), std::string::npos) << dump;
  EXPECT_NE(dump.find(line("enabled = true", "jail.toml:4")), std::string::npos) << dump;
  EXPECT_NE(dump.find(line("bantime = \"1h\"", "jail.toml:2 [defaults]")), std::string::npos)
      << dump;
  EXPECT_NE(dump.find(line("port = [22, \"6000:6010\"]", "jail.toml:6")), std::string::npos)
      << dump;
  EXPECT_NE(dump.find(line("maxretry = 5", "built-in")), std::string::npos) << dump;
  EXPECT_NE(dump.find(line("filter = \"sshd\"", "the jail's name")), std::string::npos) << dump;
  EXPECT_NE(dump.find(line("socket_mode = \"0660\"", "built-in")), std::string::npos) << dump;
}

// Loading the dump gives back the same configuration: the dump is complete and valid TOML.
TEST_F(ConfigDumpTest, RoundTripsThroughTheLoader) {
  Write(dir_, "portcullis.toml",
        "[daemon]\nsocket_mode = 0o600\nlog_level = \"debug\"\nmin_prefix_v6 = 48\n"
        "[firewall]\nhook = [\"forward\"]\nbackend = \"none\"\n[database]\ndbpurgeage = \"3d\"\n");
  Write(dir_, "jail.toml",
        "[defaults]\nignoreip = [\"192.0.2.0/24\", \"2001:db8::/32\", \"home.example.org\"]\n"
        "[sshd]\nenabled = true\nlogpath = [\"/var/log/auth.log\", \"/var/log/a*.log\"]\n"
        "filter = \"sshd[mode=aggressive]\"\nport = [\"ssh\", \"1000:2000\"]\n"
        "bantime = \"permanent\"\nbantime_factor = 1.5\nbantime_multipliers = [1, 2, 8]\n"
        "protocol = [\"tcp\", \"udp\"]\nblocktype = \"drop\"\nlogtimezone = \"+0200\"\n"
        "datepattern = \"%Y-%m-%d %H:%M:%S\"\njournalmatch = [\"_COMM=sshd\"]\n"
        "backend = \"file\"\njournalpath = [\"/var/log/journal/remote\"]\n"
        "[\"odd.name\"]\nport = \"all\"\nprotocol = \"all\"\nbantime_increment = true\n"
        "bantime_maxtime = \"5w\"\nbantime_rndtime = \"1m30s\"\nmax_tracked = 17\n"
        "ignore_logged_in = false\nignoreself = false\nlogpath = \"/x\"\n");
  Result<Config> original = Load(dir_);
  ASSERT_TRUE(original.ok()) << original.status().ToString();

  std::string again = dir_ + "/again";
  Write(again, "portcullis.toml", DumpDaemonSettings(*original));
  Write(again, "jail.toml", DumpJails(*original));
  Result<Config> reloaded = Load(again);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString() << "\n" << DumpConfig(*original);
  EXPECT_EQ(reloaded->daemon, original->daemon);
  EXPECT_EQ(reloaded->firewall, original->firewall);
  EXPECT_EQ(reloaded->database, original->database);
  EXPECT_EQ(reloaded->jails, original->jails) << DumpConfig(*original);
  ASSERT_EQ(reloaded->jails.size(), 2u);
  EXPECT_EQ(reloaded->jails[1].name, "odd.name");
}

TEST_F(ConfigDumpTest, ShippedConfigRoundTrips) {
  Result<Config> original = Load(std::string(PORTCULLIS_SOURCE_DIR) + "/packaging/config");
  ASSERT_TRUE(original.ok()) << original.status().ToString();
  Write(dir_, "portcullis.toml", DumpDaemonSettings(*original));
  Write(dir_, "jail.toml", DumpJails(*original));
  Result<Config> reloaded = Load(dir_);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(reloaded->jails, original->jails);
}

}  // namespace
}  // namespace portcullis
