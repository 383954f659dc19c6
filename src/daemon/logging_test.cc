#include "daemon/logging.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <regex>
#include <sstream>

namespace portcullis {
namespace {

// The recidive filter reads these lines: pin their exact shape.
TEST(LogFormat, BanEventLineIsStable) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  spdlog::logger events("event", sink);
  spdlog::logger general("portcullisd", sink);
  ApplyLogFormat(events);
  ApplyLogFormat(general);
  events.info("[sshd] Ban 192.0.2.1 for 10m (5 failures)");
  general.warn("[sshd] log file /var/log/auth.log is missing; waiting for it");
  std::string text = out.str();
  std::regex line1(
      R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} portcullisd\[\d+\]: NOTICE  \[sshd\] Ban 192\.0\.2\.1 for 10m \(5 failures\)\n)");
  std::regex line2(R"(\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} portcullisd\[\d+\]: WARNING \[sshd\] log file)");
  EXPECT_TRUE(std::regex_search(text, line1)) << text;
  EXPECT_TRUE(std::regex_search(text, line2)) << text;
}

}  // namespace
}  // namespace portcullis
