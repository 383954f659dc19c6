// Times the nftables backend for bench/firewall_bench (which runs it inside `unshare -n`).
//
//   nft_bulk_tool gen COUNT SEED FILE   write COUNT mixed IPv4/IPv6 documentation-range addresses
//                                       (about 2/3 IPv4) as an `nft -f` file for table inet
//                                       nftbench
//   nft_bulk_tool run COUNT SEED        in table inet portcullis: ban the same COUNT addresses in
//   one
//                                       call, list them back, then time single bans (median of 200)
//   nft_bulk_tool demo                  the example ruleset of docs/firewall.md: jails sshd and
//                                       postfix with a few bans (then `nft list ruleset`)
//
// Prints "key value" lines (seconds) for the script to pick up.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "firewall/nft_firewall.h"

namespace {

using portcullis::BanEntry;
using portcullis::Cidr;
using portcullis::IpAddress;

// Unique addresses from a fixed seed: IPv4 from 198.18.0.0/15 + 203.0.113.0/24 would be too small
// for 100k, so IPv4 uses 10.0.0.0/8 and IPv6 2001:db8::/32 (never routed here: private netns).
std::vector<IpAddress> Generate(size_t count, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<IpAddress> out;
  out.reserve(count);
  std::vector<uint32_t> v4;
  size_t n4 = count * 2 / 3;
  while (v4.size() < n4) {
    v4.push_back(0x0A000000u | static_cast<uint32_t>(rng() & 0xFFFFFF));
    if (v4.size() == n4) {
      std::sort(v4.begin(), v4.end());
      v4.erase(std::unique(v4.begin(), v4.end()), v4.end());
    }
  }
  for (uint32_t a : v4) {
    out.push_back(IpAddress::FromV4(a));
  }
  for (size_t i = 0; out.size() < count; ++i) {
    std::array<uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
    uint64_t r = rng();
    for (int k = 0; k < 8; ++k) {
      b[8 + k] = static_cast<uint8_t>(r >> (8 * k));
    }
    b[4] = static_cast<uint8_t>(i >> 8);
    b[5] = static_cast<uint8_t>(i);
    out.push_back(IpAddress::FromV6(b));
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

// CPU time of this process so far: user (system = false) or system (kernel) time.
double CpuSeconds(bool system) {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const timeval& t = system ? u.ru_stime : u.ru_utime;
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

int Gen(size_t count, uint32_t seed, const char* path) {
  std::vector<IpAddress> addrs = Generate(count, seed);
  std::ofstream f(path);
  f << "table inet nftbench {\n"
       "  set v4 { type ipv4_addr; flags timeout; }\n"
       "  set v6 { type ipv6_addr; flags timeout; }\n"
       "  chain input { type filter hook input priority -10; policy accept;\n"
       "    ip saddr @v4 counter drop\n    ip6 saddr @v6 counter drop\n  }\n}\n";
  for (int fam = 0; fam < 2; ++fam) {
    f << "add element inet nftbench " << (fam == 0 ? "v4" : "v6") << " {";
    bool first = true;
    for (const IpAddress& a : addrs) {
      if (a.is_v4() != (fam == 0)) {
        continue;
      }
      f << (first ? " " : ", ") << a.ToString() << " timeout 3600s";
      first = false;
    }
    f << " }\n";
  }
  return 0;
}

int Run(size_t count, uint32_t seed) {
  portcullis::NftOptions options;
  options.watch_events = std::getenv("NO_EVENTS") == nullptr;
  auto fw = portcullis::NftFirewall::Open(options);
  if (!fw.ok()) {
    std::fprintf(stderr, "open: %s\n", fw.status().ToString().c_str());
    return 1;
  }
  portcullis::JailSpec spec{"bench", {}, {}, portcullis::BlockAction::kDrop, false};
  portcullis::Status st = (*fw)->SetUpJails(std::span(&spec, 1));
  if (!st.ok()) {
    std::fprintf(stderr, "setup: %s\n", st.ToString().c_str());
    return 1;
  }
  std::vector<IpAddress> addrs = Generate(count, seed);
  std::vector<BanEntry> entries;
  entries.reserve(addrs.size());
  for (const IpAddress& a : addrs) {
    entries.push_back(BanEntry{Cidr(a), std::chrono::hours(1), std::nullopt});
  }
  const double user0 = CpuSeconds(false), sys0 = CpuSeconds(true);
  auto t0 = std::chrono::steady_clock::now();
  st = (*fw)->Ban("bench", entries);
  auto t1 = std::chrono::steady_clock::now();
  const double user1 = CpuSeconds(false), sys1 = CpuSeconds(true);
  if (!st.ok()) {
    std::fprintf(stderr, "bulk ban: %s\n", st.ToString().c_str());
    return 1;
  }
  std::printf("bulk_ban_seconds %.4f\n", Seconds(t1 - t0));
  std::printf("bulk_ban_cpu_seconds %.4f\n", (user1 - user0) + (sys1 - sys0));
  std::printf("bulk_ban_user_seconds %.4f\n", user1 - user0);
  std::printf("bulk_ban_system_seconds %.4f\n", sys1 - sys0);

  t0 = std::chrono::steady_clock::now();
  auto listed = (*fw)->List("bench");
  t1 = std::chrono::steady_clock::now();
  if (!listed.ok() || listed->size() != count) {
    std::fprintf(stderr, "list: %s (%zu entries)\n", listed.status().ToString().c_str(),
                 listed.ok() ? listed->size() : size_t{0});
    return 1;
  }
  std::printf("list_seconds %.4f\n", Seconds(t1 - t0));

  std::vector<double> singles;
  for (int i = 0; i < 200; ++i) {
    BanEntry e{Cidr(IpAddress::FromV4(0xC6336400u + static_cast<uint32_t>(i))),
               std::chrono::minutes(10), std::nullopt};
    t0 = std::chrono::steady_clock::now();
    st = (*fw)->Ban("bench", std::span(&e, 1));
    t1 = std::chrono::steady_clock::now();
    if (!st.ok()) {
      std::fprintf(stderr, "single ban: %s\n", st.ToString().c_str());
      return 1;
    }
    singles.push_back(Seconds(t1 - t0));
  }
  std::sort(singles.begin(), singles.end());
  std::printf("single_ban_median_seconds %.6f\n", singles[singles.size() / 2]);
  std::printf("timeout_update_supported %d\n", (*fw)->timeout_update_supported() ? 1 : 0);
  return 0;
}

int Demo() {
  auto fw = portcullis::NftFirewall::Open(portcullis::NftOptions{});
  if (!fw.ok()) {
    std::fprintf(stderr, "open: %s\n", fw.status().ToString().c_str());
    return 1;
  }
  using portcullis::BlockAction;
  using portcullis::Protocol;
  std::vector<portcullis::JailSpec> jails{
      {"sshd", {{22, 22}}, {Protocol::kTcp}, BlockAction::kReject, false},
      {"postfix", {{25, 25}, {465, 465}, {587, 587}}, {Protocol::kTcp}, BlockAction::kReject, true},
  };
  portcullis::Status st = (*fw)->SetUpJails(jails);
  portcullis::FirewallBatch b;
  b.Ban("sshd", *Cidr::Parse("192.0.2.7"), std::chrono::minutes(10))
      .Ban("sshd", *Cidr::Parse("2001:db8::7"), std::chrono::hours(1))
      .Ban("sshd", *Cidr::Parse("198.51.100.0/24"), std::nullopt)
      .Ban("postfix", *Cidr::Parse("203.0.113.9"), std::chrono::hours(24))
      .Ban("postfix", *Cidr::Parse("2001:db8:bad::/48"), std::chrono::hours(24));
  if (st.ok()) {
    st = (*fw)->Apply(b);
  }
  if (!st.ok()) {
    std::fprintf(stderr, "demo: %s\n", st.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "gen") {
    return Gen(std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10), argv[4]);
  }
  if (argc >= 4 && std::string(argv[1]) == "run") {
    return Run(std::strtoul(argv[2], nullptr, 10), std::strtoul(argv[3], nullptr, 10));
  }
  if (argc >= 2 && std::string(argv[1]) == "demo") {
    return Demo();
  }
  std::fprintf(stderr, "usage: nft_bulk_tool gen COUNT SEED FILE | run COUNT SEED | demo\n");
  return 2;
}
