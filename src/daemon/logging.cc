#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

namespace portcullis {
namespace {

constexpr char kEventLoggerName[] = "event";

// Prints our level names: spdlog has no NOTICE, so the event logger's info messages print NOTICE.
class LevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view name;
    if (msg.logger_name == kEventLoggerName && msg.level == spdlog::level::info) {
      name = "NOTICE ";
    } else {
      switch (msg.level) {
        case spdlog::level::trace:
        case spdlog::level::debug:
          name = "DEBUG  ";
          break;
        case spdlog::level::info:
          name = "INFO   ";
          break;
        case spdlog::level::warn:
          name = "WARNING";
          break;
        case spdlog::level::err:
          name = "ERROR  ";
          break;
        default:
          name = "CRITICAL";
          break;
      }
    }
    dest.append(name.data(), name.data() + name.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter() {
  // The pid is written into the pattern once: spdlog's %P calls getpid() for every line.
  std::string pattern = LogPattern();
  pattern.replace(pattern.find("%P"), 2, std::to_string(::getpid()));
  auto f = std::make_unique<spdlog::pattern_formatter>();
  f->add_flag<LevelFlag>('*').set_pattern(pattern);
  return f;
}

// stderr (the journal, under systemd) with the same write policy as the log file: lines are
// buffered and written when the loop flushes (FlushLog, or a warning), not one write() each.
// spdlog's stderr sink writes through the unbuffered stdio stream.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  ~BufferedStderrSink() override { flush_(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    formatter_->format(msg, buffer_);
    if (buffer_.size() >= kFlushBytes) flush_();
  }
  void flush_() override {
    const char* p = buffer_.data();
    size_t left = buffer_.size();
    while (left > 0) {
      ssize_t n = ::write(STDERR_FILENO, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to report it: stderr is where errors would go
      p += n;
      left -= static_cast<size_t>(n);
    }
    buffer_.clear();
  }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  spdlog::memory_buf_t buffer_;
};

struct State {
  std::mutex mu;
  LogOptions options;
  std::shared_ptr<spdlog::logger> general;
  std::shared_ptr<spdlog::logger> events;
};

State& GetState() {
  static State* state = [] {
    auto* s = new State();
    s->general = std::make_shared<spdlog::logger>("portcullisd");
    s->events = std::make_shared<spdlog::logger>(kEventLoggerName);
    return s;
  }();
  return *state;
}

spdlog::level::level_enum ParseLevel(const std::string& level, bool* ok) {
  *ok = true;
  if (level == "debug" || level == "trace") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  // NOTICE sits between INFO and WARNING: general info is hidden, ban events still show.
  if (level == "notice") return spdlog::level::warn;
  if (level == "warning" || level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "critical") return spdlog::level::critical;
  *ok = false;
  return spdlog::level::info;
}

Status BuildSinks(State& st) {
  std::vector<spdlog::sink_ptr> sinks;
  if (!st.options.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(st.options.file));
    } catch (const spdlog::spdlog_ex& e) {
      return Status::IoError("cannot open log file " + st.options.file + ": " + e.what());
    }
  }
  if (st.options.to_stderr) sinks.push_back(std::make_shared<BufferedStderrSink>());
  for (auto& sink : sinks) sink->set_formatter(MakeFormatter());
  st.general->sinks() = sinks;
  st.events->sinks() = sinks;
  return Status::Ok();
}

}  // namespace

std::string LogPattern() { return "%Y-%m-%d %H:%M:%S,%e portcullisd[%P]: %* %v"; }

void ApplyLogFormat(spdlog::logger& logger) { logger.set_formatter(MakeFormatter()); }

Status InitLogging(const LogOptions& options) {
  State& st = GetState();
  std::lock_guard<std::mutex> lock(st.mu);
  bool ok;
  spdlog::level::level_enum level = ParseLevel(options.level, &ok);
  if (!ok) return Status::InvalidArgument("unknown log_level '" + options.level + "'");
  st.options = options;
  PORTCULLIS_RETURN_IF_ERROR(BuildSinks(st));
  st.general->set_level(level);
  // Ban events are NOTICE: shown unless the level is above notice.
  st.events->set_level(level <= spdlog::level::warn ? spdlog::level::info : level);
  // Lines are written when the loop finishes an iteration (FlushLog), not one write() per line:
  // a flood of 20,000 bans, or 100,000 restored bans, is then a few writes.
  st.general->flush_on(spdlog::level::warn);
  // Modules that log through spdlog's default logger (the dry-run firewall) land in our log too.
  spdlog::set_default_logger(st.general);
  st.events->flush_on(spdlog::level::warn);
  return Status::Ok();
}

Status ReopenLogFile() {
  State& st = GetState();
  std::lock_guard<std::mutex> lock(st.mu);
  return BuildSinks(st);
}

void FlushLog() {
  GetState().general->flush();
  GetState().events->flush();
}

spdlog::logger& Log() { return *GetState().general; }
spdlog::logger& EventLog() { return *GetState().events; }

}  // namespace portcullis
