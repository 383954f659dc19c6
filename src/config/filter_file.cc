#include "config/filter_file.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>

#include "config/edit_distance.h"

namespace portcullis {
namespace {

std::string UnknownKey(std::string_view file, std::string_view path, std::string_view key,
                       const std::vector<std::string_view>& valid) {
  std::string msg =
      std::string(file) + ": unknown key '" + std::string(path) + std::string(key) + "'";
  std::string_view best = NearestWord(key, valid);
  if (!best.empty()) {
    msg += " (did you mean '" + std::string(path) + std::string(best) + "'?)";
  }
  return msg;
}

std::string Where(std::string_view file, const toml::node& node) {
  std::string out(file);
  const auto& src = node.source();
  if (src.begin.line > 0) {
    out += ":" + std::to_string(src.begin.line);
  }
  return out;
}

Status ExpectString(std::string_view file, std::string_view key, const toml::node& node) {
  if (node.is_string()) {
    return Status::Ok();
  }
  return Status::InvalidArgument(Where(file, node) + ": key '" + std::string(key) +
                                 "': expected a string");
}

Status ExpectStringArray(std::string_view file, std::string_view key, const toml::node& node) {
  const toml::array* arr = node.as_array();
  if (arr == nullptr) {
    return Status::InvalidArgument(Where(file, node) + ": key '" + std::string(key) +
                                   "': expected an array of strings");
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    if (!(*arr)[i].is_string()) {
      return Status::InvalidArgument(Where(file, (*arr)[i]) + ": key '" + std::string(key) + "[" +
                                     std::to_string(i) + "]': expected a string");
    }
  }
  return Status::Ok();
}

bool IsLowerName(std::string_view s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) {
    return false;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Checks keys and value types of one file (base or .local) so that errors name the file that has
// them; the merged table then converts without further checks.
Status Validate(std::string_view file, const toml::table& root) {
  static const std::vector<std::string_view> kTop = {
      "description", "failregex",    "ignoreregex", "prefregex", "datepattern", "journalmatch",
      "no_date",     "default_mode", "vars",        "modes",     "session"};
  static const std::vector<std::string_view> kMode = {"failregex", "ignoreregex", "include"};
  static const std::vector<std::string_view> kSession = {"key", "remember", "max_sessions",
                                                         "max_age"};
  for (auto&& [k, v] : root) {
    std::string_view key = k.str();
    if (key == "description" || key == "prefregex" || key == "datepattern" ||
        key == "default_mode") {
      PORTCULLIS_RETURN_IF_ERROR(ExpectString(file, key, v));
    } else if (key == "failregex" || key == "ignoreregex" || key == "journalmatch") {
      PORTCULLIS_RETURN_IF_ERROR(ExpectStringArray(file, key, v));
    } else if (key == "no_date") {
      PORTCULLIS_RETURN_IF_ERROR(ExpectString(file, key, v));
      std::string_view val = v.as_string()->get();
      if (val != "skip" && val != "now") {
        return Status::InvalidArgument(Where(file, v) + ": key 'no_date': expected \"skip\" or " +
                                       "\"now\", got \"" + std::string(val) + "\"");
      }
    } else if (key == "vars") {
      const toml::table* vars = v.as_table();
      if (vars == nullptr) {
        return Status::InvalidArgument(Where(file, v) + ": key 'vars': expected a table");
      }
      for (auto&& [vk, vv] : *vars) {
        std::string full = "vars." + std::string(vk.str());
        if (!IsLowerName(vk.str())) {
          return Status::InvalidArgument(
              Where(file, vv) + ": key '" + full +
              "': var names are lower-case letters, digits, '_' and '-', starting with a letter");
        }
        PORTCULLIS_RETURN_IF_ERROR(ExpectString(file, full, vv));
      }
    } else if (key == "modes") {
      const toml::table* modes = v.as_table();
      if (modes == nullptr) {
        return Status::InvalidArgument(Where(file, v) + ": key 'modes': expected a table");
      }
      for (auto&& [mk, mv] : *modes) {
        std::string prefix = "modes." + std::string(mk.str()) + ".";
        const toml::table* mode = mv.as_table();
        if (mode == nullptr) {
          return Status::InvalidArgument(Where(file, mv) + ": key 'modes." + std::string(mk.str()) +
                                         "': expected a table");
        }
        for (auto&& [fk, fv] : *mode) {
          if (std::find(kMode.begin(), kMode.end(), fk.str()) == kMode.end()) {
            return Status::InvalidArgument(UnknownKey(file, prefix, fk.str(), kMode));
          }
          PORTCULLIS_RETURN_IF_ERROR(ExpectStringArray(file, prefix + std::string(fk.str()), fv));
        }
      }
    } else if (key == "session") {
      const toml::table* session = v.as_table();
      if (session == nullptr) {
        return Status::InvalidArgument(Where(file, v) + ": key 'session': expected a table");
      }
      for (auto&& [sk, sv] : *session) {
        std::string_view skey = sk.str();
        std::string full = "session." + std::string(skey);
        if (skey == "key") {
          PORTCULLIS_RETURN_IF_ERROR(ExpectString(file, full, sv));
        } else if (skey == "remember") {
          PORTCULLIS_RETURN_IF_ERROR(ExpectStringArray(file, full, sv));
        } else if (skey == "max_sessions") {
          auto n = sv.value<int64_t>();
          if (!sv.is_integer() || !n || *n < 1 || *n > 1000000) {
            return Status::InvalidArgument(Where(file, sv) + ": key '" + full +
                                           "': expected an integer from 1 to 1000000");
          }
        } else if (skey == "max_age") {
          auto n = sv.value<double>();
          if (!(sv.is_integer() || sv.is_floating_point()) || !n || *n <= 0) {
            return Status::InvalidArgument(Where(file, sv) + ": key '" + full +
                                           "': expected a positive number of seconds");
          }
        } else {
          return Status::InvalidArgument(UnknownKey(file, "session.", skey, kSession));
        }
      }
    } else {
      return Status::InvalidArgument(UnknownKey(file, "", key, kTop));
    }
  }
  return Status::Ok();
}

void Merge(toml::table& base, const toml::table& over) {
  for (auto&& [k, v] : over) {
    toml::node* existing = base.get(k.str());
    if (existing != nullptr && existing->is_table() && v.is_table()) {
      Merge(*existing->as_table(), *v.as_table());
    } else {
      base.insert_or_assign(k, v);
    }
  }
}

std::vector<std::string> Strings(const toml::node* node) {
  std::vector<std::string> out;
  if (node == nullptr || !node->is_array()) {
    return out;
  }
  for (const toml::node& e : *node->as_array()) {
    out.emplace_back(e.as_string()->get());
  }
  return out;
}

std::string String(const toml::table& t, std::string_view key) {
  const toml::node* n = t.get(key);
  return n != nullptr && n->is_string() ? n->as_string()->get() : std::string();
}

Result<toml::table> ParseText(std::string_view text, std::string_view source_name) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return Status::InvalidArgument(std::string(source_name) + ":" + std::to_string(b.line) + ":" +
                                   std::to_string(b.column) + ": " + std::string(e.description()));
  }
}

// stdio, not file streams: those initialise the C++ locale (more of libstdc++ resident).
Result<std::string> ReadFile(const std::string& path) {
  FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::NotFound(path + ": no such file");
    }
    return Status::IoError(path + ": cannot open");
  }
  std::string text;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), in)) > 0) {
    text.append(buffer, n);
  }
  bool bad = std::ferror(in) != 0;
  std::fclose(in);
  if (bad) {
    return Status::IoError(path + ": read error");
  }
  return text;
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

