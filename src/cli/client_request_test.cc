#include "cli/client_request.h"

#include <gtest/gtest.h>

namespace portcullis::cli {
namespace {

using json = nlohmann::json;

json Request(std::string_view name, const std::vector<std::string>& args) {
  Result<ClientInvocation> r = ParseClientCommand(name, args);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->request : json();
}

std::string UsageError(std::string_view name, const std::vector<std::string>& args) {
  Result<ClientInvocation> r = ParseClientCommand(name, args);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(ParseClientCommand, SimpleCommands) {
  EXPECT_EQ(Request("ping", {}), json({{"cmd", "ping"}}));
  EXPECT_EQ(Request("status", {"sshd"}), json({{"cmd", "status"}, {"jail", "sshd"}}));
  EXPECT_EQ(Request("reload", {}), json({{"cmd", "reload"}}));
  EXPECT_EQ(Request("banned", {"192.0.2.1"}), json({{"cmd", "banned"}, {"addr", "192.0.2.1"}}));
  EXPECT_EQ(Request("stop", {}), json({{"cmd", "stop"}}));
}

TEST(ParseClientCommand, BanWithOptionsAnywhere) {
  EXPECT_EQ(Request("ban", {"sshd", "192.0.2.1", "--for", "1h", "2001:db8::1", "--force"}),
            json({{"cmd", "ban"},
                  {"jail", "sshd"},
                  {"addrs", {"192.0.2.1", "2001:db8::1"}},
                  {"for", "1h"},
                  {"force", true}}));
  EXPECT_EQ(Request("ban", {"--for=permanent", "sshd", "192.0.2.0/24"})["for"], "permanent");
  Result<ClientInvocation> r = ParseClientCommand("ban", {"sshd", "--file", "-"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->addr_file, "-");
  EXPECT_EQ(r->request["addrs"], json::array());
  EXPECT_EQ(UsageError("ban", {"sshd"}), "'ban' needs at least one address, or --file FILE|-");
  EXPECT_EQ(UsageError("ban", {}), "'ban' needs more arguments");
  EXPECT_EQ(UsageError("ban", {"sshd", "192.0.2.1", "--for"}), "option --for needs a value");
}

TEST(ParseClientCommand, UnbanForms) {
  EXPECT_EQ(Request("unban", {"192.0.2.1", "198.51.100.7"}),
            json({{"cmd", "unban"}, {"addrs", {"192.0.2.1", "198.51.100.7"}}}));
  EXPECT_EQ(Request("unban", {"sshd", "192.0.2.1"}),
            json({{"cmd", "unban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}}));
  EXPECT_EQ(Request("unban", {"--jail", "web.1", "192.0.2.1"}),
            json({{"cmd", "unban"}, {"jail", "web.1"}, {"addrs", {"192.0.2.1"}}}));
  EXPECT_EQ(Request("unban", {"2001:db8::1"}),
            json({{"cmd", "unban"}, {"addrs", {"2001:db8::1"}}}));
  EXPECT_EQ(Request("unban", {"--all"}), json({{"cmd", "unban"}, {"all", true}}));
  EXPECT_EQ(UsageError("unban", {"--all", "192.0.2.1"}), "'unban --all' takes no other arguments");
  EXPECT_EQ(UsageError("unban", {}), "'unban' needs at least one address, or --all");
  EXPECT_EQ(UsageError("unban", {"sshd"}),
            "'unban sshd': give the addresses to unban from that jail");
}

TEST(ParseClientCommand, Fail2banSpellings) {
  EXPECT_EQ(Request("set", {"sshd", "banip", "192.0.2.1", "192.0.2.2"}),
            json({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1", "192.0.2.2"}}}));
  EXPECT_EQ(Request("set", {"sshd", "unbanip", "192.0.2.1"}),
            json({{"cmd", "unban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}}));
  EXPECT_EQ(Request("get", {"sshd", "banned"}),
            json({{"cmd", "get"}, {"jail", "sshd"}, {"key", "banned"}}));
  EXPECT_EQ(Request("get", {"sshd", "banip"})["key"], "banned");
  EXPECT_EQ(
      Request("set", {"sshd", "addignoreip", "192.0.2.0/24"}),
      json({{"cmd", "set"}, {"jail", "sshd"}, {"key", "addignoreip"}, {"value", "192.0.2.0/24"}}));
  EXPECT_EQ(Request("set", {"sshd", "bantime", "-1"})["value"], "-1");
  EXPECT_EQ(Request("set", {"sshd", "maxretry", "3"})["value"], "3");
}

TEST(ParseClientCommand, UsageErrors) {
  EXPECT_EQ(UsageError("ping", {"extra"}), "unexpected argument 'extra' for 'ping'");
  EXPECT_EQ(UsageError("status", {"--bogus"}), "unknown option '--bogus'");
  EXPECT_EQ(UsageError("status", {"--force"}), "option --force does not apply to 'status'");
  EXPECT_EQ(UsageError("get", {"sshd"}), "'get' needs more arguments");
  EXPECT_EQ(UsageError("set", {"sshd", "failregex", "x"}),
            "cannot set 'failregex' (settable: maxretry, findtime, bantime, addignoreip, "
            "delignoreip, banip, unbanip)");
  EXPECT_EQ(UsageError("set", {"sshd", "maxretry"}), "'set' needs more arguments");
  EXPECT_EQ(UsageError("ping", {"--timeout", "0"}),
            "--timeout needs a number of seconds from 1 to 3600");
  EXPECT_EQ(UsageError("ping", {"--json=yes"}), "option --json takes no value");
}

TEST(ParseClientCommand, CommonOptions) {
  Result<ClientInvocation> r = ParseClientCommand(
      "status", {"--json", "--socket", "/tmp/p.sock", "--config-dir=/etc/pc", "--timeout", "5"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->options.json);
  EXPECT_EQ(r->options.socket, "/tmp/p.sock");
  EXPECT_EQ(r->options.config_dir, "/etc/pc");
  EXPECT_EQ(r->options.timeout_ms, 5000);
  EXPECT_TRUE(ParseClientCommand("ban", {"--help"})->options.help);
  EXPECT_EQ(Request("status", {"--", "-odd-jail"})["jail"], "-odd-jail");
}

TEST(ParseAddressList, SkipsCommentsAndBlanks) {
  EXPECT_EQ(ParseAddressList("# list\n192.0.2.1\n\n  198.51.100.7  # noisy\r\n2001:db8::/32"),
            (std::vector<std::string>{"192.0.2.1", "198.51.100.7", "2001:db8::/32"}));
  EXPECT_TRUE(ParseAddressList("# only\n\n").empty());
}

TEST(LooksLikeAddress, TellsAddressesFromJailNames) {
  EXPECT_TRUE(LooksLikeAddress("192.0.2.1"));
  EXPECT_TRUE(LooksLikeAddress("192.0.2.0/24"));
  EXPECT_TRUE(LooksLikeAddress("2001:db8::1"));
  EXPECT_TRUE(LooksLikeAddress("::1"));
  EXPECT_FALSE(LooksLikeAddress("sshd"));
  EXPECT_FALSE(LooksLikeAddress("nginx-http-auth"));
  EXPECT_FALSE(LooksLikeAddress("web.1"));
}

TEST(SplitAddressRequest, ARequestThatFitsIsSentAlone) {
  json r = {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1", "192.0.2.2"}}};
  std::vector<json> parts = SplitAddressRequest(r, 1 << 20);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], r);
}

TEST(SplitAddressRequest, ALongListIsSplitIntoPartsUnderTheLimitInOrder) {
  json r = {{"cmd", "ban"}, {"jail", "sshd"}, {"force", true}, {"addrs", json::array()}};
  for (int i = 0; i < 5000; ++i) {
    r["addrs"].push_back("2001:db8::" + std::to_string(i));
  }
  const size_t limit = 16 * 1024;
  std::vector<json> parts = SplitAddressRequest(r, limit);
  ASSERT_GT(parts.size(), 4u);
  std::vector<std::string> again;
  for (json part : parts) {
    EXPECT_EQ(part["cmd"], "ban");
    EXPECT_EQ(part["jail"], "sshd");
    EXPECT_EQ(part["force"], true);
    EXPECT_FALSE(part["addrs"].empty());
    for (const json& a : part["addrs"]) again.push_back(a.get<std::string>());
    part["v"] = 1;
    EXPECT_LE(part.dump().size(), limit);
  }
  ASSERT_EQ(again.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(again[i], "2001:db8::" + std::to_string(i));
  }
}

TEST(SplitAddressRequest, AnAddressLargerThanTheLimitGoesAloneAndTheDaemonRefusesIt) {
  json r = {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1", std::string(300, 'x')}}};
  std::vector<json> parts = SplitAddressRequest(r, 200);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0]["addrs"], json({"192.0.2.1"}));
  EXPECT_EQ(parts[1]["addrs"].size(), 1u);
}

TEST(MergePartResults, SumsCountsConcatenatesResultsKeepsTheRest) {
  json a = {{"jail", "sshd"}, {"seconds", 600}, {"banned", 2}, {"refused", 1},
            {"results", {{{"addr", "192.0.2.1"}, {"outcome", "refused_loopback"}}}}};
  json b = {{"jail", "sshd"}, {"seconds", 600}, {"banned", 3}, {"already_banned", 1},
            {"results", {{{"addr", "192.0.2.9"}, {"outcome", "already_banned"}}}}};
  json m = MergePartResults({a, b});
  EXPECT_EQ(m["jail"], "sshd");
  EXPECT_EQ(m["seconds"], 600);
  EXPECT_EQ(m["banned"], 5);
  EXPECT_EQ(m["refused"], 1);
  EXPECT_EQ(m["already_banned"], 1);
  ASSERT_EQ(m["results"].size(), 2u);
  EXPECT_EQ(m["results"][1]["addr"], "192.0.2.9");
}

}  // namespace
}  // namespace portcullis::cli
