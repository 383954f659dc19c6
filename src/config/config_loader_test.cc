#include "config/config_loader.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace portcullis {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class TempConfigDir {
 public:
  TempConfigDir() {
    std::string pattern = (fs::temp_directory_path() / "portcullis-config-XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempConfigDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempConfigDir(const TempConfigDir&) = delete;
  TempConfigDir& operator=(const TempConfigDir&) = delete;

  void Write(const std::string& name, const std::string& text) const {
    fs::path file = fs::path(path_) / name;
    fs::create_directories(file.parent_path());
    std::ofstream out(file);
    out << text;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ConfigLoaderTest : public ::testing::Test {
 protected:
  // Loads and expects success.
  Config Load() {
    std::vector<ConfigError> errors;
    Result<Config> config = LoadConfig(dir_.path(), Options(), &errors);
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    if (!config.ok()) return Config{};
    EXPECT_TRUE(errors.empty());
    return *std::move(config);
  }

  // Loads and expects failure; returns every error as text.
  std::vector<std::string> Errors() {
    std::vector<ConfigError> errors;
    Result<Config> config = LoadConfig(dir_.path(), Options(), &errors);
    EXPECT_FALSE(config.ok());
    std::vector<std::string> out;
    out.reserve(errors.size());
    for (const ConfigError& error : errors) out.push_back(error.ToString());
    return out;
  }

  // The one error of a jail.local.toml holding `text` under [sshd] (plus a valid jail.toml).
  std::string SshdError(const std::string& text) {
    dir_.Write("jail.toml", "[sshd]\nenabled = true\nlogpath = \"/var/log/auth.log\"\n");
    dir_.Write("jail.local.toml", "[sshd]\n" + text + "\n");
    std::vector<std::string> errors = Errors();
    EXPECT_EQ(errors.size(), 1u) << text;
    return errors.empty() ? "" : errors.front();
  }

  // The sshd jail after a jail.toml holding `text` under [sshd].
  JailConfig Sshd(const std::string& text) {
    dir_.Write("jail.toml", "[sshd]\nlogpath = \"/var/log/auth.log\"\n" + text + "\n");
    Config config = Load();
    const JailConfig* jail = config.FindJail("sshd");
    EXPECT_NE(jail, nullptr);
    return jail != nullptr ? *jail : JailConfig{};
  }

  static LoadOptions Options() {
    LoadOptions options;
    options.services = &BuiltinServices();
    return options;
  }

  TempConfigDir dir_;
};

TEST_F(ConfigLoaderTest, EmptyDirectoryGivesBuiltInDefaultsAndNoJails) {
  Config config = Load();
  EXPECT_EQ(config.daemon, DaemonSettings{});
  EXPECT_EQ(config.firewall, FirewallSettings{});
  EXPECT_EQ(config.database, DatabaseSettings{});
  EXPECT_TRUE(config.jails.empty());
  EXPECT_TRUE(config.origins.empty());
}

TEST_F(ConfigLoaderTest, MissingDirectoryIsNotFound) {
  std::vector<ConfigError> errors;
  Result<Config> config = LoadConfig(dir_.path() + "/nope", Options(), &errors);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].ToString(), dir_.path() + "/nope: not a directory");
}

TEST_F(ConfigLoaderTest, DaemonSettingsAndLocalOverride) {
  dir_.Write("portcullis.toml",
             "[daemon]\n"
             "socket = \"/run/p.sock\"\n"
             "socket_group = \"adm\"\n"
             "socket_mode = 0o640\n"
             "log_level = \"debug\"\n"
             "state_dir = \"/srv/state\"\n"
             "min_prefix_v4 = 24\n"
             "[firewall]\n"
             "backend = \"none\"\n"
             "hook = [\"input\", \"forward\"]\n"
             "priority = 5\n"
             "[database]\n"
             "dbpurgeage = \"2d\"\n");
  dir_.Write("portcullis.local.toml",
             "[daemon]\n"
             "log_level = \"trace\"\n"
             "socket_mode = \"0600\"\n"
             "ignore_logged_in = false\n"
             "[firewall]\n"
             "table = \"guard\"\n");
  Config config = Load();
  EXPECT_EQ(config.daemon.socket, "/run/p.sock");
  EXPECT_EQ(config.daemon.socket_group, "adm");
  EXPECT_EQ(config.daemon.socket_mode, 0600u);
  EXPECT_EQ(config.daemon.log_level, LogLevel::kTrace);
  EXPECT_EQ(config.daemon.state_dir, "/srv/state");
  EXPECT_EQ(config.daemon.min_prefix_v4, 24);
  EXPECT_EQ(config.daemon.min_prefix_v6, 32);
  EXPECT_FALSE(config.daemon.ignore_logged_in);
  EXPECT_EQ(config.firewall.backend, FirewallBackend::kNone);
  EXPECT_EQ(config.firewall.table, "guard");
  EXPECT_EQ(config.firewall.priority, 5);
  EXPECT_TRUE(config.firewall.hook_input);
  EXPECT_TRUE(config.firewall.hook_forward);
  EXPECT_EQ(config.database.purge_age, 2 * 86400);
  // The database file follows state_dir unless set.
  EXPECT_EQ(config.database.file, "/srv/state/portcullis.db");
  EXPECT_EQ(config.origins.at("daemon.log_level"), "portcullis.local.toml:2");
  EXPECT_EQ(config.origins.at("daemon.socket"), "portcullis.toml:2");
  EXPECT_EQ(config.origins.count("daemon.pid_file"), 0u);
}

TEST_F(ConfigLoaderTest, MergeOrderIsJailThenLocalThenDropInsThenLocalDropIns) {
  dir_.Write(
      "jail.toml",
      "[sshd]\nlogpath = \"/var/log/auth.log\"\n"
      "maxretry = 1\nfindtime = 100\nbantime = 100\nmax_tracked = 100\nbantime_rndtime = 100\n");
  dir_.Write("jail.local.toml",
             "[sshd]\nfindtime = 200\nbantime = 200\nmax_tracked = 200\nbantime_rndtime = 200\n");
  dir_.Write("jails.d/b.toml", "[sshd]\nmax_tracked = 400\nbantime_rndtime = 400\n");
  dir_.Write("jails.d/a.toml", "[sshd]\nbantime = 300\nmax_tracked = 300\nbantime_rndtime = 300\n");
  dir_.Write("jails.d/a.local.toml", "[sshd]\nbantime_rndtime = 500\n");
  dir_.Write("jails.d/README.md", "not toml, ignored\n");
  dir_.Write("jails.d/.hidden.toml", "not even [ valid\n");
  Config config = Load();
  ASSERT_EQ(config.jails.size(), 1u);
  const JailConfig& sshd = config.jails[0];
  EXPECT_EQ(sshd.maxretry, 1);           // jail.toml
  EXPECT_EQ(sshd.findtime, 200);         // jail.local.toml
  EXPECT_EQ(sshd.bantime, 300);          // jails.d/a.toml
  EXPECT_EQ(sshd.max_tracked, 400);      // jails.d/b.toml
  EXPECT_EQ(sshd.bantime_rndtime, 500);  // jails.d/a.local.toml, after every plain drop-in
  EXPECT_EQ(config.origins.at("jail.sshd.maxretry"), "jail.toml:3");
  EXPECT_EQ(config.origins.at("jail.sshd.max_tracked"), "jails.d/b.toml:2");
  EXPECT_EQ(ConfigFiles(dir_.path()),
            (std::vector<std::string>{"jail.toml", "jail.local.toml", "jails.d/a.toml",
                                      "jails.d/b.toml", "jails.d/a.local.toml"}));
}

TEST_F(ConfigLoaderTest, JailValuesBeatDefaultsFromAnyFileAndDefaultsMergeKeyByKey) {
  dir_.Write("jail.toml",
             "[defaults]\n"
             "bantime = \"10m\"\n"
             "findtime = \"10m\"\n"
             "maxretry = 5\n"
             "ignoreip = [\"127.0.0.1/8\", \"::1\"]\n"
             "\n"
             "[sshd]\n"
             "enabled = true\n"
             "logpath = \"/var/log/auth.log\"\n"
             "\n"
             "[recidive]\n"
             "logpath = \"/var/log/portcullis.log\"\n"
             "bantime = \"1w\"\n");
  dir_.Write("jail.local.toml",
             "[defaults]\n"
             "bantime = \"1h\"\n"
             "maxretry = 3\n");
  Config config = Load();
  ASSERT_EQ(config.jails.size(), 2u);
  // Jails keep the order in which they first appear (not alphabetical).
  EXPECT_EQ(config.jails[0].name, "sshd");
  EXPECT_EQ(config.jails[1].name, "recidive");
  const JailConfig& sshd = config.jails[0];
  EXPECT_TRUE(sshd.enabled);
  EXPECT_EQ(sshd.filter, "sshd");  // defaults to the jail's name
  EXPECT_EQ(sshd.bantime, 3600);   // [defaults] of jail.local.toml
  EXPECT_EQ(sshd.findtime, 600);   // [defaults] of jail.toml, not overridden
  EXPECT_EQ(sshd.maxretry, 3);
  ASSERT_EQ(sshd.ignore_cidrs.size(), 2u);
  EXPECT_EQ(sshd.ignore_cidrs[0].ToString(), "127.0.0.0/8");
  EXPECT_EQ(sshd.ignore_cidrs[1].ToString(), "::1");
  EXPECT_EQ(sshd.blocktype, BlockType::kReject);  // built-in
  EXPECT_EQ(config.origins.at("jail.sshd.bantime"), "jail.local.toml:2 [defaults]");
  EXPECT_EQ(config.origins.at("jail.sshd.enabled"), "jail.toml:8");
  EXPECT_EQ(config.origins.count("jail.sshd.blocktype"), 0u);
  // recidive's own bantime (jail.toml) beats the user's [defaults] bantime (jail.local.toml).
  const JailConfig& recidive = config.jails[1];
  EXPECT_FALSE(recidive.enabled);
  EXPECT_EQ(recidive.bantime, 7 * 86400);
  EXPECT_EQ(recidive.maxretry, 3);
}

TEST_F(ConfigLoaderTest, JailIgnoreLoggedInFollowsTheDaemonUnlessSet) {
  dir_.Write("portcullis.toml", "[daemon]\nignore_logged_in = false\n");
  dir_.Write("jail.toml", "[a]\n[b]\nignore_logged_in = true\n");
  Config config = Load();
  ASSERT_EQ(config.jails.size(), 2u);
  EXPECT_FALSE(config.FindJail("a")->ignore_logged_in);
  EXPECT_TRUE(config.FindJail("b")->ignore_logged_in);
}

TEST_F(ConfigLoaderTest, Durations) {
  EXPECT_EQ(Sshd("findtime = 600").findtime, 600);
  EXPECT_EQ(Sshd("findtime = \"10m\"").findtime, 600);
  EXPECT_EQ(Sshd("findtime = \"1h30m\"").findtime, 5400);
  EXPECT_EQ(Sshd("findtime = \"1w\"").findtime, 604800);
  EXPECT_EQ(Sshd("findtime = \"1d12h\"").findtime, 129600);
  JailConfig permanent = Sshd("bantime = \"permanent\"");
  EXPECT_TRUE(permanent.bantime_permanent);
  EXPECT_FALSE(Sshd("bantime = 60").bantime_permanent);
  EXPECT_TRUE(Sshd("bantime = -1").bantime_permanent);  // fail2ban's spelling
  EXPECT_EQ(Sshd("bantime_maxtime = 0").bantime_maxtime, 0);
  EXPECT_EQ(Sshd("bantime_rndtime = \"30s\"").bantime_rndtime, 30);
  EXPECT_EQ(Sshd("bantime = \"100y\"").bantime, int64_t{100} * 365 * 86400);
}

TEST_F(ConfigLoaderTest, DurationErrors) {
  EXPECT_EQ(SshdError("findtime = \"permanent\""),
            "jail.local.toml:2:1: [sshd] findtime: expected a duration > 0 (600, \"10m\", "
            "\"1h30m\", \"1w\"), got \"permanent\"");
  EXPECT_EQ(SshdError("findtime = 0"),
            "jail.local.toml:2:1: [sshd] findtime: expected a duration > 0 (600, \"10m\", "
            "\"1h30m\", \"1w\"), got 0");
  EXPECT_EQ(SshdError("bantime = -2"),
            "jail.local.toml:2:1: [sshd] bantime: expected a duration > 0 (600, \"10m\", "
            "\"1h30m\", \"1w\", \"permanent\"), got -2");
  EXPECT_EQ(SshdError("bantime = \"ten minutes\""),
            "jail.local.toml:2:1: [sshd] bantime: expected a duration > 0 (600, \"10m\", "
            "\"1h30m\", \"1w\", \"permanent\"), got \"ten minutes\"");
  EXPECT_EQ(SshdError("bantime = \"101y\""),
            "jail.local.toml:2:1: [sshd] bantime: expected a duration of at most 100y (or "
            "\"permanent\"), got \"101y\"");
  EXPECT_EQ(SshdError("findtime = 9223372036854775807"),
            "jail.local.toml:2:1: [sshd] findtime: expected a duration of at most 100y, got "
            "9223372036854775807");
  EXPECT_EQ(SshdError("bantime_rndtime = 1.5"),
            "jail.local.toml:2:1: [sshd] bantime_rndtime: expected a duration >= 0 (600, \"10m\", "
            "\"1h30m\", \"1w\"), got 1.5");
}

TEST_F(ConfigLoaderTest, Ports) {
  JailConfig all = Sshd("port = \"all\"");
  EXPECT_TRUE(all.all_ports);
  EXPECT_TRUE(all.ports.empty());
  JailConfig ssh = Sshd("port = \"ssh\"");
  EXPECT_FALSE(ssh.all_ports);
  EXPECT_EQ(ssh.ports, (std::vector<PortRange>{{22, 22}}));
  EXPECT_EQ(Sshd("port = \"http,https\"").ports, (std::vector<PortRange>{{80, 80}, {443, 443}}));
  EXPECT_EQ(Sshd("port = 2222").ports, (std::vector<PortRange>{{2222, 2222}}));
  EXPECT_EQ(Sshd("port = \"1000:2000\"").ports, (std::vector<PortRange>{{1000, 2000}}));
  EXPECT_EQ(Sshd("port = [\"ssh\", 2222, \"6000-6010\", \"http,https\"]").ports,
            (std::vector<PortRange>{{22, 22}, {80, 80}, {443, 443}, {2222, 2222}, {6000, 6010}}));
  // Unset: every port; the shipped jail.toml always names them.
  EXPECT_TRUE(Sshd("").all_ports);
}

TEST_F(ConfigLoaderTest, PortErrors) {
  EXPECT_EQ(SshdError("port = \"sshh\""),
            "jail.local.toml:2:1: [sshd] port: unknown service name \"sshh\"");
  EXPECT_EQ(SshdError("port = 70000"),
            "jail.local.toml:2:1: [sshd] port: port 70000 is not in 1..65535");
  // An element of a list is reported at the element.
  EXPECT_EQ(SshdError("port = [22, \"2000:1000\"]"),
            "jail.local.toml:2:13: [sshd] port: port range \"2000:1000\" ends before it starts");
  EXPECT_EQ(SshdError("port = true"),
            "jail.local.toml:2:1: [sshd] port: expected \"all\", a port, a service name, a range "
            "\"1000:2000\", or a list of these, got true");
}

TEST_F(ConfigLoaderTest, Protocols) {
  JailConfig tcp = Sshd("");
  EXPECT_EQ(tcp.protocols, (std::vector<Protocol>{Protocol::kTcp}));
  EXPECT_FALSE(tcp.all_protocols);
  EXPECT_EQ(Sshd("protocol = \"udp\"").protocols, (std::vector<Protocol>{Protocol::kUdp}));
  EXPECT_EQ(Sshd("protocol = [\"udp\", \"tcp\"]").protocols,
            (std::vector<Protocol>{Protocol::kTcp, Protocol::kUdp}));
  JailConfig all = Sshd("protocol = \"all\"\nport = \"all\"");
  EXPECT_TRUE(all.all_protocols);
  EXPECT_TRUE(all.protocols.empty());
  EXPECT_EQ(SshdError("protocol = \"icmp\""),
            "jail.local.toml:2:1: [sshd] protocol: expected \"tcp\", \"udp\", \"all\" or a list "
            "of \"tcp\" and \"udp\", got \"icmp\"");
  EXPECT_EQ(SshdError("protocol = \"all\"\nport = 22"),
            "jail.local.toml:2:1: [sshd] protocol: \"all\" needs port = \"all\"; with a port list, "
            "name the protocols, e.g. [\"tcp\", \"udp\"]");
}

TEST_F(ConfigLoaderTest, FilterWithModeInBracketsOrAsAKey) {
  JailConfig bracket = Sshd("filter = \"sshd[mode=aggressive]\"");
  EXPECT_EQ(bracket.filter, "sshd");
  EXPECT_EQ(bracket.mode, "aggressive");
  JailConfig keys = Sshd("filter = \"postfix\"\nmode = \"auth\"");
  EXPECT_EQ(keys.filter, "postfix");
  EXPECT_EQ(keys.mode, "auth");
  // The bracket wins over the mode key.
  JailConfig both = Sshd("filter = \"sshd[mode=ddos]\"\nmode = \"normal\"");
  EXPECT_EQ(both.mode, "ddos");
  JailConfig plain = Sshd("");
  EXPECT_EQ(plain.filter, "sshd");
  EXPECT_EQ(plain.mode, "");
  EXPECT_EQ(SshdError("filter = \"sshd[type=allports]\""),
            "jail.local.toml:2:1: [sshd] filter: unknown filter argument \"type\" (only mode=NAME "
            "is supported)");
}

TEST_F(ConfigLoaderTest, IgnoreIpSplitsAddressesFromHostNames) {
  JailConfig jail = Sshd(
      "ignoreip = [\"192.0.2.7/24\", \"2001:db8::1\", \"home.example.org\", "
      "\"198.51.100.1 203.0.113.0/25\"]");
  std::vector<std::string> cidrs;
  for (const Cidr& cidr : jail.ignore_cidrs) cidrs.push_back(cidr.ToString());
  EXPECT_EQ(cidrs, (std::vector<std::string>{"192.0.2.0/24", "2001:db8::1", "198.51.100.1",
                                             "203.0.113.0/25"}));
  EXPECT_EQ(jail.ignore_hosts, (std::vector<std::string>{"home.example.org"}));
  // fail2ban's one-string form.
  JailConfig string_form = Sshd("ignoreip = \"127.0.0.1/8 ::1, gw.example.net\"");
  EXPECT_EQ(string_form.ignore_cidrs.size(), 2u);
  EXPECT_EQ(string_form.ignore_hosts, (std::vector<std::string>{"gw.example.net"}));
}

TEST_F(ConfigLoaderTest, IgnoreIpErrors) {
  EXPECT_EQ(SshdError("ignoreip = [\"192.0.2.1\", \"300.1.1.1\"]"),
            "jail.local.toml:2:26: [sshd] ignoreip: \"300.1.1.1\" is not an address, a CIDR block "
            "or a host name");
  EXPECT_EQ(SshdError("ignoreip = \"192.0.2.0/33\""),
            "jail.local.toml:2:1: [sshd] ignoreip: \"192.0.2.0/33\" is not an address, a CIDR "
            "block or a host name");
  EXPECT_EQ(SshdError("ignoreip = [\"192.0.2.1\", 7]"),
            "jail.local.toml:2:26: [sshd] ignoreip: expected a string, got 7");
}

TEST_F(ConfigLoaderTest, ValueErrorsNameFileLineColumnAndKey) {
  EXPECT_EQ(SshdError("maxretry = \"five\""),
            "jail.local.toml:2:1: [sshd] maxretry: expected an integer in 1..10000, got \"five\"");
  EXPECT_EQ(SshdError("maxretry = 0"),
            "jail.local.toml:2:1: [sshd] maxretry: expected an integer in 1..10000, got 0");
  EXPECT_EQ(SshdError("enabled = \"yes\""),
            "jail.local.toml:2:1: [sshd] enabled: expected true or false, got \"yes\"");
  EXPECT_EQ(SshdError("blocktype = \"tarpit\""),
            "jail.local.toml:2:1: [sshd] blocktype: expected \"reject\" or \"drop\", got "
            "\"tarpit\"");
  EXPECT_EQ(SshdError("logpath = [\"/var/log/auth.log\", \"auth.log\"]"),
            "jail.local.toml:2:33: [sshd] logpath: expected an absolute path, got \"auth.log\"");
  EXPECT_EQ(SshdError("logtimezone = \"Europe/Paris\""),
            "jail.local.toml:2:1: [sshd] logtimezone: expected \"local\", \"UTC\" or a fixed "
            "offset such as \"+0200\", got \"Europe/Paris\"");
  EXPECT_EQ(SshdError("bantime_factor = 0"),
            "jail.local.toml:2:1: [sshd] bantime_factor: expected a number > 0 and <= 1000, got 0");
  EXPECT_EQ(SshdError("bantime_multipliers = [1, 2, 0]"),
            "jail.local.toml:2:30: [sshd] bantime_multipliers: expected an integer in 1..1000000, "
            "got 0");
  EXPECT_EQ(SshdError("  max_tracked = {}"),
            "jail.local.toml:2:3: [sshd] max_tracked: expected an integer >= 10, got a table");
}

TEST_F(ConfigLoaderTest, UnknownKeysSuggestTheNearestKey) {
  EXPECT_EQ(SshdError("maxretries = 3"),
            "jail.local.toml:2:1: [sshd] maxretries: unknown key; did you mean \"maxretry\"?");
  EXPECT_EQ(SshdError("bantmie = 3"),
            "jail.local.toml:2:1: [sshd] bantmie: unknown key; did you mean \"bantime\"?");
  EXPECT_EQ(SshdError("banaction = \"nftables\""),
            "jail.local.toml:2:1: [sshd] banaction: unknown key");
  EXPECT_EQ(SshdError("log_level = \"debug\""),
            "jail.local.toml:2:1: [sshd] log_level: unknown key (log_level is a daemon setting: "
            "set it under [daemon] in portcullis.local.toml)");
  EXPECT_EQ(SshdError("dbpurgeage = \"1d\""),
            "jail.local.toml:2:1: [sshd] dbpurgeage: unknown key (dbpurgeage is a daemon setting: "
            "set it under [database] in portcullis.local.toml)");
  // fail2ban's dotted names are nested tables in TOML.
  EXPECT_EQ(SshdError("bantime.increment = true"),
            "jail.local.toml:2:9: [sshd] bantime.increment: unknown key; did you mean "
            "\"bantime_increment\"?");
}

TEST_F(ConfigLoaderTest, DaemonFileErrors) {
  dir_.Write("portcullis.toml",
             "log_level = \"debug\"\n"
             "[deamon]\n"
             "[daemon]\n"
             "sockett = \"/run/x.sock\"\n"
             "log_level = \"verbose\"\n"
             "min_prefix_v4 = 0\n"
             "socket_mode = \"rw-rw----\"\n"
             "log_file = \"portcullis.log\"\n"
             "[firewall]\n"
             "hook = [\"input\", \"output\"]\n"
             "table = \"my table\"\n"
             "[database]\n"
             "dbpurgeage = \"forever\"\n");
  // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): long messages are split literals
  EXPECT_EQ(
      Errors(),
      (std::vector<std::string>{
          "portcullis.toml:1:1: log_level: settings belong in a table; put it under [daemon]",
          "portcullis.toml:2:2: [deamon]: unknown table; did you mean \"daemon\"?",
          "portcullis.toml:4:1: [daemon] sockett: unknown key; did you mean \"socket\"?",
          "portcullis.toml:5:1: [daemon] log_level: expected \"error\", \"warning\", \"info\", "
          "\"debug\" or \"trace\", got \"verbose\"",
          "portcullis.toml:6:1: [daemon] min_prefix_v4: expected an integer in 1..32, got 0",
          "portcullis.toml:7:1: [daemon] socket_mode: expected a file mode such as \"0660\" or "
          "0o660, got \"rw-rw----\"",
          "portcullis.toml:8:1: [daemon] log_file: expected an absolute path, \"stderr\" or "
          "\"journal\", got \"portcullis.log\"",
          "portcullis.toml:10:18: [firewall] hook: expected \"input\" or \"forward\", got "
          "\"output\"",
          "portcullis.toml:11:1: [firewall] table: expected an nftables table name (a letter, "
          "then letters, digits or '_'), got \"my table\"",
          "portcullis.toml:13:1: [database] dbpurgeage: expected a duration > 0 (600, \"10m\", "
          "\"1h30m\", \"1w\"), got \"forever\"",
      }));
}

TEST_F(ConfigLoaderTest, ASingleHookIsReportedAtTheKey) {
  dir_.Write("portcullis.toml", "[firewall]\nhook = \"output\"\n");
  EXPECT_EQ(Errors(), (std::vector<std::string>{"portcullis.toml:2:1: [firewall] hook: expected "
                                                "\"input\" or \"forward\", got \"output\""}));
  dir_.Write("portcullis.toml", "[firewall]\nhook = \"forward\"\n");
  Config config = Load();
  EXPECT_FALSE(config.firewall.hook_input);
  EXPECT_TRUE(config.firewall.hook_forward);
}

TEST_F(ConfigLoaderTest, JailKeysInTheDaemonFileSayWhereTheyBelong) {
  dir_.Write("portcullis.local.toml", "[daemon]\nbantime = \"1h\"\nmaxretry = 3\n");
  EXPECT_EQ(Errors(),
            (std::vector<std::string>{
                "portcullis.local.toml:2:1: [daemon] bantime: unknown key (bantime is a jail key: "
                "set it under [defaults] in jail.local.toml)",
                "portcullis.local.toml:3:1: [daemon] maxretry: unknown key (maxretry is a jail "
                "key: set it under [defaults] in jail.local.toml)",
            }));
}

TEST_F(ConfigLoaderTest, TomlSyntaxErrorsCarryTheirPosition) {
  dir_.Write("jail.toml", "[sshd]\nmaxretry = 5\n");
  dir_.Write("jail.local.toml", "[sshd]\nmaxretry = 3\nbantime = \"1h\n");
  std::vector<std::string> errors = Errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("jail.local.toml:3:", 0), 0u) << errors[0];
  EXPECT_NE(errors[0].find("string"), std::string::npos) << errors[0];
}

