// Where the CLI finds the daemon's control socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::cli {

// The `socket = "..."` value under `[daemon]` in DIR/portcullis.local.toml, else in
// DIR/portcullis.toml (the daemon merges them the same way), or the default socket path
// (protocol::kDefaultSocketPath) when neither file has the key.
//
// Stop-gap: a line scanner for this one key, so the CLI does not depend on the config loader
// (toml++ belongs to src/config/ only). It will be replaced by a call into the config loader.
std::string SocketPathFromConfigDir(const std::string& dir);

// The scanner itself, on the text of portcullis.toml: handles comments, blank lines, any
// section order, "basic" and 'literal' strings (with \" and \\ escapes in basic strings), and
// dotted keys `daemon.socket = "..."` at the top level. nullopt if the key is not there.
std::optional<std::string> SocketPathFromToml(std::string_view text);

}  // namespace portcullis::cli
