// File positions of the log tailer, kept in `state_dir/positions.json` so a restart neither
// re-counts nor misses lines. Written atomically (temporary file + rename).
#pragma once

#include <string>
#include <vector>

#include "portcullis/line_source.h"

namespace portcullis {

// Missing or unreadable file: no positions (the tailer then starts at the end of each file).
std::vector<FilePosition> LoadPositions(const std::string& state_dir);
// Best effort: a failure is returned for the caller to log, state stays as it was.
bool SavePositions(const std::string& state_dir, const std::vector<FilePosition>& positions);

}  // namespace portcullis
