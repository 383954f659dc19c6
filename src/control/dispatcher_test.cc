#include "control/dispatcher.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fakes/fake_daemon.h"
#include "portcullis/protocol.h"

namespace portcullis {
namespace {

using json = nlohmann::json;

class DispatcherTest : public ::testing::Test {
 protected:
  json Run(const std::string& line, uid_t uid = 0, bool in_group = false) {
    PeerCredentials peer;
    peer.uid = uid;
    peer.gid = uid;
    peer.in_group = in_group;
    std::string out = dispatcher_.Handle(line, peer);
    EXPECT_EQ(out.find('\n'), std::string::npos);
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    EXPECT_EQ(j.value("v", 0), 1) << out;
    return j;
  }
  // Runs a request object with v=1 added.
  json Req(json req, uid_t uid = 0, bool in_group = false) {
    req["v"] = 1;
    return Run(req.dump(), uid, in_group);
  }
  static void ExpectError(const json& resp, const std::string& code) {
    EXPECT_EQ(resp.value("ok", true), false) << resp.dump();
    EXPECT_EQ(resp.value("code", ""), code) << resp.dump();
    EXPECT_FALSE(resp.value("error", "").empty()) << resp.dump();
  }

  FakeDaemon fake_;
  Dispatcher dispatcher_{&fake_};
};

TEST_F(DispatcherTest, PingAndVersion) {
  json r = Req({{"cmd", "ping"}});
  EXPECT_TRUE(r["ok"]);
  EXPECT_EQ(r["result"]["pong"], true);
  r = Req({{"cmd", "version"}});
  EXPECT_TRUE(r["ok"]);
  EXPECT_EQ(r["result"]["protocol"], protocol::kProtocolVersion);
  EXPECT_TRUE(r["result"]["version"].is_string());
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DispatcherTest, EchoesRequestId) {
  EXPECT_EQ(Req({{"cmd", "ping"}, {"id", "abc"}})["id"], "abc");
  EXPECT_EQ(Req({{"cmd", "nope"}, {"id", 7}})["id"], 7);
  ExpectError(Req({{"cmd", "ping"}, {"id", json::array()}}), "bad_request");
}

TEST_F(DispatcherTest, MalformedJsonIsBadRequest) {
  for (const char* line : {"", "{", "not json", "{\"v\":1,\"cmd\":\"ping\"", "[1,2]", "42",
                           "\"ping\"", "{\"v\":1,\"cmd\":\"ping\"} trailing"}) {
    SCOPED_TRACE(line);
    ExpectError(Run(line), "bad_request");
  }
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DispatcherTest, DeepNestingIsRefusedBeforeParsing) {
  std::string deep = "{\"v\":1,\"cmd\":\"ping\",\"x\":" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  json r = Run(deep);
  ExpectError(r, "bad_request");
  EXPECT_NE(r["error"].get<std::string>().find("nests deeper"), std::string::npos);
  // Brackets inside strings do not count.
  json ok = Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"[[[[[[[[[[[["}}});
  EXPECT_TRUE(ok["ok"]) << ok.dump();
}

TEST_F(DispatcherTest, VersionMismatchNamesBothVersions) {
  json r = Run(R"({"v":2,"cmd":"ping"})");
  ExpectError(r, "version_mismatch");
  EXPECT_EQ(r["v"], 1);
  EXPECT_NE(r["error"].get<std::string>().find("protocol version 2"), std::string::npos);
  ExpectError(Run(R"({"v":"1","cmd":"ping"})"), "version_mismatch");
  ExpectError(Run(R"({"cmd":"ping"})"), "bad_request");
}

TEST_F(DispatcherTest, UnknownAndNonStringCommand) {
  ExpectError(Req({{"cmd", "restart"}}), "unknown_command");
  ExpectError(Req({{"cmd", 5}}), "bad_request");
  ExpectError(Req(json::object()), "bad_request");
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DispatcherTest, UnknownFieldsAreRefused) {
  json r = Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"fro", "1h"}});
  ExpectError(r, "bad_request");
  EXPECT_EQ(r["error"], "unknown field 'fro'");
  ExpectError(Req({{"cmd", "ping"}, {"extra", 1}}), "bad_request");
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DispatcherTest, StateChangingCommandsNeedRoot) {
  const std::vector<json> requests = {
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}},
      {{"cmd", "unban"}, {"addrs", {"192.0.2.1"}}},
      {{"cmd", "unban"}, {"all", true}},
      {{"cmd", "reload"}},
      {{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}, {"value", 3}},
      {{"cmd", "flushlogs"}},
      {{"cmd", "stop"}},
  };
  for (const json& req : requests) {
    SCOPED_TRACE(req.dump());
    json r = Req(req, /*uid=*/1000, /*in_group=*/true);
    ExpectError(r, "permission_denied");
    EXPECT_NE(r["error"].get<std::string>().find("needs root (you are uid 1000)"),
              std::string::npos);
  }
  EXPECT_TRUE(fake_.calls.empty());
  EXPECT_FALSE(fake_.stop_requested);
}

