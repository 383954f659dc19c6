// From `portcullis COMMAND ARGS...` to one control request. Pure: no files, no sockets.
//
// Besides our own spellings this accepts the fail2ban-client ones users' hands know:
//   set JAIL banip ADDR...     -> ban JAIL ADDR...
//   set JAIL unbanip ADDR...   -> unban --jail JAIL ADDR...
//   get JAIL banip             -> get JAIL banned
//   status JAIL, unban --all, unban ADDR..., banned, reload, ping, flushlogs, stop: as is.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "portcullis/status.h"

namespace portcullis::cli {

// Options every client command takes.
struct ClientOptions {
  std::optional<std::string> socket;      // --socket PATH, -s PATH
  std::optional<std::string> config_dir;  // --config-dir DIR, -c DIR
  bool json = false;                      // --json: print the raw result object
  int timeout_ms = 30000;                 // --timeout SECONDS
  bool help = false;                      // -h, --help
};

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json's constructors are not noexcept.
struct ClientInvocation {
  ClientOptions options;
  // The protocol request without "v" (added when sent). "cmd" may differ from the command typed
  // (fail2ban spellings).
  nlohmann::json request;
  // `ban JAIL --file FILE|-`: addresses to read and append to request["addrs"] ("-" = stdin).
  std::optional<std::string> addr_file;
};

// `name` is the command ("ban"), `args` what follows it. Usage errors are InvalidArgument with a
// one-line message naming the problem (the caller adds the usage text, exit code 2).
Result<ClientInvocation> ParseClientCommand(std::string_view name,
                                            const std::vector<std::string>& args);

// The usage text of one client command ("usage: portcullis ban JAIL ADDR... ...").
std::string ClientUsage(std::string_view name);

// Addresses from a list file: one per line; blank lines and '#' comments (whole-line or after
// the address) are skipped; surrounding whitespace is trimmed. No validation: the daemon
// reports each bad address.
std::vector<std::string> ParseAddressList(std::string_view text);

// A `ban --file` list too long for one request (protocol::kMaxRequestBytes) is sent in parts.
// Splits request["addrs"] into requests of the same command whose serialised size (with "v")
// stays within max_bytes; each part is one transaction in the daemon. A request that fits, or has
// no "addrs", comes back alone and unchanged.
std::vector<nlohmann::json> SplitAddressRequest(const nlohmann::json& request, size_t max_bytes);

// The result of a request sent in parts, as if it had been one: integer counts are summed,
// "results" arrays concatenated, other fields taken from the first part.
nlohmann::json MergePartResults(const std::vector<nlohmann::json>& results);

// True for text that can only be an address or CIDR, not a jail name: it has a ':' or consists
// of digits, '.' and '/' only. Used to tell `unban JAIL ADDR...` from `unban ADDR ADDR...`.
bool LooksLikeAddress(std::string_view text);

}  // namespace portcullis::cli
