// NftFirewall against the real kernel, each test in a fresh network namespace (see netns_main.cc).
// What we install is checked from the outside with `nft -j list ...`, the way an admin sees it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "firewall/nft_firewall.h"

namespace portcullis {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Json = nlohmann::json;

std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
  }
  pclose(p);
  return out;
}

int Shell(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Json Ruleset() { return Json::parse(Capture("nft -j list ruleset"), nullptr, false); }

// Element values of one of our sets as nft prints them ("192.0.2.1", "198.51.100.0/24").
std::set<std::string> NftElements(const std::string& set) {
  std::set<std::string> out;
  Json j = Json::parse(Capture("nft -j list set inet portcullis " + set), nullptr, false);
  if (j.is_discarded()) {
    return out;
  }
  for (const Json& item : j["nftables"]) {
    if (!item.contains("set") || !item["set"].contains("elem")) {
      continue;
    }
    for (const Json& e : item["set"]["elem"]) {
      Json v = e.is_object() && e.contains("elem") ? e["elem"]["val"] : e;
      if (v.is_string()) {
        out.insert(v.get<std::string>());
      } else if (v.contains("prefix")) {
        out.insert(v["prefix"]["addr"].get<std::string>() + "/" +
                   std::to_string(v["prefix"]["len"].get<int>()));
      } else if (v.contains("range")) {
        out.insert(v["range"][0].get<std::string>() + "-" + v["range"][1].get<std::string>());
      }
    }
  }
  return out;
}

bool TableExists() { return Shell("nft list table inet portcullis >/dev/null 2>&1") == 0; }

Cidr C(std::string_view text) { return *Cidr::Parse(text); }

JailSpec SshJail(BlockAction action = BlockAction::kReject) {
  return JailSpec{"sshd", {{22, 22}}, {Protocol::kTcp}, action, false};
}

std::unique_ptr<NftFirewall> OpenOrDie(NftOptions options = {}) {
  auto fw = NftFirewall::Open(options);
  EXPECT_TRUE(fw.ok()) << fw.status().ToString();
  return fw.ok() ? std::move(*fw) : nullptr;
}

std::set<std::string> Listed(NftFirewall& fw, const std::string& jail) {
  std::set<std::string> out;
  auto listed = fw.List(jail);
  EXPECT_TRUE(listed.ok()) << listed.status().ToString();
  if (listed.ok()) {
    for (const BanEntry& e : *listed) {
      out.insert(e.target.ToString());
    }
  }
  return out;
}

// Runs the daemon's event handling until `done` holds or the deadline passes.
template <typename Pred>
bool PumpEventsUntil(NftFirewall& fw, milliseconds limit, Pred done) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fw.event_fd(), POLLIN, 0};
    if (poll(&p, 1, 50) > 0) {
      Status st = fw.HandleEvents();
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
    if (done()) {
      return true;
    }
  }
  return done();
}

TEST(NftFirewall, CreatesTheTableChainAndRulesVisibleToNft) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());

  Json j = Ruleset();
  ASSERT_FALSE(j.is_discarded());
  std::set<std::string> tables, sets;
  int rules = 0;
  bool chain_ok = false;
  for (const Json& item : j["nftables"]) {
    if (item.contains("table")) {
      tables.insert(item["table"]["family"].get<std::string>() + " " +
                    item["table"]["name"].get<std::string>());
    }
    if (item.contains("set")) {
      sets.insert(item["set"]["name"].get<std::string>());
    }
    if (item.contains("chain") && item["chain"]["name"] == "input") {
      chain_ok = item["chain"]["hook"] == "input" && item["chain"]["prio"] == -10 &&
                 item["chain"]["type"] == "filter" && item["chain"]["policy"] == "accept";
    }
    if (item.contains("rule") && item["rule"]["table"] == "portcullis") {
      ++rules;
      EXPECT_EQ(item["rule"]["comment"], "sshd");
      std::string text = item["rule"]["expr"].dump();
      EXPECT_NE(text.find("counter"), std::string::npos);
      EXPECT_NE(text.find("admin-prohibited"), std::string::npos);
      EXPECT_NE(text.find("\"dport\""), std::string::npos);
    }
  }
  EXPECT_EQ(tables, std::set<std::string>{"inet portcullis"});
  EXPECT_EQ(sets, (std::set<std::string>{"sshd-4", "sshd-6", "sshd-n4", "sshd-n6"}));
  EXPECT_TRUE(chain_ok);
  EXPECT_EQ(rules, 4);
  std::string text = Capture("nft list table inet portcullis");
  EXPECT_NE(text.find("ip saddr @sshd-4 tcp dport 22 counter packets 0 bytes 0 reject with icmpx "
                      "admin-prohibited comment \"sshd\""),
            std::string::npos)
      << text;
}