TEST_F(ConfigLoaderTest, JailFileStructureErrors) {
  dir_.Write("jail.toml",
             "maxretry = 3\n"
             "[\"bad name\"]\n"
             "[sshd]\n"
             "enabled = true\n");
  EXPECT_EQ(Errors(),
            (std::vector<std::string>{
                "jail.toml:1:1: maxretry: jail settings belong in [defaults] or in a jail's table",
                "jail.toml:2:2: [bad name]: not a valid jail name (letters, digits, '_', '-', "
                "'.'; at most 64)",
                "jail.toml:4:1: [sshd] logpath: the jail is enabled but has no logpath (or "
                "journalmatch)",
            }));
}

TEST_F(ConfigLoaderTest, EnablingWithoutLogpathIsReportedWhereTheJailIsEnabled) {
  dir_.Write("jail.toml", "[nginx-http-auth]\nport = \"http,https\"\n");
  dir_.Write("jails.d/web.local.toml", "\n[nginx-http-auth]\nenabled = true\n");
  EXPECT_EQ(Errors(), (std::vector<std::string>{"jails.d/web.local.toml:3:1: [nginx-http-auth] "
                                                "logpath: the jail is enabled but has no logpath "
                                                "(or journalmatch)"}));
}

TEST_F(ConfigLoaderTest, JournalBackend) {
  dir_.Write("jail.toml",
             "[sshd]\nenabled = true\nbackend = \"journal\"\n"
             "journalmatch = [\"_SYSTEMD_UNIT=ssh.service\", \"+\", \"_COMM=sshd\"]\n"
             "[auto]\nenabled = true\njournalmatch = \"_COMM=dovecot\"\n");
  Config config = Load();
  const JailConfig* sshd = config.FindJail("sshd");
  ASSERT_NE(sshd, nullptr);
  EXPECT_EQ(sshd->backend, LogBackend::kJournal);
  EXPECT_EQ(sshd->journalmatch,
            (std::vector<std::string>{"_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"}));
  EXPECT_EQ(config.FindJail("auto")->backend, LogBackend::kAuto);
}

