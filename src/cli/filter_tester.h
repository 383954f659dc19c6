// Pieces of `portcullis filter-test` that tests call directly.
#pragma once

#include <cstdint>
#include <string>

#include "filter/filter.h"

namespace portcullis::cli {

// Appends the --json record for input line `line_number` (1-based) and a '\n' to `out`:
// {"line": N, "match": true|false, "host": "..."|null, "time": EPOCH|null}. Only kFailure is a
// match. The host is escaped as a JSON string (control characters, quotes, backslashes and bytes
// >= 0x80 as \u00XX, so the output stays valid JSON even for invalid UTF-8).
void AppendJsonRecord(std::string* out, uint64_t line_number, const LineResult& result);

}  // namespace portcullis::cli
