#include "config/port_spec.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace portcullis {
namespace {

struct ServiceEntry {
  std::string_view name;
  uint16_t port;
};

// The services jails name in practice. Kept here so that a host with a trimmed /etc/services (some
// containers ship none) still resolves the shipped jail.toml.
constexpr ServiceEntry kBuiltinServices[] = {
    {"ftp-data", 20},      {"ftp", 21},          {"ssh", 22},         {"telnet", 23},
    {"smtp", 25},          {"domain", 53},       {"dns", 53},         {"http", 80},
    {"www", 80},           {"pop3", 110},        {"ident", 113},      {"auth", 113},
    {"imap", 143},         {"imap2", 143},       {"ldap", 389},       {"https", 443},
    {"smtps", 465},        {"submissions", 465}, {"submission", 587}, {"ldaps", 636},
    {"ftps-data", 989},    {"ftps", 990},        {"imaps", 993},      {"pop3s", 995},
    {"openvpn", 1194},     {"mysql", 3306},      {"rdp", 3389},       {"ms-wbt-server", 3389},
    {"sieve", 4190},       {"postgresql", 5432}, {"sip", 5060},       {"sip-tls", 5061},
    {"xmpp-client", 5222}, {"http-alt", 8080},   {"webcache", 8080},  {"squid", 3128},
};

class BuiltinServiceResolver : public ServiceResolver {
 public:
  std::optional<uint16_t> Lookup(std::string_view name) const override {
    for (const ServiceEntry& e : kBuiltinServices) {
      if (e.name == name) return e.port;
    }
    return std::nullopt;
  }
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The whitespace-separated words of `s`, as `>>` into strings reads them.
std::vector<std::string_view> SplitWhitespace(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\v\f\n";
  std::vector<std::string_view> words;
  size_t pos = s.find_first_not_of(kSpace);
  while (pos != std::string_view::npos) {
    size_t end = s.find_first_of(kSpace, pos);
    words.push_back(s.substr(pos, end == std::string_view::npos ? end : end - pos));
    pos = end == std::string_view::npos ? end : s.find_first_not_of(kSpace, end);
  }
  return words;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Result<uint16_t> ParseOnePort(std::string_view text, const ServiceResolver& services) {
  if (IsDigits(text)) {
    if (text.size() > 5)
      return Status::InvalidArgument("port \"" + std::string(text) + "\" is not in 1..65535");
    int value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    if (value < 1 || value > 65535) {
      return Status::InvalidArgument("port \"" + std::string(text) + "\" is not in 1..65535");
    }
    return static_cast<uint16_t>(value);
  }
  if (std::optional<uint16_t> port = services.Lookup(text)) return *port;
  return Status::InvalidArgument("unknown service name \"" + std::string(text) + "\"");
}

}  // namespace

const ServiceResolver& BuiltinServices() {
  static const BuiltinServiceResolver resolver;
  return resolver;
}

ServicesFileResolver::ServicesFileResolver(std::string_view services_text) {
  // Split by hand rather than with string streams: streams initialise the C++ locale, which
  // makes the daemon touch (and keep resident) about 0.25 MB more of libstdc++.
  std::string_view rest = services_text;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    line = line.substr(0, line.find('#'));
    std::vector<std::string_view> fields = SplitWhitespace(line);
    if (fields.size() < 2) continue;
    std::string_view number = fields[1].substr(0, fields[1].find('/'));
    Result<uint16_t> port = ParseOnePort(number, BuiltinServices());
    if (!port.ok() || !IsDigits(number)) continue;
    entries_.emplace_back(std::string(fields[0]), *port);
    for (size_t i = 2; i < fields.size(); ++i) entries_.emplace_back(std::string(fields[i]), *port);
  }
}

std::optional<uint16_t> ServicesFileResolver::Lookup(std::string_view name) const {
  if (std::optional<uint16_t> port = BuiltinServices().Lookup(name)) return port;
  for (const auto& [entry_name, port] : entries_) {
    if (entry_name == name) return port;
  }
  return std::nullopt;
}

std::unique_ptr<ServiceResolver> MakeSystemServiceResolver() {
  std::string text;
  if (FILE* f = std::fopen("/etc/services", "rb")) {
    char buffer[8192];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof(buffer), f)) > 0) text.append(buffer, n);
    std::fclose(f);
  }
  return std::make_unique<ServicesFileResolver>(text);
}

Result<PortSpec> ParsePortText(std::string_view text, const ServiceResolver& services) {
  PortSpec spec;
  std::string_view rest = text;
  bool any_item = false;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) {
      return Status::InvalidArgument("empty item in port list \"" + std::string(text) + "\"");
    }
    any_item = true;
    if (item == "all") {
      spec.all = true;
    } else {
      size_t sep = item.find_first_of(":-");
      // Service names may contain '-' ("ftp-data"): try the whole item as a name first.
      if (sep != std::string_view::npos && !services.Lookup(item)) {
        if (Trim(item.substr(0, sep)).empty() || Trim(item.substr(sep + 1)).empty()) {
          return Status::InvalidArgument("port range \"" + std::string(item) + "\" is incomplete");
        }
        Result<uint16_t> first = ParseOnePort(Trim(item.substr(0, sep)), services);
        if (!first.ok()) return first.status();
        Result<uint16_t> last = ParseOnePort(Trim(item.substr(sep + 1)), services);
        if (!last.ok()) return last.status();
        if (*first > *last) {
          return Status::InvalidArgument("port range \"" + std::string(item) +
                                         "\" ends before it starts");
        }
        spec.ranges.push_back({*first, *last});
      } else {
        Result<uint16_t> port = ParseOnePort(item, services);
        if (!port.ok()) return port.status();
        spec.ranges.push_back({*port, *port});
      }
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  if (!any_item) return Status::InvalidArgument("empty port specification");
  if (spec.all) {
    spec.ranges.clear();
  } else {
    NormalizePortRanges(&spec.ranges);
  }
  return spec;
}

void NormalizePortRanges(std::vector<PortRange>* ranges) {
  std::sort(ranges->begin(), ranges->end(), [](const PortRange& a, const PortRange& b) {
    return a.first != b.first ? a.first < b.first : a.last < b.last;
  });
  std::vector<PortRange> merged;
  for (const PortRange& r : *ranges) {
    if (!merged.empty() && static_cast<int>(r.first) <= static_cast<int>(merged.back().last) + 1) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  *ranges = std::move(merged);
}

std::string PortRangeToString(const PortRange& range) {
  if (range.first == range.last) return std::to_string(range.first);
  return std::to_string(range.first) + ":" + std::to_string(range.last);
}

}  // namespace portcullis