TEST(NftFirewall, BansIpv4Ipv6AndNetworks) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.1"), seconds(600))
      .Ban("sshd", C("2001:db8::1"), std::nullopt)
      .Ban("sshd", C("198.51.100.0/24"), seconds(600))
      .Ban("sshd", C("198.51.100.128/25"), seconds(900))  // overlaps: split, never sent twice
      .Ban("sshd", C("2001:db8:1::/48"), std::nullopt);
  Status st = fw->Apply(b);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(fw->Apply(b).ok());  // banning twice is not an error

  EXPECT_EQ(NftElements("sshd-4"), std::set<std::string>{"192.0.2.1"});
  EXPECT_EQ(NftElements("sshd-6"), std::set<std::string>{"2001:db8::1"});
  EXPECT_EQ(NftElements("sshd-n4"),
            (std::set<std::string>{"198.51.100.0/25", "198.51.100.128/25"}));
  EXPECT_EQ(NftElements("sshd-n6"), std::set<std::string>{"2001:db8:1::/48"});

  auto listed = fw->List("sshd");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 5u);
  for (const BanEntry& e : *listed) {
    if (e.target.family() == IpFamily::kV6) {
      EXPECT_FALSE(e.remaining) << e.target.ToString();
    } else {
      ASSERT_TRUE(e.remaining) << e.target.ToString();
      EXPECT_GT(e.remaining->count(), 590'000);
    }
  }
}

TEST(NftFirewall, TimedBansLapseInTheKernel) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  FirewallBatch b;
  b.Ban("sshd", C("192.0.2.7"), milliseconds(1000))
      .Ban("sshd", C("203.0.113.0/24"), milliseconds(1000))
      .Ban("sshd", C("2001:db8::7"), std::nullopt);
  ASSERT_TRUE(fw->Apply(b).ok());
  EXPECT_EQ(Listed(*fw, "sshd"),
            (std::set<std::string>{"192.0.2.7", "203.0.113.0/24", "2001:db8::7"}));
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(Listed(*fw, "sshd"), std::set<std::string>{"2001:db8::7"});
  EXPECT_TRUE(NftElements("sshd-4").empty());
  EXPECT_TRUE(NftElements("sshd-n4").empty());
  // The lapsed entries can be banned again.
  ASSERT_TRUE(fw->Apply(b).ok());
  EXPECT_EQ(Listed(*fw, "sshd").size(), 3u);
}

TEST(NftFirewall, RefreshExtendsABan) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> e{{C("192.0.2.8"), milliseconds(1000), std::nullopt},
                          {C("2001:db8::8"), milliseconds(1000), std::nullopt}};
  ASSERT_TRUE(fw->Ban("sshd", e).ok());
  for (BanEntry& x : e) {
    x.timeout = seconds(120);
  }
  Status st = fw->Refresh("sshd", e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::this_thread::sleep_for(milliseconds(1500));
  auto listed = fw->List("sshd");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  for (const BanEntry& x : *listed) {
    ASSERT_TRUE(x.remaining);
    EXPECT_GT(x.remaining->count(), 100'000);
  }
}

TEST(NftFirewall, UnbanIsIdempotentAndFlushEmptiesAJail) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> e{{C("192.0.2.9"), std::nullopt, std::nullopt},
                          {C("198.51.100.0/24"), std::nullopt, std::nullopt},
                          {C("2001:db8::9"), seconds(60), std::nullopt}};
  ASSERT_TRUE(fw->Ban("sshd", e).ok());
  std::vector<Cidr> out{C("192.0.2.9"), C("198.51.100.0/24")};
  ASSERT_TRUE(fw->Unban("sshd", out).ok());
  ASSERT_TRUE(fw->Unban("sshd", out).ok());
  EXPECT_EQ(Listed(*fw, "sshd"), std::set<std::string>{"2001:db8::9"});
  EXPECT_TRUE(NftElements("sshd-4").empty());
  ASSERT_TRUE(fw->Flush("sshd").ok());
  EXPECT_TRUE(Listed(*fw, "sshd").empty());
  EXPECT_EQ(fw->Ban("nojail", e).code(), StatusCode::kNotFound);
}

