// Loading filters.d/NAME.toml (+ NAME.local.toml) into a FilterDef.
//
// The format is described in docs/filters.md. Every error is InvalidArgument (NotFound/IoError for
// a missing or unreadable file) and names the file, the key (with the array index where there is
// one) and, for an unknown key, the nearest valid key ("did you mean 'failregex'?"). Regexes are
// not compiled here: Filter::Compile reports regex errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "filter/filter_def.h"
#include "portcullis/status.h"

namespace portcullis {

// Parses one filter from TOML text. `source_name` is used in messages and as FilterDef::source;
// `name` becomes FilterDef::name. When `local_text` is non-empty it is parsed too (named
// `local_source_name` in messages) and merged over the base key by key: tables merge per key
// (so [vars] merge per var and [modes.X] per key), any other value replaces the base one.
Result<FilterDef> ParseFilterToml(std::string_view text, std::string_view source_name,
                                  std::string_view name, std::string_view local_text = {},
                                  std::string_view local_source_name = {});

// Reads `path` (a .toml file) and, when it exists next to it, the matching `.local.toml` file.
// The filter name is the file name without ".toml".
Result<FilterDef> LoadFilterFile(const std::string& path);

// Resolves `name_or_path` to a file: an existing path (anything containing '/' or ending in
// ".toml") is used as is; otherwise NAME.toml is looked up in each of `dirs` in order. Returns
// NotFound listing the places searched.
Result<std::string> FindFilterFile(std::string_view name_or_path,
                                   const std::vector<std::string>& dirs);

}  // namespace portcullis