TEST_F(ConfigLoaderTest, JournalBackendErrors) {
  dir_.Write("jail.toml",
             "[a]\nenabled = true\nbackend = \"journal\"\nlogpath = \"/var/log/a.log\"\n"
             "[b]\nenabled = true\nbackend = \"file\"\njournalmatch = \"_COMM=b\"\n"
             "[c]\njournalmatch = [\"_COMM=c\", \"comm=c\"]\n"
             "[d]\nbackend = \"systemd\"\n");
  EXPECT_EQ(
      Errors(),
      (std::vector<std::string>{
          "jail.toml:6:1: [b] logpath: the jail is enabled with backend \"file\" but has no "
          "logpath",
          "jail.toml:10:28: [c] journalmatch: expected FIELD=value (FIELD in upper case, e.g. "
          "\"_COMM=sshd\") or \"+\", got \"comm=c\"",
          "jail.toml:12:1: [d] backend: expected \"auto\", \"file\" or \"journal\", got "
          "\"systemd\"",
      }));
}

TEST_F(ConfigLoaderTest, JournalPathAndMatchGroups) {
  dir_.Write("jail.toml",
             "[sshd]\nenabled = true\nbackend = \"journal\"\njournalmatch = \"_COMM=sshd\"\n"
             "journalpath = \"/var/log/journal/remote\"\n"
             "[b]\njournalpath = [\"/ok\", \"relative\"]\n"
             "[c]\njournalmatch = [\"_COMM=c\", \"+\"]\n"
             "[d]\njournalpth = \"/x\"\n");
  EXPECT_EQ(Errors(),
            (std::vector<std::string>{
                "jail.toml:7:23: [b] journalpath: expected an absolute path (a journal directory "
                "or file), got \"relative\"",
                "jail.toml:9:1: [c] journalmatch: \"+\" must stand between two matches (it "
                "starts an OR-ed group)",
                "jail.toml:11:1: [d] journalpth: unknown key; did you mean \"journalpath\"?",
            }));
  dir_.Write("jail.toml",
             "[sshd]\nenabled = true\nbackend = \"journal\"\njournalmatch = \"_COMM=sshd\"\n"
             "journalpath = \"/var/log/journal/remote\"\n");
  Config config = Load();
  EXPECT_EQ(config.FindJail("sshd")->journalpath,
            (std::vector<std::string>{"/var/log/journal/remote"}));
}