TEST(NftFirewall, ReplaceSwapsAListInOneTransaction) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec{"blocklist", {}, {}, BlockAction::kDrop, false};
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> first{{C("192.0.2.1"), std::nullopt, std::nullopt},
                              {C("203.0.113.0/24"), std::nullopt, std::nullopt}};
  ASSERT_TRUE(fw->Replace("blocklist", first).ok());
  std::vector<BanEntry> second{{C("192.0.2.2"), std::nullopt, std::nullopt},
                               {C("203.0.113.0/25"), std::nullopt, std::nullopt},
                               {C("203.0.113.0/24"), std::nullopt, std::nullopt}};
  Status st = fw->Replace("blocklist", second);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(NftElements("blocklist-4"), std::set<std::string>{"192.0.2.2"});
  EXPECT_EQ(NftElements("blocklist-n4"), std::set<std::string>{"203.0.113.0/24"});
}

TEST(NftFirewall, FlushRulesetFromOutsideIsRepairedWithinOneSecond) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kNone;
  auto fw = OpenOrDie(options);
  ASSERT_TRUE(fw);
  ASSERT_GE(fw->event_fd(), 0);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> e{{C("192.0.2.10"), seconds(300), std::nullopt},
                          {C("2001:db8::10"), std::nullopt, std::nullopt},
                          {C("198.51.100.0/24"), seconds(300), std::nullopt}};
  ASSERT_TRUE(fw->Ban("sshd", e).ok());
  ASSERT_TRUE(fw->HandleEvents().ok());  // drain our own events

  ASSERT_EQ(Shell("nft flush ruleset"), 0);
  ASSERT_FALSE(TableExists());
  auto t0 = std::chrono::steady_clock::now();
  bool back = PumpEventsUntil(*fw, milliseconds(1000), [] { return TableExists(); });
  auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(back);
  EXPECT_LT(took, seconds(1));
  EXPECT_EQ(fw->restore_count(), 1u);
  EXPECT_EQ(NftElements("sshd-4"), std::set<std::string>{"192.0.2.10"});
  EXPECT_EQ(NftElements("sshd-6"), std::set<std::string>{"2001:db8::10"});
  EXPECT_EQ(NftElements("sshd-n4"), std::set<std::string>{"198.51.100.0/24"});
  auto listed = fw->List("sshd");
  ASSERT_TRUE(listed.ok());
  for (const BanEntry& x : *listed) {
    if (x.remaining) {
      EXPECT_LE(x.remaining->count(), 300'000);  // remaining time, not a fresh timeout
    }
  }
  // A deleted set is restored too.
  ASSERT_TRUE(fw->HandleEvents().ok());
  ASSERT_EQ(Shell("nft delete rule inet portcullis input handle "
                  "$(nft -a list chain inet portcullis input | grep sshd-4 | sed 's/.*handle //')"),
            0);
  EXPECT_TRUE(PumpEventsUntil(*fw, milliseconds(1000), [&] { return fw->restore_count() == 2; }));
}

TEST(NftFirewall, OwnedTableSurvivesFlushRulesetAndOurExit) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kOwner;  // Linux 6.9+: owner + persist
  auto fw = OpenOrDie(options);
  ASSERT_TRUE(fw);
  EXPECT_TRUE(fw->owns_table());
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> e{{C("192.0.2.11"), seconds(300), std::nullopt}};
  ASSERT_TRUE(fw->Ban("sshd", e).ok());
  ASSERT_EQ(Shell("nft flush ruleset"), 0);
  EXPECT_TRUE(TableExists());
  EXPECT_NE(Shell("nft delete table inet portcullis 2>/dev/null"), 0);  // not ours to delete
  fw.reset();  // daemon exits: the persistent table and its bans stay
  EXPECT_EQ(NftElements("sshd-4"), std::set<std::string>{"192.0.2.11"});
  auto again = OpenOrDie(options);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->adopted_bans(), 1u);
  EXPECT_TRUE(again->owns_table());
  EXPECT_EQ(Listed(*again, "sshd"), std::set<std::string>{"192.0.2.11"});
}

