// The firewall seam: where ban decisions become packet drops.
//
// The daemon owns one Firewall, created at startup from the `backend` setting: NftFirewall
// (src/firewall/nft_firewall.h, the kernel's nf_tables over netlink) or MemoryFirewall
// (src/firewall/memory_firewall.h, records calls; the "none" dry-run backend and the unit-test
// fake). It is called only from the daemon's single-threaded event loop; implementations are not
// thread-safe.
//
// Contract shared by every implementation:
// - A firewall touches only its own objects (for nftables: one table). It never reads or changes
//   anything else.
// - A jail must be set up (SetUpJails) before bans name it; naming an unknown jail is NotFound.
// - Every call is one transaction: it either takes effect completely or not at all. A failed call
//   leaves the previous state in place, and the caller may retry it later.
// - Idempotent: banning an address that is already banned is not an error (the ban lasts until the
//   later of the two expiries), unbanning an address that is not banned is not an error.
// - Timeouts are relative to the moment of the call. A timed ban lapses on time by itself, even if
//   the daemon has died (the kernel expires it); a permanent ban (no timeout) stays until unbanned.
// - A single-address ban and a network ban are separate entries: unbanning 192.0.2.7 does not lift
//   a ban on 192.0.2.0/24, and unbanning the /24 does not lift a ban on 192.0.2.7.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/net.h"
#include "portcullis/status.h"

namespace portcullis {

// Transport protocols a jail can be limited to (values are IANA protocol numbers).
enum class Protocol : uint8_t { kTcp = 6, kUdp = 17, kDccp = 33, kSctp = 132, kUdpLite = 136 };

// "tcp", "udp", "dccp", "sctp", "udplite".
std::string_view ProtocolName(Protocol protocol);
// Inverse of ProtocolName (lower case only); anything else is InvalidArgument.
Result<Protocol> ParseProtocol(std::string_view name);

// An inclusive port range; a single port has first == last. Ports are 1..65535.
struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;

  bool operator==(const PortRange&) const = default;
};

enum class BlockAction : uint8_t {
  kDrop,    // silently discard: the client waits for its own timeout
  kReject,  // answer "administratively prohibited" (ICMP/ICMPv6), or a TCP reset if asked for
};

// What one jail blocks. A jail with no ports blocks every port; a jail with no protocols blocks
// every protocol (and then must not name ports, since only some protocols have ports).
struct JailSpec {
  std::string name;                 // see ValidateJailName
  std::vector<PortRange> ports;     // empty: all ports
  std::vector<Protocol> protocols;  // empty: all protocols
  BlockAction action = BlockAction::kReject;
  bool reject_with_tcp_reset = false;  // kReject only: TCP gets a reset, the rest ICMP

  bool operator==(const JailSpec&) const = default;
};

// Jail names: 1 to 24 characters from [A-Za-z0-9_-], starting with a letter or digit. Kernel object
// names are derived from them, and some nftables tools truncate long names.
Status ValidateJailName(std::string_view name);
// Name plus the rules above (ports within 1..65535 and first <= last, no ports without
// protocols, no duplicate protocols, tcp reset only with reject).
Status ValidateJailSpec(const JailSpec& spec);

// One ban as requested, or as listed.
struct BanEntry {
  Cidr target;                                       // a single address is a /32 or /128
  std::optional<std::chrono::milliseconds> timeout;  // nullopt: permanent
  // Set by Firewall::List only: time left before the ban lapses (nullopt for permanent bans).
  std::optional<std::chrono::milliseconds> remaining;

  bool operator==(const BanEntry&) const = default;
};

// A burst of ban decisions, possibly for several jails, applied as one transaction by
// Firewall::Apply. Operations apply in order; later ones see the effect of earlier ones.
class FirewallBatch {
 public:
  enum class Kind : uint8_t {
    kBan,      // banned until at least now + timeout (or permanently); never shortens a ban
    kUnban,    // no longer banned; not an error if it was not
    kRefresh,  // banned until exactly now + timeout (or permanently), banning it if it was not
  };
  struct Op {
    Kind kind = Kind::kBan;
    std::string jail;
    Cidr target;
    std::optional<std::chrono::milliseconds> timeout;  // kBan and kRefresh; nullopt: permanent
  };

