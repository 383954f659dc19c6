#include "common/quote.h"

#include <algorithm>

namespace portcullis {

std::string QuoteForMessage(std::string_view text) {
  constexpr size_t kMaxQuoted = 64;
  std::string out = "'";
  const size_t n = std::min(text.size(), kMaxQuoted);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > n) out += "...";
  out += "'";
  return out;
}

}  // namespace portcullis
