#include "cli/socket_path.h"

#include <fstream>
#include <sstream>

#include "portcullis/protocol.h"

namespace portcullis::cli {
namespace {

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) {
    return {};
  }
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Parses a TOML basic or literal string at the start of `v`; nullopt if it is not one.
std::optional<std::string> ParseString(std::string_view v) {
  if (v.size() < 2) {
    return std::nullopt;
  }
  char quote = v[0];
  if (quote != '"' && quote != '\'') {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 1; i < v.size(); ++i) {
    char c = v[i];
    if (c == quote) {
      return out;
    }
    if (quote == '"' && c == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      out += n == 't' ? '\t' : n;  // \" and \\ are what a path needs
      continue;
    }
    out += c;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> SocketPathFromToml(std::string_view text) {
  std::string section;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        Trim(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    if (line.empty() || line[0] == '#') {
      continue;
    }
    if (line[0] == '[') {
      size_t close = line.find(']');
      section = close == std::string_view::npos ? "" : std::string(Trim(line.substr(1, close - 1)));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string_view key = Trim(line.substr(0, eq));
    bool match = (section == "daemon" && (key == "socket" || key == "\"socket\"")) ||
                 (section.empty() && key == "daemon.socket");
    if (!match) {
      continue;
    }
    std::optional<std::string> value = ParseString(Trim(line.substr(eq + 1)));
    if (value) {
      return value;
    }
  }
  return std::nullopt;
}

std::string SocketPathFromConfigDir(const std::string& dir) {
  // The daemon merges portcullis.local.toml over portcullis.toml: the local file wins.
  for (const char* name : {"/portcullis.local.toml", "/portcullis.toml"}) {
    std::ifstream in(dir + name);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    if (std::optional<std::string> path = SocketPathFromToml(ss.str())) {
      return *path;
    }
  }
  return std::string(protocol::kDefaultSocketPath);
}

}  // namespace portcullis::cli
