// Dispatcher: one request line in, one response line out, over a DaemonFacade.
//
// Pure apart from the facade calls: no sockets, no clocks, no logging. Every check happens
// before the daemon is asked anything, in this order: the line is a JSON object (nesting at most
// 4 deep), "v" equals protocol::kProtocolVersion, "cmd" is a known command, the peer may run it,
// every field is known and of the right type and range. Only then is the facade called, and its
// Status becomes the response's error code (see include/portcullis/protocol.h).
//
// Access: ping and version for anyone who can connect; status, banned and get for uid 0 or a
// member of the socket group; everything that changes state (ban, unban, reload, set, flushlogs,
// stop) for uid 0 only.
#pragma once

#include <string>
#include <string_view>

#include "control/daemon_facade.h"
#include "control/request_handler.h"

namespace portcullis {

class Dispatcher : public RequestHandler {
 public:
  // `daemon` is borrowed and must outlive the dispatcher.
  explicit Dispatcher(DaemonFacade* daemon) : daemon_(daemon) {}

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  std::string Handle(std::string_view line, const PeerCredentials& peer) override;
  std::string TooLarge(size_t limit) override;

 private:
  DaemonFacade* daemon_;
};

}  // namespace portcullis
