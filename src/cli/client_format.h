// Human output of the client commands, from the daemon's JSON results. Pure.
//
// Never throws on unexpected shapes: a missing or mistyped field prints as 0, "" or nothing, so a
// newer daemon's extra fields or an older daemon's missing ones cannot crash the client.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace portcullis::cli {

// Text for stdout (ends with '\n') for a successful `request` and its `result`.
std::string FormatResult(const nlohmann::json& request, const nlohmann::json& result);

// Exit code for a successful reply: 0, or 1 when a ban or unban refused some addresses
// (refused, invalid) so that scripts notice.
int ResultExitCode(const nlohmann::json& request, const nlohmann::json& result);

// Text for stderr for a failed reply ("portcullis: <error>" and one indented line per detail).
std::string FormatError(const nlohmann::json& response);

// 3 for permission_denied (as for a socket we may not open), 1 for every other error reply.
int ErrorExitCode(const nlohmann::json& response);

}  // namespace portcullis::cli
