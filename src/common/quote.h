// Quoting user text inside error messages.
#pragma once

#include <string>
#include <string_view>

namespace portcullis {

// 'text' in single quotes, cut after 64 bytes ("..."), with control bytes, NULs, backslashes and
// quotes escaped as \xNN, so an error message about hostile input stays one printable line.
std::string QuoteForMessage(std::string_view text);

}  // namespace portcullis