TEST_F(ConfigLoaderTest, MaxtimeShorterThanBantime) {
  EXPECT_EQ(SshdError("bantime = \"1h\"\nbantime_increment = true\nbantime_maxtime = \"30m\""),
            "jail.local.toml:4:1: [sshd] bantime_maxtime: 30m is shorter than bantime (1h)");
}

TEST_F(ConfigLoaderTest, EveryErrorIsReportedAtOnceInFileOrder) {
  dir_.Write("portcullis.toml", "[daemon]\nlog_level = 3\n");
  dir_.Write("jail.toml",
             "[defaults]\n"
             "bantime = \"10 minutes\"\n"
             "[sshd]\n"
             "enabled = true\n"
             "logpath = \"/var/log/auth.log\"\n"
             "maxretries = 3\n");
  dir_.Write("jail.local.toml", "[sshd]\nport = \"shh\"\n[recidive]\nfindtime = \"1x\"\n");
  dir_.Write("jails.d/10-web.toml", "[nginx]\nprotocol = 6\n");
  dir_.Write("jails.d/20-broken.toml", "[x\n");
  std::vector<ConfigError> errors;
  Result<Config> config = LoadConfig(dir_.path(), Options(), &errors);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(errors.size(), 7u) << config.status().message();
  EXPECT_EQ(errors[0].file, "portcullis.toml");
  EXPECT_EQ(errors[0].table, "daemon");
  EXPECT_EQ(errors[0].key, "log_level");
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 1);
  EXPECT_EQ(errors[1].ToString(),
            "jail.toml:2:1: [defaults] bantime: expected a duration > 0 (600, \"10m\", \"1h30m\", "
            "\"1w\", \"permanent\"), got \"10 minutes\"");
  EXPECT_EQ(errors[2].ToString(),
            "jail.toml:6:1: [sshd] maxretries: unknown key; did you mean \"maxretry\"?");
  EXPECT_EQ(errors[3].ToString(), "jail.local.toml:2:1: [sshd] port: unknown service name \"shh\"");
  EXPECT_EQ(errors[4].ToString(),
            "jail.local.toml:4:1: [recidive] findtime: expected a duration > 0 (600, \"10m\", "
            "\"1h30m\", \"1w\"), got \"1x\"");
  EXPECT_EQ(errors[5].ToString(),
            "jails.d/10-web.toml:2:1: [nginx] protocol: expected \"tcp\", \"udp\", \"all\" or a "
            "list of \"tcp\" and \"udp\", got 6");
  EXPECT_EQ(errors[6].file, "jails.d/20-broken.toml");
  EXPECT_EQ(errors[6].line, 1);
  // The status lists them all too, under a header.
  const std::string& message = config.status().message();
  EXPECT_EQ(message.rfind("7 errors in " + dir_.path() + ":\n", 0), 0u) << message;
  EXPECT_NE(message.find(errors[3].ToString()), std::string::npos);
}

