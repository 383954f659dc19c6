// Measures what a restart costs the store: one Commit of N bans (the first start after a big
// attack), then a cold open + LoadActiveBans + LoadHistoryCounts (what the daemon does before it
// puts the bans back into the kernel). Also one small commit per "loop iteration" with
// synchronous=NORMAL and FULL, the price of the power-loss guarantee.
//
//   store_restore_tool [DIR] [N]   (default: a temp dir, 100000)
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "store/sqlite_ban_store.h"

namespace {

using portcullis::Cidr;
using portcullis::IpAddress;
using portcullis::SqliteBanStore;
using portcullis::SqliteBanStoreOptions;
using portcullis::StoredBan;

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

StoredBan MakeBan(uint32_t i) {
  StoredBan b;
  b.jail = i % 3 == 0 ? "sshd" : (i % 3 == 1 ? "nginx-http-auth" : "postfix");
  // Synthetic addresses (10/8 and 2001:db8::/32), stored only, never given to a firewall.
  if (i % 4 == 3) {
    char text[64];
    std::snprintf(text, sizeof text, "2001:db8::%x:%x", i >> 16, i & 0xffff);
    b.target = *Cidr::Parse(text);
  } else {
    b.target = Cidr(IpAddress::FromV4(0x0a000000u + i));
  }
  b.start = 1700000000;
  b.end = b.start + 3600 + i % 7200;
  b.failures = 5;
  b.matches = {"Failed password for invalid user admin from " + b.target.ToString() +
               " port 22 ssh2"};
  return b;
}

int Fail(const portcullis::Status& s) {
  std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  if (argc > 1) {
    dir = argv[1];
  } else {
    std::string templ = (std::filesystem::temp_directory_path() / "portcullis-bench-XXXXXX");
    if (::mkdtemp(templ.data()) == nullptr) return 1;
    dir = templ;
  }
  uint32_t n = argc > 2 ? static_cast<uint32_t>(std::stoul(argv[2])) : 100000;
  std::string path = dir + "/portcullis.db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  using Clock = std::chrono::steady_clock;

  {
    SqliteBanStore store(SqliteBanStoreOptions{path, false, 0});
    if (portcullis::Status s = store.Open(); !s.ok()) return Fail(s);
    for (uint32_t i = 0; i < n; ++i) store.AddBan(MakeBan(i));
    auto t0 = Clock::now();
    if (portcullis::Status s = store.Commit(); !s.ok()) return Fail(s);
    std::printf("save:    %u bans in one Commit: %.1f ms\n", n, Ms(Clock::now() - t0));
  }
  std::printf("file:    %.1f MB\n",
              static_cast<double>(std::filesystem::file_size(path)) / 1048576.0);

  auto t0 = Clock::now();
  SqliteBanStore store(SqliteBanStoreOptions{path, false, 0});
  if (portcullis::Status s = store.Open(); !s.ok()) return Fail(s);
  auto t1 = Clock::now();
  auto bans = store.LoadActiveBans(1700000000);
  if (!bans.ok()) return Fail(bans.status());
  auto t2 = Clock::now();
  auto counts = store.LoadHistoryCounts(1700000000 - 7 * 86400);
  if (!counts.ok()) return Fail(counts.status());
  auto t3 = Clock::now();
  std::printf(
      "restore: open (incl. quick_check) %.1f ms, LoadActiveBans %zu in %.1f ms, "
      "LoadHistoryCounts %zu in %.1f ms, total %.1f ms\n",
      Ms(t1 - t0), bans->size(), Ms(t2 - t1), counts->size(), Ms(t3 - t2), Ms(t3 - t0));

  for (bool full : {false, true}) {
    SqliteBanStore s2(SqliteBanStoreOptions{dir + "/small.db", full, 0});
    if (portcullis::Status s = s2.Open(); !s.ok()) return Fail(s);
    constexpr int kIterations = 200;
    auto a = Clock::now();
    for (int i = 0; i < kIterations; ++i) {
      s2.AddBan(MakeBan(static_cast<uint32_t>(i)));
      if (portcullis::Status s = s2.Commit(); !s.ok()) return Fail(s);
    }
    std::printf("commit:  one ban per Commit, synchronous=%s: %.3f ms per Commit\n",
                full ? "FULL  " : "NORMAL", Ms(Clock::now() - a) / kIterations);
  }
  if (argc <= 1) std::filesystem::remove_all(dir);
  return 0;
}
