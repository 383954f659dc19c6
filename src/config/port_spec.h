// Port specifications of jails: "all", "ssh", "http,https", 22, "1000:2000", or a list of these.
//
// Pure. Service names resolve through a ServiceResolver so tests never depend on the host's
// /etc/services.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "portcullis/status.h"

namespace portcullis {

// Maps a service name ("ssh") to its port number.
class ServiceResolver {
 public:
  virtual ~ServiceResolver() = default;
  virtual std::optional<uint16_t> Lookup(std::string_view name) const = 0;
};

// The small built-in table (ssh, http, https, smtp, submission, imap(s), pop3(s), ftp, domain,
// mysql, ...). Returns a process-wide instance.
const ServiceResolver& BuiltinServices();

// The built-in table first, then the entries of an /etc/services-format text (first port listed
// for a name or alias wins, as getservbyname does).
class ServicesFileResolver : public ServiceResolver {
 public:
  explicit ServicesFileResolver(std::string_view services_text);
  std::optional<uint16_t> Lookup(std::string_view name) const override;

 private:
  std::vector<std::pair<std::string, uint16_t>> entries_;
};

// BuiltinServices() plus /etc/services if it can be read (an unreadable file is ignored).
std::unique_ptr<ServiceResolver> MakeSystemServiceResolver();

struct PortSpec {
  bool all = false;
  std::vector<PortRange> ranges;  // sorted, merged; empty when all
};

// Parses one text item: "all", "22", "ssh", "1000:2000" (or "1000-2000"), or a comma-separated
// list of these ("http,https"). Errors are InvalidArgument with a message that quotes the bad part
// (no file or key context; the caller adds it).
Result<PortSpec> ParsePortText(std::string_view text, const ServiceResolver& services);

// Sorts and merges overlapping or adjacent ranges in place.
void NormalizePortRanges(std::vector<PortRange>* ranges);

// "22", "1000:2000".
std::string PortRangeToString(const PortRange& range);

}  // namespace portcullis
