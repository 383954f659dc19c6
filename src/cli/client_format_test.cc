#include "cli/client_format.h"

#include <gtest/gtest.h>

namespace portcullis::cli {
namespace {

using json = nlohmann::json;

TEST(FormatResult, JailStatusMirrorsFail2banLayout) {
  json result = {{"name", "sshd"},
                 {"currently_failed", 3},
                 {"total_failed", 51},
                 {"files", {"/var/log/auth.log"}},
                 {"currently_banned", 2},
                 {"total_banned", 7},
                 {"packets_blocked", 1234},
                 {"banned", {"192.0.2.1", "198.51.100.7"}},
                 {"counters", json::object()}};
  EXPECT_EQ(FormatResult({{"cmd", "status"}, {"jail", "sshd"}}, result),
            "Status for the jail: sshd\n"
            "|- Filter\n"
            "|  |- Currently failed: 3\n"
            "|  |- Total failed:     51\n"
            "|  `- File list:        /var/log/auth.log\n"
            "`- Actions\n"
            "   |- Currently banned: 2\n"
            "   |- Total banned:     7\n"
            "   |- Packets blocked:  1234\n"
            "   `- Banned IP list:   192.0.2.1 198.51.100.7\n");
}

TEST(FormatResult, JailStatusShowsCountersWhenThereAreAny) {
  json result = {{"name", "sshd"}, {"counters", {{"lines_read", 900}, {"too_old", 2}}}};
  std::string out = FormatResult({{"cmd", "status"}, {"jail", "sshd"}}, result);
  EXPECT_NE(out.find("|- Counters\n|  |- lines_read: 900\n|  `- too_old: 2\n`- Actions\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("`- Banned IP list:\n"), std::string::npos) << out;
}

TEST(FormatResult, Overview) {
  json result = {{"jails", {{{"name", "sshd"}}, {{"name", "recidive"}}}}};
  EXPECT_EQ(FormatResult({{"cmd", "status"}}, result),
            "Status\n|- Number of jail: 2\n`- Jail list:      sshd, recidive\n");
}

TEST(FormatResult, BanSummaryListsOnlyWhatWasNotBanned) {
  json request = {{"cmd", "ban"}, {"jail", "sshd"}};
  json result = {{"jail", "sshd"},
                 {"results",
                  {{{"addr", "192.0.2.1"}, {"outcome", "banned"}},
                   {{"addr", "203.0.113.5"},
                    {"outcome", "refused_ignored"},
                    {"detail", "in ignoreip 203.0.113.0/24"}},
                   {{"addr", "bogus"}, {"outcome", "invalid"}}}},
                 {"banned", 1},
                 {"already_banned", 0},
                 {"refused", 1},
                 {"invalid", 1},
                 {"seconds", 3600}};
  EXPECT_EQ(FormatResult(request, result),
            "203.0.113.5: refused: in ignoreip (--force bans it anyway) (in ignoreip "
            "203.0.113.0/24)\n"
            "bogus: invalid address\n"
            "banned 1 address in sshd for 1h (1 refused, 1 invalid)\n");
  EXPECT_EQ(ResultExitCode(request, result), 1);
  json clean = {{"jail", "sshd"}, {"results", json::array()}, {"banned", 2}, {"seconds", nullptr}};
  EXPECT_EQ(FormatResult(request, clean), "banned 2 addresses in sshd permanently\n");
  EXPECT_EQ(ResultExitCode(request, clean), 0);
}

TEST(FormatResult, UnbanAndUnbanAll) {
  json request = {{"cmd", "unban"}};
  json result = {
      {"results",
       {{{"addr", "192.0.2.1"}, {"outcome", "unbanned"}, {"jails", {"sshd", "recidive"}}},
        {{"addr", "198.51.100.9"}, {"outcome", "not_banned"}, {"jails", json::array()}}}},
      {"unbanned", 1}};
  EXPECT_EQ(FormatResult(request, result),
            "192.0.2.1: unbanned from sshd, recidive\n198.51.100.9: not banned\n");
  EXPECT_EQ(ResultExitCode(request, result), 0);
  EXPECT_EQ(FormatResult({{"cmd", "unban"}, {"all", true}}, {{"unbanned", 3}}),
            "unbanned 3 bans\n");
}

TEST(FormatResult, BannedTableAndOneAddress) {
  json bans = {{{"jail", "sshd"}, {"addr", "192.0.2.1"}, {"seconds_left", 552}},
               {{"jail", "recidive"}, {"addr", "192.0.2.0/24"}, {"seconds_left", nullptr}}};
  EXPECT_EQ(FormatResult({{"cmd", "banned"}}, {{"bans", bans}}),
            "JAIL      ADDRESS       TIME LEFT\n"
            "sshd      192.0.2.1     9m12s\n"
            "recidive  192.0.2.0/24  permanent\n");
  EXPECT_EQ(FormatResult({{"cmd", "banned"}}, {{"addr", "192.0.2.1"}, {"bans", bans}}),
            "192.0.2.1 is banned in sshd (9m12s left), recidive as 192.0.2.0/24 (permanent)\n");
  EXPECT_EQ(FormatResult({{"cmd", "banned"}}, {{"addr", "192.0.2.9"}, {"bans", json::array()}}),
            "192.0.2.9 is not banned\n");
  EXPECT_EQ(FormatResult({{"cmd", "banned"}}, {{"bans", json::array()}}), "no active bans\n");
}

TEST(FormatResult, BannedAddressShowsItsLinesWithControlBytesEscaped) {
  json bans = {{{"jail", "sshd"},
                {"addr", "192.0.2.1"},
                {"seconds_left", 60},
                {"matches", {"Failed password for root from 192.0.2.1", "evil \x1b[2J user"}}}};
  EXPECT_EQ(FormatResult({{"cmd", "banned"}}, {{"addr", "192.0.2.1"}, {"bans", bans}}),
            "192.0.2.1 is banned in sshd (1m left)\n"
            "lines that led to the sshd ban:\n"
            "  Failed password for root from 192.0.2.1\n"
            "  evil \\x1b[2J user\n");
}

TEST(FormatResult, GetSetAndTheRest) {
  EXPECT_EQ(FormatResult({{"cmd", "get"}, {"key", "maxretry"}}, {{"value", 5}}), "5\n");
  EXPECT_EQ(FormatResult({{"cmd", "get"}, {"key", "bantime"}}, {{"value", nullptr}}),
            "permanent\n");
  EXPECT_EQ(
      FormatResult({{"cmd", "get"}, {"key", "banned"}}, {{"value", {"192.0.2.1", "192.0.2.2"}}}),
      "192.0.2.1\n192.0.2.2\n");
  EXPECT_EQ(FormatResult({{"cmd", "set"}}, {{"jail", "sshd"}, {"key", "maxretry"}, {"value", 3}}),
            "sshd: maxretry = 3\n");
  EXPECT_EQ(FormatResult({{"cmd", "set"}},
                         {{"jail", "sshd"}, {"key", "addignoreip"}, {"value", "192.0.2.0/24"}}),
            "sshd: added 192.0.2.0/24 to ignoreip\n");
  EXPECT_EQ(FormatResult({{"cmd", "ping"}}, {{"pong", true}}), "portcullisd replied: pong\n");
  EXPECT_EQ(FormatResult({{"cmd", "stop"}}, {{"stopping", true}}), "portcullisd is stopping\n");
  EXPECT_EQ(FormatResult({{"cmd", "reload"}}, {{"reloaded", "sshd"}}), "jail sshd reloaded\n");
}

TEST(FormatResult, SurvivesUnexpectedShapes) {
  for (const char* cmd : {"status", "ban", "unban", "banned", "get", "set", "version", "reload"}) {
    EXPECT_FALSE(FormatResult({{"cmd", cmd}}, json(42)).empty());
    EXPECT_FALSE(
        FormatResult({{"cmd", cmd}, {"jail", "x"}}, {{"results", 1}, {"bans", "x"}}).empty());
  }
}

TEST(FormatError, MessageDetailsAndExitCode) {
  json r = {{"ok", false},
            {"code", "invalid_argument"},
            {"error", "reload failed with 2 errors"},
            {"details", {"a.toml:1: x", "b.toml:2: y"}}};
  EXPECT_EQ(FormatError(r),
            "portcullis: reload failed with 2 errors\n  a.toml:1: x\n  b.toml:2: y\n");
  EXPECT_EQ(ErrorExitCode(r), 1);
  EXPECT_EQ(ErrorExitCode({{"code", "permission_denied"}}), 3);
}

}  // namespace
}  // namespace portcullis::cli
