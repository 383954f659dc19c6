// The control protocol between `portcullis` (client) and `portcullisd` (server).
//
// Transport: a Unix stream socket (default kDefaultSocketPath, mode 0660, owner root, group
// configurable). Framing: one JSON object per line, '\n'-terminated, UTF-8. The client sends one
// request line and reads one response line; it may send several requests on one connection, and
// the server answers them in order. A request line longer than kMaxRequestBytes gets a "too_large"
// error response and the connection is closed; the server never buffers more than that.
//
// Request (every command):
//   {"v":1, "cmd":"<command>", "id":<optional string or number, echoed back>, ...arguments}
// Response:
//   {"v":1, "ok":true,  "result":{...}, "id":...}
//   {"v":1, "ok":false, "code":"<error code>", "error":"<human message>", "details":[...],
//   "id":...}
// "details" (optional) lists sub-errors, e.g. every config error of a failed reload.
// Unknown request fields are rejected (bad_request), so a typo is an error and a newer client's
// option never silently does nothing on an older daemon. Result objects may gain fields in later
// versions; readers ignore fields they do not know.
//
// Commands and arguments (docs/control.md has the result shapes and examples):
//   ping                                           anyone who can connect
//   version                                        anyone who can connect
//   status    [jail]                               root or the socket group (read-only)
//   banned    [addr]                               root or the socket group (read-only)
//   get       jail, key                            root or the socket group (read-only)
//   ban       jail, addrs[], [for], [force]        root only
//   unban     [jail], addrs[]  |  all:true         root only
//   reload    [jail]                               root only
//   set       jail, key, value                     root only
//   flushlogs                                      root only
//   stop                                           root only
// Durations ("for", set bantime/findtime) are a JSON integer of seconds or a string such as
// "600", "10m", "1h30m", "2d", "1w"; "permanent" (or -1) is allowed where a ban length is meant.
//
// Versioning: "v" must equal kProtocolVersion. A mismatch gets code "version_mismatch" with the
// server's own version in "v", so either side can say which one is out of date.
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::protocol {

inline constexpr int kProtocolVersion = 1;

// Longest accepted request line, newline excluded.
inline constexpr size_t kMaxRequestBytes = 1 << 20;

inline constexpr std::string_view kDefaultSocketPath = "/run/portcullis/portcullis.sock";

// Error codes ("code" of a failed response). The first five mirror StatusCode; the rest are
// protocol-level and are produced before the daemon is asked anything.
inline constexpr std::string_view kErrInvalidArgument = "invalid_argument";
inline constexpr std::string_view kErrNotFound = "not_found";
inline constexpr std::string_view kErrIoError = "io_error";
inline constexpr std::string_view kErrPermissionDenied = "permission_denied";
inline constexpr std::string_view kErrUnavailable = "unavailable";
inline constexpr std::string_view kErrBadRequest = "bad_request";  // not JSON, wrong shape/types
inline constexpr std::string_view kErrTooLarge = "too_large";      // line over kMaxRequestBytes
inline constexpr std::string_view kErrVersionMismatch = "version_mismatch";
inline constexpr std::string_view kErrUnknownCommand = "unknown_command";

}  // namespace portcullis::protocol
