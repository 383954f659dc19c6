// Durations as the control protocol and the CLI spell them.
//
// Pure. "600" (seconds), "10m", "1h30m", "2d", "1w" (units s, m, h, d, w; at least one digit per
// unit; no spaces, no sign), and "permanent" or "-1" (kPermanentBan) when `allow_permanent`.
// Zero is refused: a ban or window of zero seconds is a mistake. Values above ten years are refused
// (likely a unit slip, and it keeps every sum far from overflow). Errors are InvalidArgument
// with the offending text in the message.
// The grammar is common/duration.h's (the config files use the same); this adds the limits above.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

inline constexpr int64_t kMaxDurationSeconds = int64_t{10} * 366 * 24 * 3600;

Result<int64_t> ParseDuration(std::string_view text, bool allow_permanent);

// "1h30m", "45s", "2d", or "permanent" for kPermanentBan: the shortest exact spelling.
std::string FormatDuration(int64_t seconds);

}  // namespace portcullis
