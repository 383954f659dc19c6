// The blocking side of the control socket, used by the `portcullis` CLI.
#pragma once

#include <string>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

// Connects to the daemon's socket at `socket_path`, sends `request` (one JSON object without the
// '\n'), and returns the response line (without the '\n'). Gives up after `timeout_ms` in total.
// Errors, worded for the person at the terminal:
//   Unavailable       "portcullisd is not running (no socket at PATH)" (ENOENT), "...(nothing is
//                     listening on PATH)" (ECONNREFUSED), or no answer within the timeout
//   PermissionDenied  "permission denied on PATH (are you root or in group G?)"
//   InvalidArgument   the request is over protocol::kMaxRequestBytes (nothing is sent)
//   IoError           anything else, with strerror
Result<std::string> CallDaemon(const std::string& socket_path, std::string_view request,
                               int timeout_ms);

// The Status CallDaemon returns when connect() to `socket_path` fails with `err`. `group` names
// the socket's group for the permission hint ("" if it cannot be found out).
Status ConnectError(const std::string& socket_path, int err, const std::string& group);

}  // namespace portcullis