Result<FilterDef> ParseFilterToml(std::string_view text, std::string_view source_name,
                                  std::string_view name, std::string_view local_text,
                                  std::string_view local_source_name) {
  Result<toml::table> base = ParseText(text, source_name);
  if (!base.ok()) {
    return base.status();
  }
  PORTCULLIS_RETURN_IF_ERROR(Validate(source_name, *base));
  FilterDef def;
  def.source = std::string(source_name);
  if (!local_text.empty()) {
    Result<toml::table> local = ParseText(local_text, local_source_name);
    if (!local.ok()) {
      return local.status();
    }
    PORTCULLIS_RETURN_IF_ERROR(Validate(local_source_name, *local));
    Merge(*base, *local);
    def.source += " (+ " + std::string(local_source_name) + ")";
  }
  const toml::table& t = *base;
  def.name = std::string(name);
  def.description = String(t, "description");
  def.failregex = Strings(t.get("failregex"));
  def.ignoreregex = Strings(t.get("ignoreregex"));
  def.prefregex = String(t, "prefregex");
  def.datepattern = String(t, "datepattern");
  def.journalmatch = Strings(t.get("journalmatch"));
  def.no_date = String(t, "no_date") == "now" ? NoDatePolicy::kNow : NoDatePolicy::kSkip;
  def.default_mode = String(t, "default_mode");
  if (const toml::table* vars = t.get_as<toml::table>("vars")) {
    for (auto&& [k, v] : *vars) {
      def.vars[std::string(k.str())] = v.as_string()->get();
    }
  }
  if (const toml::table* modes = t.get_as<toml::table>("modes")) {
    for (auto&& [k, v] : *modes) {
      const toml::table& m = *v.as_table();
      FilterModeDef mode;
      mode.failregex = Strings(m.get("failregex"));
      mode.ignoreregex = Strings(m.get("ignoreregex"));
      mode.include = Strings(m.get("include"));
      def.modes[std::string(k.str())] = std::move(mode);
    }
  }
  if (const toml::table* s = t.get_as<toml::table>("session")) {
    def.has_session = true;
    def.session.key = String(*s, "key");
    def.session.remember = Strings(s->get("remember"));
    if (auto n = (*s)["max_sessions"].value<int64_t>()) {
      def.session.max_sessions = int(*n);
    }
    if (auto n = (*s)["max_age"].value<double>()) {
      def.session.max_age = *n;
    }
    if (def.session.key.empty()) {
      return Status::InvalidArgument(def.source + ": key 'session.key' is required in [session]");
    }
  }
  // Mode references are checked here so that the file is named; unknown mode names passed at
  // run time are checked by Filter::Compile.
  for (const auto& [mname, mode] : def.modes) {
    for (size_t i = 0; i < mode.include.size(); ++i) {
      if (def.modes.count(mode.include[i]) == 0) {
        return Status::InvalidArgument(def.source + ": key 'modes." + mname + ".include[" +
                                       std::to_string(i) + "]': no mode named '" + mode.include[i] +
                                       "'");
      }
    }
  }
  if (!def.default_mode.empty() && def.modes.count(def.default_mode) == 0) {
    return Status::InvalidArgument(def.source + ": key 'default_mode': no mode named '" +
                                   def.default_mode + "'");
  }
  return def;
}

