// Pure planning for the firewall backends: kernel object names, the ledger of what is banned, range
// merging for interval sets, message-size math and errno mapping.
//
// Nothing here touches a socket, reads a clock or logs. Times are milliseconds on the caller's
// monotonic axis ("now" is always an argument); kNeverMs marks a permanent ban.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "portcullis/firewall.h"
#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

constexpr int64_t kNeverMs = INT64_MAX;
// Marks an address that is not banned after a batch (internal to planning).
constexpr int64_t kRemovedMs = INT64_MIN;

// ---- Names -------------------------------------------------------------------------------------

// The four kernel sets of a jail: single addresses in hash sets with per-element timeouts, network
// bans in interval sets (the kernel cannot hold an overlapping range in a hash set).
enum class NftSetKind : uint8_t { kHost4, kHost6, kNet4, kNet6 };
constexpr NftSetKind kAllSetKinds[] = {NftSetKind::kHost4, NftSetKind::kHost6, NftSetKind::kNet4,
                                       NftSetKind::kNet6};

// "sshd" -> "sshd-4", "sshd-6", "sshd-n4", "sshd-n6".
std::string NftSetName(std::string_view jail, NftSetKind kind);
// Inverse of NftSetName; nullopt for names we did not make (including invalid jail names).
std::optional<std::pair<std::string, NftSetKind>> ParseNftSetName(std::string_view set_name);
// The set a ban goes to: hosts (/32, /128) in the hash sets, wider blocks in the interval sets.
NftSetKind SetKindFor(const Cidr& target);
bool IsV6(NftSetKind kind);
bool IsInterval(NftSetKind kind);

// Table names: 1 to 32 characters from [A-Za-z0-9_-], starting with a letter.
Status ValidateTableName(std::string_view name);

// ---- Ranges ------------------------------------------------------------------------------------

using Uint128 = unsigned __int128;

// Addresses as integers (IPv4 in the low 32 bits) so ranges can be compared and stepped.
Uint128 AddressValue(const IpAddress& address);
IpAddress AddressFromValue(Uint128 value, IpFamily family);
Uint128 MaxAddressValue(IpFamily family);

// A run of addresses [first, last] that shares one expiry, as held in an interval set.
struct Segment {
  Uint128 first = 0;
  Uint128 last = 0;
  int64_t expiry_ms = kNeverMs;

  bool operator==(const Segment&) const = default;
};

// The disjoint, sorted segments covering every block of `bans` of `family` that has not expired at
// `now_ms` (blocks of the other family are ignored). Where blocks overlap, the later expiry wins;
// adjacent runs with the same expiry are merged, so the kernel receives as few elements as possible
// and never an overlap.
std::vector<Segment> MergeBans(const std::map<Cidr, int64_t>& bans, IpFamily family,
                               int64_t now_ms);

// What to delete and add to turn the kernel's `before` segments into `after`. Deletions go first
// in the transaction, so the additions never overlap anything still present.
struct SegmentDiff {
  std::vector<Segment> remove;
  std::vector<Segment> add;
};
SegmentDiff DiffSegments(std::span<const Segment> before, std::span<const Segment> after);

// The fewest CIDR blocks exactly covering [first, last] (for reading interval sets back).
std::vector<Cidr> RangeToCidrs(Uint128 first, Uint128 last, IpFamily family);

// ---- Ledger ------------------------------------------------------------------------------------

// One address whose kernel element must change.
struct HostChange {
  enum class Kind : uint8_t { kAdd, kRemove, kUpdate };
  Kind kind = Kind::kAdd;
  IpAddress address;
  int64_t expiry_ms = kNeverMs;      // new expiry (kAdd, kUpdate)
  int64_t old_expiry_ms = kNeverMs;  // expiry before (kRemove, kUpdate)
};

// The kernel work of one jail in a plan. If flush_* is set the whole set pair is emptied first and
// the changes list only additions.
struct JailChanges {
  std::string jail;
  bool flush_hosts = false;
  bool flush_nets = false;
  std::vector<HostChange> hosts4, hosts6;
  std::array<bool, 2> nets_changed{};  // [0] IPv4, [1] IPv6
  std::array<SegmentDiff, 2> nets;
  std::array<std::vector<Segment>, 2> new_segments;

  bool empty() const;
};