TEST_F(DispatcherTest, ReadOnlyCommandsAllowedToGroup) {
  EXPECT_TRUE(Req({{"cmd", "status"}}, 1000, true)["ok"]);
  EXPECT_TRUE(Req({{"cmd", "status"}, {"jail", "sshd"}}, 1000, true)["ok"]);
  EXPECT_TRUE(Req({{"cmd", "banned"}}, 1000, true)["ok"]);
  EXPECT_TRUE(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "maxretry"}}, 1000, true)["ok"]);
  EXPECT_TRUE(Req({{"cmd", "ping"}}, 1000, true)["ok"]);
}

TEST_F(DispatcherTest, ReadOnlyCommandsRefusedOutsideGroupButPingIsNot) {
  ExpectError(Req({{"cmd", "status"}}, 1000, false), "permission_denied");
  ExpectError(Req({{"cmd", "banned"}}, 1000, false), "permission_denied");
  ExpectError(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "bantime"}}, 1000, false),
              "permission_denied");
  EXPECT_TRUE(fake_.calls.empty());
  EXPECT_TRUE(Req({{"cmd", "ping"}}, 1000, false)["ok"]);
  EXPECT_TRUE(Req({{"cmd", "version"}}, 1000, false)["ok"]);
}

TEST_F(DispatcherTest, StatusOverviewAndJail) {
  fake_.jails["sshd"].status.currently_failed = 3;
  fake_.jails["sshd"].status.total_failed = 51;
  fake_.jails["sshd"].status.packets_blocked = 1234;
  fake_.jails["sshd"].status.counters = {{"lines_read", 900}};
  json r = Req({{"cmd", "status"}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  ASSERT_EQ(r["result"]["jails"].size(), 2u);
  EXPECT_EQ(r["result"]["jails"][0]["name"], "sshd");
  EXPECT_EQ(r["result"]["jails"][0]["total_failed"], 51);
  EXPECT_EQ(r["result"]["jails"][1]["name"], "recidive");

  EXPECT_EQ(fake_.calls, (std::vector<std::string>{"JailNames", "GetJailStatus sshd",
                                                   "GetJailStatus recidive"}));

  r = Req({{"cmd", "status"}, {"jail", "sshd"}});
  ASSERT_TRUE(r["ok"]);
  EXPECT_EQ(fake_.calls.back(), "GetJailStatus sshd +list");
  const json& s = r["result"];
  EXPECT_EQ(s["name"], "sshd");
  EXPECT_EQ(s["currently_failed"], 3);
  EXPECT_EQ(s["packets_blocked"], 1234);
  EXPECT_EQ(s["files"], json({"/var/log/auth.log"}));
  EXPECT_EQ(s["banned"], json::array());
  EXPECT_EQ(s["counters"]["lines_read"], 900);
}

TEST_F(DispatcherTest, StatusOfUnknownJailIsNotFound) {
  ExpectError(Req({{"cmd", "status"}, {"jail", "nope"}}), "not_found");
  ExpectError(Req({{"cmd", "status"}, {"jail", 3}}), "bad_request");
  ExpectError(Req({{"cmd", "status"}, {"jail", "has space"}}), "bad_request");
  ExpectError(Req({{"cmd", "status"}, {"jail", std::string(65, 'a')}}), "bad_request");
}

TEST_F(DispatcherTest, BanPassesEverythingAndCountsOutcomes) {
  json r = Req({{"cmd", "ban"},
                {"jail", "sshd"},
                {"addrs", {"192.0.2.1", "127.0.0.1", "203.0.113.5", "bogus"}},
                {"for", "1h"}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  ASSERT_EQ(fake_.calls.size(), 1u);
  EXPECT_EQ(fake_.calls[0], "Ban sshd 192.0.2.1,127.0.0.1,203.0.113.5,bogus for=3600 force=0");
  const json& res = r["result"];
  EXPECT_EQ(res["banned"], 1);
  EXPECT_EQ(res["refused"], 2);
  EXPECT_EQ(res["invalid"], 1);
  EXPECT_EQ(res["seconds"], 3600);
  EXPECT_EQ(res["results"][0]["outcome"], "banned");
  EXPECT_EQ(res["results"][1]["outcome"], "refused_loopback");
  EXPECT_EQ(res["results"][2]["outcome"], "refused_ignored");
  EXPECT_EQ(res["results"][3]["outcome"], "invalid");

  r = Req({{"cmd", "ban"},
           {"jail", "sshd"},
           {"addrs", {"192.0.2.1", "203.0.113.5"}},
           {"force", true},
           {"for", 60}});
  EXPECT_EQ(fake_.calls.back(), "Ban sshd 192.0.2.1,203.0.113.5 for=60 force=1");
  EXPECT_EQ(r["result"]["already_banned"], 1);
  EXPECT_EQ(r["result"]["banned"], 1);

  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"198.51.100.7"}}, {"for", "permanent"}});
  EXPECT_EQ(fake_.calls.back(), "Ban sshd 198.51.100.7 for=-1 force=0");
  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"198.51.100.8"}}});
  EXPECT_EQ(fake_.calls.back(), "Ban sshd 198.51.100.8 for=default force=0");
}