TEST(NftFirewall, ConflictWithAnOutsideChangeIsResolvedFromTheKernel) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kNone;
  auto fw = OpenOrDie(options);
  ASSERT_TRUE(fw);
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  // Someone adds an interval behind our back; our next ban overlaps it. The kernel refuses the
  // overlap, we re-read the sets and retry: the outside /24 already covers our /25.
  ASSERT_EQ(Shell("nft add element inet portcullis sshd-n4 '{ 198.51.100.0/24 }'"), 0);
  std::vector<BanEntry> e{{C("198.51.100.0/25"), seconds(60), std::nullopt}};
  Status st = fw->Ban("sshd", e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(NftElements("sshd-n4"), std::set<std::string>{"198.51.100.0/24"});
  EXPECT_EQ(Listed(*fw, "sshd"), std::set<std::string>{"198.51.100.0/24"});
}

TEST(NftFirewall, WithoutCapNetAdminTheErrorSaysSo) {
  // A child that gave up root (uid/gid nobody) tries to open the firewall.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    std::string msg = "setuid failed";
    if (setgid(65534) == 0 && setuid(65534) == 0) {
      auto fw = NftFirewall::Open(NftOptions{});
      msg = fw.ok() ? "opened" : fw.status().ToString();
    }
    ssize_t ignored = write(fds[1], msg.data(), msg.size());
    (void)ignored;
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(got.rfind("permission denied: ", 0), 0u) << got;
  EXPECT_NE(got.find("needs CAP_NET_ADMIN (run as root)"), std::string::npos) << got;
}

TEST(NftFirewall, SecondOwnerIsRefusedWithAClearMessage) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kOwner;
  auto first = OpenOrDie(options);
  ASSERT_TRUE(first);
  auto second = NftFirewall::Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(second.status().message().find("create table inet portcullis"), std::string::npos)
      << second.status().ToString();
  EXPECT_NE(second.status().message().find("another process owns the table"), std::string::npos);
}

TEST(NftFirewall, ForwardHookGetsItsOwnChain) {
  NftOptions options;
  options.hook_forward = true;
  options.priority = -5;
  auto fw = OpenOrDie(options);
  ASSERT_TRUE(fw);
  JailSpec spec{"web",
                {{80, 80}, {443, 443}, {8000, 8100}},
                {Protocol::kTcp, Protocol::kUdp},
                BlockAction::kDrop,
                false};
  Status st = fw->SetUpJails(std::span(&spec, 1));
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::string text = Shell("nft list chain inet portcullis forward >/dev/null") == 0
                         ? Capture("nft list table inet portcullis")
                         : "";
  EXPECT_NE(text.find("type filter hook forward priority filter - 5"), std::string::npos) << text;
  EXPECT_NE(text.find("ip saddr @web-4 meta l4proto { tcp, udp } th dport { 80, 443, "
                      "8000-8100 } counter packets 0 bytes 0 drop comment \"web\""),
            std::string::npos)
      << text;
  ASSERT_TRUE(fw->Resync().ok());
  EXPECT_EQ(fw->restore_count(), 0u);  // nothing to repair
}

