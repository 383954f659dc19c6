#include "config/filter_ref.h"

namespace portcullis {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsValidName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Result<FilterRef> ParseFilterRef(std::string_view text) {
  FilterRef ref;
  std::string_view body = Trim(text);
  size_t open = body.find('[');
  std::string_view name = Trim(body.substr(0, open));
  if (!IsValidName(name)) {
    return Status::InvalidArgument("\"" + std::string(name) +
                                   "\" is not a filter name (letters, digits, '_', '-', '.')");
  }
  ref.name = std::string(name);
  if (open == std::string_view::npos) return ref;

  if (body.back() != ']') return Status::InvalidArgument("missing ']' after the filter arguments");
  std::string_view args = Trim(body.substr(open + 1, body.size() - open - 2));
  size_t eq = args.find('=');
  if (eq == std::string_view::npos) {
    return Status::InvalidArgument("expected mode=NAME inside the brackets, got \"" +
                                   std::string(args) + "\"");
  }
  std::string_view key = Trim(args.substr(0, eq));
  std::string_view value = Trim(args.substr(eq + 1));
  if (key != "mode") {
    return Status::InvalidArgument("unknown filter argument \"" + std::string(key) +
                                   "\" (only mode=NAME is supported)");
  }
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  if (!IsValidName(value)) {
    return Status::InvalidArgument("\"" + std::string(value) +
                                   "\" is not a mode name (letters, digits, '_', '-', '.')");
  }
  ref.mode = std::string(value);
  return ref;
}

}  // namespace portcullis