TEST_F(DispatcherTest, BanArgumentTypesCheckedBeforeTheDaemon) {
  const std::vector<json> bad = {
      {{"cmd", "ban"}, {"addrs", {"192.0.2.1"}}},
      {{"cmd", "ban"}, {"jail", "sshd"}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", "192.0.2.1"}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", json::array()}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {1, 2}}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {""}}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {std::string(65, '1')}}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"for", "1x"}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"for", 0}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"for", true}},
      {{"cmd", "ban"},
       {"jail", "sshd"},
       {"addrs", {"192.0.2.1"}},
       {"for", 18446744073709551615ull}},
      {{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"force", "yes"}},
  };
  for (const json& req : bad) {
    SCOPED_TRACE(req.dump());
    ExpectError(Req(req), "bad_request");
  }
  EXPECT_TRUE(fake_.calls.empty());
}

TEST_F(DispatcherTest, BanErrorsFromTheDaemonKeepTheirCode) {
  ExpectError(Req({{"cmd", "ban"}, {"jail", "nope"}, {"addrs", {"192.0.2.1"}}}), "not_found");
  fake_.fail_next = Status::IoError("nft batch failed: EPERM");
  json r = Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}});
  ExpectError(r, "io_error");
  EXPECT_EQ(r["error"], "nft batch failed: EPERM");
}

TEST_F(DispatcherTest, UnbanOneJailEveryJailAndAll) {
  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1", "192.0.2.2"}}});
  Req({{"cmd", "ban"}, {"jail", "recidive"}, {"addrs", {"192.0.2.1"}}});
  json r = Req({{"cmd", "unban"}, {"addrs", {"192.0.2.1", "198.51.100.9"}}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(fake_.calls.back(), "Unban * 192.0.2.1,198.51.100.9");
  EXPECT_EQ(r["result"]["unbanned"], 1);
  EXPECT_EQ(r["result"]["results"][0]["jails"], json({"sshd", "recidive"}));
  EXPECT_EQ(r["result"]["results"][1]["outcome"], "not_banned");

  r = Req({{"cmd", "unban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.2"}}});
  EXPECT_EQ(fake_.calls.back(), "Unban sshd 192.0.2.2");
  EXPECT_EQ(r["result"]["results"][0]["outcome"], "unbanned");

  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.3", "192.0.2.4"}}});
  r = Req({{"cmd", "unban"}, {"all", true}});
  EXPECT_EQ(fake_.calls.back(), "UnbanAll");
  EXPECT_EQ(r["result"]["unbanned"], 2);

  ExpectError(Req({{"cmd", "unban"}, {"all", true}, {"addrs", {"192.0.2.3"}}}), "bad_request");
  ExpectError(Req({{"cmd", "unban"}}), "bad_request");
  ExpectError(Req({{"cmd", "unban"}, {"all", 1}}), "bad_request");
}

TEST_F(DispatcherTest, BannedListsWithTimeLeftAndPermanentAsNull) {
  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}, {"for", "10m"}});
  Req({{"cmd", "ban"}, {"jail", "recidive"}, {"addrs", {"192.0.2.1"}}, {"for", "permanent"}});
  json r = Req({{"cmd", "banned"}, {"addr", "192.0.2.1"}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(fake_.calls.back(), "Banned 192.0.2.1");
  ASSERT_EQ(r["result"]["bans"].size(), 2u);
  EXPECT_EQ(r["result"]["bans"][0]["seconds_left"], 600);
  EXPECT_TRUE(r["result"]["bans"][1]["seconds_left"].is_null());
  EXPECT_EQ(r["result"]["addr"], "192.0.2.1");
  ExpectError(Req({{"cmd", "banned"}, {"addr", "nonsense"}}), "invalid_argument");
  ExpectError(Req({{"cmd", "banned"}, {"addr", 5}}), "bad_request");
}

TEST_F(DispatcherTest, ReloadReportsEveryError) {
  json r = Req({{"cmd", "reload"}});
  EXPECT_TRUE(r["ok"]);
  EXPECT_EQ(fake_.calls.back(), "Reload *");
  fake_.reload_errors = {"jails.d/sshd.toml:3: maxretry must be > 0", "filters.d/x.toml: missing"};
  r = Req({{"cmd", "reload"}, {"jail", "sshd"}});
  ExpectError(r, "invalid_argument");
  EXPECT_EQ(fake_.calls.back(), "Reload sshd");
  EXPECT_EQ(r["details"].size(), 2u);
  EXPECT_NE(r["error"].get<std::string>().find("previous configuration is still running"),
            std::string::npos);
}

TEST_F(DispatcherTest, GetKnownKeys) {
  EXPECT_EQ(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "maxretry"}})["result"]["value"], 5);
  EXPECT_EQ(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "findtime"}})["result"]["value"], 600);
  EXPECT_EQ(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "ignoreip"}})["result"]["value"],
            json({"203.0.113.5"}));
  EXPECT_EQ(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "logpath"}})["result"]["value"],
            json({"/var/log/auth.log"}));
  Req({{"cmd", "ban"}, {"jail", "sshd"}, {"addrs", {"192.0.2.1"}}});
  EXPECT_EQ(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "banned"}})["result"]["value"],
            json({"192.0.2.1"}));
  fake_.jails["sshd"].bantime = kPermanentBan;
  EXPECT_TRUE(
      Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "bantime"}})["result"]["value"].is_null());
  ExpectError(Req({{"cmd", "get"}, {"jail", "sshd"}, {"key", "failregex"}}), "invalid_argument");
  ExpectError(Req({{"cmd", "get"}, {"jail", "nope"}, {"key", "maxretry"}}), "not_found");
  ExpectError(Req({{"cmd", "get"}, {"jail", "sshd"}}), "bad_request");
}