TEST_F(ConfigLoaderTest, ABadDefaultIsReportedOnceNotPerJail) {
  dir_.Write("jail.toml", "[defaults]\nmaxretry = -1\n[a]\n[b]\n[c]\n");
  EXPECT_EQ(Errors(), (std::vector<std::string>{"jail.toml:2:1: [defaults] maxretry: expected an "
                                                "integer in 1..10000, got -1"}));
}

TEST_F(ConfigLoaderTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) {
    // root reads mode-000 files; use a directory where a file is expected instead.
    fs::create_directories(fs::path(dir_.path()) / "jail.local.toml");
    std::vector<std::string> errors = Errors();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].rfind("jail.local.toml: ", 0), 0u) << errors[0];
    return;
  }
  dir_.Write("jail.local.toml", "[sshd]\n");
  chmod((dir_.path() + "/jail.local.toml").c_str(), 0);
  EXPECT_EQ(Errors(),
            (std::vector<std::string>{"jail.local.toml: cannot read: Permission denied"}));
}

TEST_F(ConfigLoaderTest, UnlistableDropInDirectoryIsAnError) {
  dir_.Write("jail.toml", "[sshd]\n");
  dir_.Write("jails.d", "a file where the directory should be\n");
  EXPECT_EQ(Errors(), (std::vector<std::string>{"jails.d: cannot list: Not a directory"}));
}

