#include "daemon/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace portcullis {

std::vector<FilePosition> LoadPositions(const std::string& state_dir) {
  std::vector<FilePosition> out;
  std::ifstream in(state_dir + "/positions.json");
  if (!in) return out;
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_array()) return out;
  for (const auto& e : doc) {
    if (!e.is_object()) continue;
    FilePosition p;
    p.path = e.value("path", "");
    p.dev = e.value("dev", uint64_t{0});
    p.ino = e.value("ino", uint64_t{0});
    p.offset = e.value("offset", uint64_t{0});
    p.head_hash = e.value("head_hash", uint64_t{0});
    p.head_len = e.value("head_len", uint32_t{0});
    if (!p.path.empty()) out.push_back(std::move(p));
  }
  return out;
}

bool SavePositions(const std::string& state_dir, const std::vector<FilePosition>& positions) {
  if (state_dir.empty()) return false;
  nlohmann::json doc = nlohmann::json::array();
  for (const FilePosition& p : positions) {
    doc.push_back({{"path", p.path},
                   {"dev", p.dev},
                   {"ino", p.ino},
                   {"offset", p.offset},
                   {"head_hash", p.head_hash},
                   {"head_len", p.head_len}});
  }
  std::string text = doc.dump(1) + "\n";
  std::string tmp = state_dir + "/positions.json.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || std::rename(tmp.c_str(), (state_dir + "/positions.json").c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

}  // namespace portcullis