// Everything a batch changes, computed without changing the ledger. Commit it once the kernel (or
// the memory backend) has accepted the work.
struct BanPlan {
  std::vector<JailChanges> jails;
  size_t element_count() const;  // kernel elements to send (interval segments count double)
  bool empty() const;

  // Staged final state, consumed by BanLedger::Commit.
  struct Staged {
    std::string jail;
    bool flush_hosts = false;
    // Expiry after the batch per touched address (kRemovedMs: not banned). Same node type as
    // BanLedger::Jail::hosts, so Commit moves nodes instead of allocating new ones.
    std::unordered_map<IpAddress, int64_t, IpAddressHash> hosts;
    // Live expiry before the batch, for touched addresses that had one.
    std::unordered_map<IpAddress, int64_t, IpAddressHash> old;
    std::optional<std::map<Cidr, int64_t>> nets;  // the jail's whole new network map, if touched
  };
  std::vector<Staged> staged;
};

// What is banned, per jail, with absolute expiries: the backends' memory of what they installed.
// Expired entries are dropped lazily (Purge) and never reported.
class BanLedger {
 public:
  struct Jail {
    std::unordered_map<IpAddress, int64_t, IpAddressHash> hosts;
    std::map<Cidr, int64_t> nets;
    std::array<std::vector<Segment>, 2>
        segments;  // what the interval sets hold: [0] IPv4, [1] IPv6
  };

  bool HasJail(std::string_view jail) const;
  void AddJail(std::string_view jail);  // no-op if present
  void RemoveJail(std::string_view jail);
  std::vector<std::string> JailNames() const;  // sorted
  const Jail* Find(std::string_view jail) const;
  Jail* FindMutable(std::string_view jail);

  // NotFound for an unknown jail, InvalidArgument for a negative timeout.
  Result<BanPlan> PlanBatch(const FirewallBatch& batch, int64_t now_ms) const;
  BanPlan PlanFlush(std::string_view jail, int64_t now_ms) const;
  Result<BanPlan> PlanReplace(std::string_view jail, std::span<const BanEntry> entries,
                              int64_t now_ms) const;
  void Commit(BanPlan&& plan, int64_t now_ms);

  // Drops entries that expired at or before `now_ms`.
  void Purge(int64_t now_ms);
  // Current bans of a jail (not expired at `now_ms`), sorted, with `remaining` set; `timeout` is
  // the remaining time too (the original length is not kept).
  std::vector<BanEntry> Entries(std::string_view jail, int64_t now_ms) const;
  size_t size() const;  // bans over all jails

 private:
  std::map<std::string, Jail, std::less<>> jails_;
};

// Absolute expiry for a timeout given at `now_ms`; nullopt timeout is kNeverMs. Saturates.
int64_t ExpiryFor(std::optional<std::chrono::milliseconds> timeout, int64_t now_ms);

// Display order for bans: IPv4 before IPv6, then by address, then by prefix length.
bool BanOrder(const BanEntry& a, const BanEntry& b);

// ---- Message-size math -------------------------------------------------------------------------

// NFTA_SET_ELEM_LIST_ELEMENTS carries a 16-bit length, so elements are spread over several
// NEWSETELEM messages of one batch. Keep each list a little under the limit, as nft does.
constexpr size_t kElementListBudget = 65535 - 1024;

// Encoded size of one element in a NEWSETELEM/DELSETELEM list: NFTA_LIST_ELEM { KEY { VALUE },
// [FLAGS], [TIMEOUT] }, all 4-byte aligned.
size_t ElementBytes(size_t key_len, bool with_timeout, bool with_flags);
// How many messages `count` elements of `element_bytes` each need.
size_t MessagesForElements(size_t count, size_t element_bytes);
// Socket send buffer for a batch of `batch_bytes`: the whole batch is one datagram, which must
// fit in SO_SNDBUF (with slack for the kernel's accounting); never below `floor_bytes`.
size_t SendBufferFor(size_t batch_bytes, size_t floor_bytes);

// ---- Errors ------------------------------------------------------------------------------------

// The one place where a kernel errno becomes a Status. `what` names the operation and object
// ("add elements to set sshd-4"); `extack` is the kernel's extended-ack text (may be empty).
// `privileged`: the caller has CAP_NET_ADMIN, so EPERM can only mean that another process owns
// our table.
Status KernelError(int error, std::string_view what, std::string_view extack,
                   bool privileged = false);

}  // namespace portcullis