// The files we ship load without error, alone and with the example jail.local.toml in place.
TEST(ShippedConfig, LoadsWithoutErrors) {
  const std::string shipped = std::string(PORTCULLIS_SOURCE_DIR) + "/packaging/config";
  LoadOptions options;
  options.services = &BuiltinServices();
  Result<Config> config = LoadConfig(shipped, options);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const JailConfig* sshd = config->FindJail("sshd");
  ASSERT_NE(sshd, nullptr);
  EXPECT_TRUE(sshd->enabled);
  EXPECT_EQ(sshd->logpath, (std::vector<std::string>{"/var/log/auth.log"}));
  EXPECT_EQ(sshd->ports, (std::vector<PortRange>{{22, 22}}));
  EXPECT_EQ(sshd->backend, LogBackend::kAuto);
  EXPECT_EQ(sshd->journalmatch,
            (std::vector<std::string>{"_COMM=sshd", "_COMM=sshd-session", "_COMM=sshd-auth"}));
  for (const char* name :
       {"recidive", "nginx-http-auth", "nginx-limit-req", "nginx-botsearch", "apache-auth",
        "apache-badbots", "apache-noscript", "postfix", "postfix-sasl", "dovecot", "courier-auth",
        "exim", "vsftpd", "proftpd", "pure-ftpd", "mysqld-auth", "named-refused", "selinux-ssh"}) {
    const JailConfig* jail = config->FindJail(name);
    ASSERT_NE(jail, nullptr) << name;
    EXPECT_FALSE(jail->enabled) << name;
    EXPECT_FALSE(jail->logpath.empty()) << name;
  }
  size_t enabled = 0;
  for (const JailConfig& jail : config->jails) enabled += jail.enabled ? 1 : 0;
  EXPECT_EQ(enabled, 1u);
  const JailConfig* recidive = config->FindJail("recidive");
  EXPECT_EQ(recidive->logpath, (std::vector<std::string>{config->daemon.log_file}));
  EXPECT_EQ(recidive->bantime, 7 * 86400);
  EXPECT_EQ(recidive->findtime, 86400);
  EXPECT_EQ(recidive->maxretry, 5);
  EXPECT_TRUE(recidive->all_ports);
  const JailConfig* sasl = config->FindJail("postfix-sasl");
  EXPECT_EQ(sasl->filter, "postfix");
  EXPECT_EQ(sasl->mode, "auth");

  TempConfigDir dir;
  for (const char* file : {"portcullis.toml", "jail.toml"}) {
    std::ifstream in(shipped + "/" + file);
    std::stringstream text;
    text << in.rdbuf();
    dir.Write(file, text.str());
  }
  std::ifstream example(shipped + "/jail.local.toml.example");
  std::stringstream example_text;
  example_text << example.rdbuf();
  ASSERT_FALSE(example_text.str().empty());
  dir.Write("jail.local.toml", example_text.str());
  Result<Config> with_local = LoadConfig(dir.path(), options);
  ASSERT_TRUE(with_local.ok()) << with_local.status().ToString();
  EXPECT_TRUE(with_local->FindJail("recidive")->enabled);
  EXPECT_EQ(with_local->FindJail("sshd")->bantime, 3600);
  EXPECT_EQ(with_local->FindJail("sshd")->maxretry, 4);
  EXPECT_EQ(with_local->FindJail("sshd")->findtime, 600);
}

TEST(ShippedConfig, DropInExamplesLoad) {
  const std::string source = PORTCULLIS_SOURCE_DIR;
  TempConfigDir dir;
  std::error_code ec;
  size_t examples = 0;
  for (const auto& entry : fs::directory_iterator(source + "/jails.d", ec)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".example") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    // "web.toml.example" -> jails.d/web.toml
    dir.Write("jails.d/" + name.substr(0, name.size() - 8), text.str());
    ++examples;
  }
  EXPECT_GT(examples, 0u);
  std::ifstream jail(source + "/packaging/config/jail.toml");
  std::stringstream jail_text;
  jail_text << jail.rdbuf();
  dir.Write("jail.toml", jail_text.str());
  LoadOptions options;
  options.services = &BuiltinServices();
  Result<Config> config = LoadConfig(dir.path(), options);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
}

}  // namespace
}  // namespace portcullis