Result<FilterDef> LoadFilterFile(const std::string& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return text.status();
  }
  std::string stem = path;
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".toml") == 0) {
    stem.resize(stem.size() - 5);
  }
  std::string name = stem.substr(stem.find_last_of('/') + 1);
  std::string local_path = stem + ".local.toml";
  std::string local_text;
  if (FileExists(local_path)) {
    Result<std::string> lt = ReadFile(local_path);
    if (!lt.ok()) {
      return lt.status();
    }
    local_text = std::move(*lt);
  }
  return ParseFilterToml(*text, path, name, local_text, local_path);
}

Result<std::string> FindFilterFile(std::string_view name_or_path,
                                   const std::vector<std::string>& dirs) {
  std::string arg(name_or_path);
  bool looks_like_path = arg.find('/') != std::string::npos ||
                         (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".toml") == 0);
  if (looks_like_path) {
    if (FileExists(arg)) {
      return arg;
    }
    return Status::NotFound(arg + ": no such filter file");
  }
  std::string searched;
  for (const std::string& dir : dirs) {
    if (dir.empty()) {
      continue;
    }
    std::string p = dir;
    p += "/";
    p += arg;
    p += ".toml";
    if (FileExists(p)) {
      return p;
    }
    if (!searched.empty()) {
      searched += ", ";
    }
    searched += dir;
  }
  return Status::NotFound("filter '" + arg + "' not found (searched " + searched + ")");
}

}  // namespace portcullis
