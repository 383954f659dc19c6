// The nftables Firewall: talks to the kernel's nf_tables over netlink (libnftnl + libmnl; never
// spawns `nft`). The only file that includes libnftnl and libmnl is nft_firewall.cc.
//
// What it installs (docs/firewall.md shows it as `nft list ruleset` prints it): one table
// `inet <table>`; per jail two hash sets with per-element timeouts for single addresses (<jail>-4,
// <jail>-6) and two interval sets for network bans (<jail>-n4, <jail>-n6); base chains `input`
// (and/or `forward`) holding, per set, `ip saddr @set [meta l4proto ...] [th dport ...] counter
// drop|reject`. Every change is one netlink batch transaction. Timed bans carry kernel timeouts, so
// they lapse on time even if the daemon is gone.
//
// Needs CAP_NET_ADMIN in the network namespace it runs in. Touches no other table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "portcullis/firewall.h"

namespace portcullis {

struct NftOptions {
  std::string table = "portcullis";  // see ValidateTableName
  bool hook_input = true;            // chain `input` on the input hook (traffic to this host)
  bool hook_forward = false;         // chain `forward` on the forward hook (routers, containers)
  int priority = -10;                // base-chain priority: before the usual filter chains (0)

  // Table ownership (NFT_TABLE_F_OWNER): an owned table is skipped by other processes'
  // `nft flush ruleset` and cannot be changed by them. Without "persist" (Linux 6.9+) the kernel
  // deletes an owned table, with all bans, when its owner exits, so owning is only done together
  // with persist. See docs/firewall.md.
  enum class Ownership : uint8_t {
    kAuto,   // owner + persist where the kernel supports persist, otherwise an unowned table
    kNone,   // never owned: other tools may flush it; we restore it from our events
    kOwner,  // owner + persist, or fail at Open on kernels without persist
  };
  Ownership ownership = Ownership::kAuto;

  // Watch ruleset events to restore our table when someone removes it (event_fd()).
  bool watch_events = true;
};

class NftFirewall final : public Firewall {
 public:
  // Connects to the kernel, adopts what our table already holds (bans survive a daemon restart),
  // creates the table and chains if missing, and probes kernel features. Errors: PermissionDenied
  // without CAP_NET_ADMIN or when another process owns the table, Unavailable without nf_tables,
  // InvalidArgument for bad options.
  static Result<std::unique_ptr<NftFirewall>> Open(const NftOptions& options);
  ~NftFirewall() override;

  Status SetUpJails(std::span<const JailSpec> jails) override;
  Status RemoveJail(std::string_view jail) override;
  std::vector<std::string> Jails() const override;
  Status Apply(const FirewallBatch& batch) override;
  Result<std::vector<BanEntry>> List(std::string_view jail) override;
  Status Flush(std::string_view jail) override;
  Status Replace(std::string_view jail, std::span<const BanEntry> entries) override;
  Result<std::vector<JailCounters>> Counters() override;
  Status TearDown() override;
  int event_fd() const override;
  Status HandleEvents() override;
  Status Resync() override;

  // Facts found at Open, for status output and tests.
  bool timeout_update_supported() const;  // re-adding an element updates its timeout (6.12+)
  bool owns_table() const;                // table is ours with owner + persist flags
  size_t adopted_bans() const;            // bans found in the kernel at Open
  // How many times HandleEvents or Resync re-created the table.
  size_t restore_count() const;

 private:
  struct Impl;
  explicit NftFirewall(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis
