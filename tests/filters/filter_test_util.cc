#include "filters/filter_test_util.h"

#include <gtest/gtest.h>

#include <string>

#include "config/filter_file.h"

namespace portcullis::testing {

std::unique_ptr<Filter> LoadShippedFilter(std::string_view name, std::string_view mode,
                                          const FilterOptions& options) {
  std::string path =
      std::string(PORTCULLIS_SOURCE_DIR) + "/filters.d/" + std::string(name) + ".toml";
  Result<std::string> text = [&]() -> Result<std::string> {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      return Status::NotFound(path + ": cannot open");
    }
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) {
      out.append(buf, n);
    }
    std::fclose(f);
    return out;
  }();
  if (!text.ok()) {
    ADD_FAILURE() << text.status().ToString();
    return nullptr;
  }
  Result<FilterDef> def = ParseFilterToml(*text, path, name);
  if (!def.ok()) {
    ADD_FAILURE() << def.status().ToString();
    return nullptr;
  }
  Result<std::unique_ptr<Filter>> filter = Filter::Compile(*def, mode, options);
  if (!filter.ok()) {
    ADD_FAILURE() << filter.status().ToString();
    return nullptr;
  }
  return std::move(*filter);
}

namespace {

bool SameHost(std::string_view got, std::string_view want) {
  if (got == want) {
    return true;
  }
  Result<IpAddress> a = IpAddress::Parse(got);
  Result<IpAddress> b = IpAddress::Parse(want);
  return a.ok() && b.ok() && *a == *b;
}

}  // namespace

LineResult ExpectFailure(Filter& filter, std::string_view line, std::string_view host,
                         std::optional<std::string_view> user, double now) {
  LineResult r = filter.Process(line, now);
  if (r.kind != LineKind::kFailure || !r.failure.has_value()) {
    ADD_FAILURE() << "expected a failure of " << host << ", got " << LineKindName(r.kind)
                  << "\n  line: " << line;
    return r;
  }
  EXPECT_TRUE(SameHost(r.failure->host, host))
      << "host: got '" << r.failure->host << "', want '" << host << "'\n  line: " << line;
  if (user.has_value()) {
    EXPECT_EQ(r.failure->user, *user) << "user differs\n  line: " << line;
  }
  return r;
}

LineResult ExpectNoFailure(Filter& filter, std::string_view line, double now) {
  LineResult r = filter.Process(line, now);
  if (r.kind == LineKind::kFailure) {
    ADD_FAILURE() << "expected no failure, got one for host '"
                  << (r.failure ? r.failure->host : std::string("?")) << "' (failregex "
                  << r.regex_index << ")\n  line: " << line;
  }
  return r;
}

}  // namespace portcullis::testing