TEST(NftFirewall, RestartAdoptsBansAndRemovesNothing) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kNone;
  {
    auto fw = OpenOrDie(options);
    ASSERT_TRUE(fw);
    JailSpec spec = SshJail();
    ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
    std::vector<BanEntry> e{{C("192.0.2.12"), seconds(300), std::nullopt},
                            {C("2001:db8:2::/48"), std::nullopt, std::nullopt}};
    ASSERT_TRUE(fw->Ban("sshd", e).ok());
  }
  ASSERT_EQ(Shell("nft add table ip other"), 0);
  auto fw = OpenOrDie(options);
  ASSERT_TRUE(fw);
  EXPECT_EQ(fw->adopted_bans(), 2u);
  EXPECT_EQ(fw->Jails(), std::vector<std::string>{"sshd"});
  EXPECT_EQ(Listed(*fw, "sshd"), (std::set<std::string>{"192.0.2.12", "2001:db8:2::/48"}));
  std::vector<Cidr> out{C("192.0.2.12")};
  ASSERT_TRUE(fw->Unban("sshd", out).ok());
  ASSERT_TRUE(fw->TearDown().ok());
  EXPECT_FALSE(TableExists());
  EXPECT_EQ(Shell("nft list table ip other >/dev/null"), 0);  // never touch another table
}

TEST(NftFirewall, RestartWithOtherHooksAndPriorityKeepsBans) {
  NftOptions options;
  options.ownership = NftOptions::Ownership::kNone;
  options.hook_forward = true;
  {
    auto fw = OpenOrDie(options);
    ASSERT_TRUE(fw);
    JailSpec spec = SshJail();
    ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
    std::vector<BanEntry> e{{C("192.0.2.13"), seconds(300), std::nullopt}};
    ASSERT_TRUE(fw->Ban("sshd", e).ok());
  }
  options.hook_forward = false;
  auto fw = OpenOrDie(options);  // same priority: claimed in place, forward chain removed
  ASSERT_TRUE(fw);
  EXPECT_NE(Shell("nft list chain inet portcullis forward >/dev/null 2>&1"), 0);
  EXPECT_EQ(NftElements("sshd-4"), std::set<std::string>{"192.0.2.13"});
  fw.reset();
  options.priority = -20;
  fw = OpenOrDie(options);  // new priority: rebuilt with the adopted bans
  ASSERT_TRUE(fw);
  std::string chain = Capture("nft list chain inet portcullis input");
  EXPECT_NE(chain.find("hook input priority -20;"), std::string::npos) << chain;
  EXPECT_EQ(NftElements("sshd-4"), std::set<std::string>{"192.0.2.13"});
  JailSpec spec = SshJail();
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  EXPECT_EQ(Listed(*fw, "sshd"), std::set<std::string>{"192.0.2.13"});
}

TEST(NftFirewall, HundredThousandElementsInOneTransaction) {
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec{"bulk", {}, {}, BlockAction::kDrop, false};
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  std::vector<BanEntry> e;
  e.reserve(100'000);
  for (uint32_t i = 0; i < 70'000; ++i) {
    e.push_back({Cidr(IpAddress::FromV4(0x0A000000u + i * 7)), seconds(3600), std::nullopt});
  }
  for (uint32_t i = 0; i < 30'000; ++i) {
    std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0};
    b[12] = static_cast<uint8_t>(i >> 24);
    b[13] = static_cast<uint8_t>(i >> 16);
    b[14] = static_cast<uint8_t>(i >> 8);
    b[15] = static_cast<uint8_t>(i);
    e.push_back({Cidr(IpAddress::FromV6(b)), std::nullopt, std::nullopt});
  }
  Status st = fw->Ban("bulk", e);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto listed = fw->List("bulk");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 100'000u);
  EXPECT_EQ(NftElements("bulk-4").size(), 70'000u);
  EXPECT_EQ(NftElements("bulk-6").size(), 30'000u);
}

// ---- Real traffic between two namespaces
// ----------------------------------------------------------

// This process's namespace ("server", 192.0.2.1 / 2001:db8::1) and a named peer namespace
// ("client", 192.0.2.2 / 2001:db8::2) joined by a veth pair. Removed again on destruction.
class TwoNamespaces {
 public:
  TwoNamespaces() : name_("pc-test-" + std::to_string(getpid())) {
    ok_ = Shell("ip netns add " + name_) == 0 &&
          Shell("ip link add pcv0 type veth peer name pcv1") == 0 &&
          Shell("ip link set pcv1 netns " + name_) == 0 &&
          Shell(
              "ip addr add 192.0.2.1/24 dev pcv0 && ip addr add 2001:db8::1/64 dev pcv0 nodad && "
              "ip link set pcv0 up") == 0 &&
          Shell("ip -n " + name_ + " addr add 192.0.2.2/24 dev pcv1 && ip -n " + name_ +
                " addr add 2001:db8::2/64 dev pcv1 nodad && ip -n " + name_ +
                " link set pcv1 up && ip -n " + name_ + " link set lo up") == 0;
  }
  ~TwoNamespaces() { Shell("ip netns del " + name_ + " 2>/dev/null"); }
  bool ok() const { return ok_; }

  // Connects from the client namespace within `limit_s` seconds; 0 = connected,
  // 1 = refused/unreachable, 124 = timed out.
  int Connect(const std::string& address, int port, int limit_s = 1) const {
    return Shell("ip netns exec " + name_ + " timeout " + std::to_string(limit_s) +
                 " bash -c 'exec 3<>/dev/tcp/" + address + "/" + std::to_string(port) +
                 "' 2>/dev/null");
  }

 private:
  std::string name_;
  bool ok_ = false;
};

int Listen(int port) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  int zero = 0, one = 1;
  setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(static_cast<uint16_t>(port));
  a.sin6_addr = in6addr_any;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 64) != 0) {
    close(fd);
    return -1;
  }
  return fd;  // the kernel completes handshakes into the backlog; no accept() needed
}