  FirewallBatch& Ban(std::string_view jail, const Cidr& target,
                     std::optional<std::chrono::milliseconds> timeout);
  FirewallBatch& Unban(std::string_view jail, const Cidr& target);
  FirewallBatch& Refresh(std::string_view jail, const Cidr& target,
                         std::optional<std::chrono::milliseconds> timeout);

  std::span<const Op> ops() const { return ops_; }
  size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  void Clear() { ops_.clear(); }
  void Reserve(size_t n) { ops_.reserve(n); }

 private:
  std::vector<Op> ops_;
};

// Packets and bytes blocked by one jail's rules since they were installed.
struct JailCounters {
  std::string jail;
  uint64_t packets = 0;
  uint64_t bytes = 0;

  bool operator==(const JailCounters&) const = default;
};

class Firewall {
 public:
  virtual ~Firewall() = default;
  Firewall(const Firewall&) = delete;
  Firewall& operator=(const Firewall&) = delete;

  // Creates the jails that do not exist yet and updates the rules of those whose spec changed,
  // keeping their bans. Jails not named here are left alone (see RemoveJail). InvalidArgument if a
  // spec is invalid (nothing is changed then).
  virtual Status SetUpJails(std::span<const JailSpec> jails) = 0;
  // Removes a jail's rules and bans. Not an error if the jail does not exist.
  virtual Status RemoveJail(std::string_view jail) = 0;
  // Names of the jails currently installed, set up by SetUpJails or adopted at start.
  virtual std::vector<std::string> Jails() const = 0;

  // Applies every operation of the batch in one transaction. NotFound if a jail is unknown,
  // InvalidArgument for a negative timeout; then nothing is applied.
  virtual Status Apply(const FirewallBatch& batch) = 0;

  // What the firewall actually holds for a jail (for nftables: read back from the kernel), with
  // `remaining` filled in for timed bans. IPv4 before IPv6, each sorted by address. NotFound for
  // an unknown jail.
  virtual Result<std::vector<BanEntry>> List(std::string_view jail) = 0;
  // Lifts every ban of a jail; the jail stays set up.
  virtual Status Flush(std::string_view jail) = 0;
  // Makes `entries` the whole content of a jail's bans in one transaction: nobody ever sees the
  // list half-replaced (for blocklists). Duplicates and overlaps in `entries` are allowed.
  virtual Status Replace(std::string_view jail, std::span<const BanEntry> entries) = 0;
  // Blocked-traffic counters, one entry per installed jail, sorted by jail name.
  virtual Result<std::vector<JailCounters>> Counters() = 0;

  // Removes everything this firewall created (for nftables: the whole table, with every ban).
  virtual Status TearDown() = 0;

  // For the event loop: a descriptor that becomes readable when HandleEvents has work, or -1 if
  // this implementation never has any (then HandleEvents need not be called).
  virtual int event_fd() const = 0;
  // Called when event_fd() is readable. Detects outside changes that removed our objects (for
  // nftables: `nft flush ruleset`, a firewall reload) and restores them with every current ban,
  // each with its remaining time. Returns an error only if restoring failed (the caller logs it
  // and calls Resync later).
  virtual Status HandleEvents() = 0;
  // Re-checks everything against what this firewall believes it installed and repairs any
  // difference. For lost events (ENOBUFS) and for retrying after a failed restore.
  virtual Status Resync() = 0;

  // Conveniences: build a one-kind batch and Apply it.
  Status Ban(std::string_view jail, std::span<const BanEntry> entries);
  Status Unban(std::string_view jail, std::span<const Cidr> targets);
  Status Refresh(std::string_view jail, std::span<const BanEntry> entries);

 protected:
  Firewall() = default;
};

}  // namespace portcullis
