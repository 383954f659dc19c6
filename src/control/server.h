// ControlServer: the daemon's control socket. Unix-socket I/O only; requests are answered by a
// RequestHandler (the Dispatcher).
//
// Event-loop integration (nested epoll): the server owns an internal epoll instance holding the
// listening socket and every client. The daemon adds fd() to its own epoll set for EPOLLIN and
// calls OnReadable() when it fires. OnReadable() never blocks: it handles what is ready (at most
// 64 events per call; level-triggered, so the outer loop fires again if more are ready) and
// returns. Everything runs on the caller's thread; the class is not thread-safe.
//
// Per client: requests are lines (protocol.h). The unterminated part of the input is capped at
// limits.max_request_bytes: beyond that the client gets the handler's TooLarge() response and is
// closed, and the rest of its data is never read. Responses go out through a per-client output
// buffer with non-blocking writes; while more than kPauseOutputBytes are unsent the server stops
// reading that client's requests (so a client that never reads its answers costs a bounded
// amount of memory and nobody else waits for it), and a client whose unsent output still exceeds
// limits.max_output_bytes (one huge answer) is dropped. A client that half-closes (shutdown
// SHUT_WR) after an unterminated last request gets that request answered. Beyond
// limits.max_clients simultaneous connections, new ones are accepted and closed at once. When
// the process runs out of descriptors (EMFILE), accepting pauses until a client disconnects.
// CloseIdle(), called periodically by the owner, closes connections that have had no traffic
// since its previous call, so idle connections cannot hold the max_clients slots for ever.
//
// Wiring in the daemon:
//   Dispatcher dispatcher(&facade);            // facade: the daemon's DaemonFacade
//   ControlServer server(&dispatcher);
//   Result<gid_t> gid = LookupGroup(settings.socket_group);
//   Status s = server.Listen(settings.socket, 0660, gid.ok() ? std::optional(*gid) : std::nullopt);
//   loop.Add(server.fd(), EPOLLIN, [&] { server.OnReadable(); });
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "control/request_handler.h"
#include "portcullis/protocol.h"
#include "portcullis/status.h"

namespace portcullis {

struct ServerLimits {
  size_t max_request_bytes = protocol::kMaxRequestBytes;
  size_t max_output_bytes = size_t{64} << 20;
  size_t max_clients = 256;
};

// Counters since Listen(), for status output and tests.
struct ServerStats {
  uint64_t accepted = 0;
  uint64_t requests = 0;
  uint64_t refused_too_many = 0;   // connections closed at accept: max_clients reached
  uint64_t dropped_too_large = 0;  // request line over max_request_bytes
  uint64_t dropped_slow = 0;       // unsent output over max_output_bytes
  size_t peak_input_bytes = 0;     // largest per-client input buffer seen
  uint64_t accept_paused = 0;      // times accepting stopped for lack of file descriptors
  uint64_t dropped_idle = 0;       // connections closed by CloseIdle()
};

// The gid of the group called `name`, for Listen(). NotFound if there is no such group.
Result<gid_t> LookupGroup(const std::string& name);

class ControlServer {
 public:
  // Stop reading a client's requests while this much of its output is unsent.
  static constexpr size_t kPauseOutputBytes = size_t{64} << 10;

  // `handler` is borrowed and must outlive the server.
  explicit ControlServer(RequestHandler* handler, ServerLimits limits = {});
  // Closes every connection and the listening socket, and removes the socket file if it is
  // still the one this server created.
  ~ControlServer();

  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Creates the socket at `path` with permissions `mode` (e.g. 0660) and, if `group` is set, that
  // group; peers in that group (primary or supplementary) are reported as in_group. Creates the
  // parent directory (mode 0755) if it is missing, one level only. An existing socket file is
  // removed only if nobody answers on it (a stale one from a crashed daemon); if a server answers,
  // Unavailable ("another portcullisd is listening"); a non-socket file is never removed
  // (IoError). The file is never accessible beyond `mode`, not even between bind and chmod.
  // Call once.
  Status Listen(const std::string& path, mode_t mode, std::optional<gid_t> group);

  // The internal epoll descriptor: readable when OnReadable() has work. -1 if construction
  // failed (then Listen() fails too).
  int fd() const { return epoll_fd_; }

  // Accepts, reads, answers and writes whatever is ready, without blocking.
  void OnReadable();

  // Closes the connections that have had no traffic (nothing read, nothing sent) since the
  // previous call, and returns how many. The daemon calls it every 30 s while clients are
  // connected, so a connection idle for 30 to 60 s is closed; a client that keeps a connection
  // open to send requests now and then must reconnect. No clock: the caller's period is the
  // timeout.
  size_t CloseIdle();

  size_t client_count() const { return clients_.size(); }
  const ServerStats& stats() const { return stats_; }

 private:
  struct Client;

  void Accept();
  void HandleClient(Client& c, uint32_t events);
  void ReadSome(Client& c);
  void ProcessLines(Client& c);
  void Respond(Client& c, std::string_view line);
  void Flush(Client& c);
  // Updates the client's epoll interest, or closes it if it has nothing left to do. Returns
  // false if the client was closed.
  bool Rearm(Client& c);
  void Close(int fd);
  PeerCredentials Credentials(int fd) const;

  RequestHandler* handler_;
  ServerLimits limits_;
  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  std::string path_;
  ino_t inode_ = 0;
  std::optional<gid_t> group_;
  bool accept_paused_ = false;  // listening socket out of epoll after EMFILE, until a Close()
  std::map<int, std::unique_ptr<Client>> clients_;
  ServerStats stats_;
};

}  // namespace portcullis
