// The seam between the control server (socket I/O) and whatever answers requests.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace portcullis {

// Who is on the other end of a control connection, from SO_PEERCRED (and SO_PEERGROUPS).
struct PeerCredentials {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
  // True if the peer's primary or a supplementary group is the socket's configured group.
  bool in_group = false;
};

// Turns request lines into response lines. Called by ControlServer from the event-loop thread,
// one request at a time. Implementations never block and never throw.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;

  // `line` is one request without its '\n' (and without a trailing '\r'). Returns one response
  // without the '\n'; it must not contain a '\n'.
  virtual std::string Handle(std::string_view line, const PeerCredentials& peer) = 0;
  // The response sent before closing a connection whose request line exceeded `limit` bytes.
  virtual std::string TooLarge(size_t limit) = 0;
};

}  // namespace portcullis