void TrafficScenario(BlockAction action, bool tcp_reset) {
  TwoNamespaces net;
  ASSERT_TRUE(net.ok());
  int l1 = Listen(2222), l2 = Listen(8080);
  ASSERT_GE(l1, 0);
  ASSERT_GE(l2, 0);
  auto fw = OpenOrDie();
  ASSERT_TRUE(fw);
  JailSpec spec{"sshd", {{2222, 2222}}, {Protocol::kTcp}, action, tcp_reset};
  ASSERT_TRUE(fw->SetUpJails(std::span(&spec, 1)).ok());
  const int blocked = action == BlockAction::kDrop ? 124 : 1;

  for (const std::string addr : {"192.0.2.1", "2001:db8::1"}) {
    SCOPED_TRACE(addr);
    EXPECT_EQ(net.Connect(addr, 2222), 0);
  }
  std::vector<BanEntry> e{{C("192.0.2.2"), seconds(60), std::nullopt},
                          {C("2001:db8::/64"), seconds(60), std::nullopt}};
  ASSERT_TRUE(fw->Ban("sshd", e).ok());
  for (const std::string addr : {"192.0.2.1", "2001:db8::1"}) {
    SCOPED_TRACE(addr);
    auto t0 = std::chrono::steady_clock::now();
    if (action == BlockAction::kDrop) {
      EXPECT_EQ(net.Connect(addr, 2222, 1), blocked);
    } else {
      // Over a veth pair the first ICMP error reaches the client while connect() still holds
      // its socket lock, so Linux records it as a soft error and fails on the retransmitted SYN
      // about 1 s later; a remote client is refused at once. Either way: refused, never a hang.
      EXPECT_EQ(net.Connect(addr, 2222, 4), blocked);
      EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2500));
    }
    EXPECT_EQ(net.Connect(addr, 8080), 0);  // the jail covers port 2222 only
  }
  auto counters = fw->Counters();
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u);
  EXPECT_GE((*counters)[0].packets, 2u);

  std::vector<Cidr> lift{C("192.0.2.2"), C("2001:db8::/64")};
  ASSERT_TRUE(fw->Unban("sshd", lift).ok());
  for (const std::string addr : {"192.0.2.1", "2001:db8::1"}) {
    SCOPED_TRACE(addr);
    EXPECT_EQ(net.Connect(addr, 2222), 0);
  }
  close(l1);
  close(l2);
}

TEST(NftTraffic, RejectRefusesBannedClientsOnTheJailPortOnly) {
  TrafficScenario(BlockAction::kReject, false);
}

TEST(NftTraffic, RejectWithTcpResetRefuses) { TrafficScenario(BlockAction::kReject, true); }

TEST(NftTraffic, DropMakesBannedClientsTimeOut) { TrafficScenario(BlockAction::kDrop, false); }

}  // namespace
}  // namespace portcullis