TEST_F(DispatcherTest, SetValidatesValuesPerKey) {
  json r = Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}, {"value", "3"}});
  ASSERT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["result"]["value"], 3);
  EXPECT_EQ(fake_.jails["sshd"].maxretry, 3);
  Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "findtime"}, {"value", "10m"}});
  EXPECT_EQ(fake_.jails["sshd"].findtime, 600);
  r = Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "bantime"}, {"value", "permanent"}});
  EXPECT_EQ(fake_.jails["sshd"].bantime, kPermanentBan);
  EXPECT_TRUE(r["result"]["value"].is_null());
  Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "addignoreip"}, {"value", "192.0.2.0/24"}});
  EXPECT_EQ(fake_.jails["sshd"].ignoreip.back(), "192.0.2.0/24");
  Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "delignoreip"}, {"value", "192.0.2.0/24"}});
  EXPECT_EQ(fake_.jails["sshd"].ignoreip.size(), 1u);
  size_t calls = fake_.calls.size();

  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}, {"value", 0}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}, {"value", "-5"}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}, {"value", "3x"}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "findtime"}, {"value", "-1"}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "addignoreip"}, {"value", 5}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "logpath"}, {"value", "/x"}}),
              "invalid_argument");
  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "maxretry"}}), "invalid_argument");
  EXPECT_EQ(fake_.calls.size(), calls);

  ExpectError(Req({{"cmd", "set"}, {"jail", "sshd"}, {"key", "delignoreip"}, {"value", "1.2.3.4"}}),
              "invalid_argument");
}

TEST_F(DispatcherTest, FlushLogsAndStop) {
  EXPECT_TRUE(Req({{"cmd", "flushlogs"}})["ok"]);
  EXPECT_EQ(fake_.calls.back(), "FlushLogs");
  fake_.fail_next = Status::IoError("cannot reopen /var/log/portcullis.log: EACCES");
  ExpectError(Req({{"cmd", "flushlogs"}}), "io_error");
  json r = Req({{"cmd", "stop"}});
  EXPECT_EQ(r["result"]["stopping"], true);
  EXPECT_TRUE(fake_.stop_requested);
}

TEST_F(DispatcherTest, TooLargeResponse) {
  json r = json::parse(dispatcher_.TooLarge(protocol::kMaxRequestBytes));
  ExpectError(r, "too_large");
  EXPECT_EQ(r["error"], "request line longer than 1048576 bytes");
}

TEST_F(DispatcherTest, InvalidUtf8FromTheDaemonDoesNotBreakTheResponse) {
  fake_.fail_next = Status::IoError(std::string("bad \xff byte"));
  json r = Req({{"cmd", "flushlogs"}});
  ExpectError(r, "io_error");
}

}  // namespace
}  // namespace portcullis
