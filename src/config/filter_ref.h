// The `filter` key of a jail: a filter name with an optional mode, "sshd" or
// "sshd[mode=aggressive]".
#pragma once

#include <string>
#include <string_view>

#include "portcullis/status.h"

namespace portcullis {

struct FilterRef {
  std::string name;  // [A-Za-z0-9_.-]+, the file filters.d/<name>.toml
  std::string mode;  // empty when the text has no [mode=...]
};

// Accepts "NAME" and "NAME[mode=MODE]" (spaces around '=' and inside the brackets allowed, MODE
// optionally in single or double quotes). `mode` is the only argument: fail2ban's other bracket
// arguments belong to actions, which Portcullis does not have. Errors are InvalidArgument with the
// reason; the caller adds file, line and key.
Result<FilterRef> ParseFilterRef(std::string_view text);

// True for [A-Za-z0-9_.-]+ not starting with '.' or '-': names of filters, modes and jails.
bool IsValidName(std::string_view name);

}  // namespace portcullis
