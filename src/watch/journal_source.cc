#include "watch/journal_source.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/quote.h"

namespace portcullis {
namespace {

Status Errno(const char* what) {
  return Status::IoError(std::string("journal: ") + what + ": " + std::strerror(errno));
}

bool IsFieldChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

int64_t LocalUtcOffset(int64_t epoch_seconds) {
  time_t t = static_cast<time_t>(epoch_seconds);
  struct tm local {};
  if (localtime_r(&t, &local) == nullptr) return 0;
  return local.tm_gmtoff;
}

}  // namespace

Status ValidateJournalMatches(std::string_view jail, std::span<const std::string> matches) {
  auto fail = [&](size_t i, const std::string& why) {
    return Status::InvalidArgument("[" + std::string(jail) + "] journalmatch[" + std::to_string(i) +
                                   "] " + QuoteForMessage(matches[i]) + ": " + why);
  };
  if (matches.empty()) {
    return Status::InvalidArgument("[" + std::string(jail) + "] journalmatch is empty");
  }
  bool group_empty = true;
  for (size_t i = 0; i < matches.size(); ++i) {
    const std::string& m = matches[i];
    if (m == "+") {
      if (group_empty) return fail(i, "\"+\" needs a match before and after it");
      group_empty = true;
      continue;
    }
    size_t eq = m.find('=');
    if (eq == std::string::npos || eq == 0) return fail(i, "expected FIELD=value");
    std::string_view field(m.data(), eq);
    if ((field.front() >= '0' && field.front() <= '9') ||
        !std::all_of(field.begin(), field.end(), IsFieldChar)) {
      return fail(i, "the field name must be upper-case letters, digits and '_' (e.g. _COMM=sshd)");
    }
    group_empty = false;
  }
  if (group_empty) return fail(matches.size() - 1, "\"+\" needs a match before and after it");
  return Status::Ok();
}

bool FormatJournalLine(const JournalEntry& entry, int64_t utc_offset_seconds, std::string* out) {
  out->clear();
  int64_t seconds = static_cast<int64_t>(entry.realtime_usec / 1000000);
  unsigned micros = static_cast<unsigned>(entry.realtime_usec % 1000000);
  time_t local = static_cast<time_t>(seconds + utc_offset_seconds);
  struct tm tm {};
  gmtime_r(&local, &tm);
  int64_t off = utc_offset_seconds < 0 ? -utc_offset_seconds : utc_offset_seconds;
  char stamp[64];
  int n = std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%06u%c%02d:%02d ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, micros, utc_offset_seconds < 0 ? '-' : '+',
                        static_cast<int>(off / 3600), static_cast<int>(off / 60 % 60));
  out->append(stamp, static_cast<size_t>(n > 0 ? n : 0));
  out->append(entry.hostname && !entry.hostname->empty() ? *entry.hostname : "localhost");
  out->push_back(' ');
  if (entry.identifier && !entry.identifier->empty()) {
    out->append(*entry.identifier);
  } else if (entry.comm && !entry.comm->empty()) {
    out->append(*entry.comm);
  } else {
    out->append("unknown");
  }
  if (entry.pid && !entry.pid->empty()) {
    out->push_back('[');
    out->append(*entry.pid);
    out->push_back(']');
  }
  out->append(": ");
  std::string_view message = entry.message;
  if (size_t nl = message.find('\n'); nl != std::string_view::npos) message = message.substr(0, nl);
  bool cut = false;
  if (out->size() + message.size() > JournalSource::kMaxLineBytes) {
    size_t room =
        out->size() < JournalSource::kMaxLineBytes ? JournalSource::kMaxLineBytes - out->size() : 0;
    message = message.substr(0, room);
    cut = true;
  }
  out->append(message);
  return cut;
}

JournalSource::JournalSource(std::unique_ptr<JournalReader> reader, Options options)
    : reader_(std::move(reader)), options_(std::move(options)) {}

JournalSource::~JournalSource() {
  if (timer_fd_ >= 0) close(timer_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

Result<std::unique_ptr<JournalSource>> JournalSource::Create(std::unique_ptr<JournalReader> reader,
                                                             Options options) {
  PORTCULLIS_RETURN_IF_ERROR(ValidateJournalMatches(options.jail, options.matches));
  if (options.max_batch == 0) options.max_batch = 1;
  if (options.utc_offset == nullptr) options.utc_offset = LocalUtcOffset;
  std::unique_ptr<JournalSource> src(new JournalSource(std::move(reader), std::move(options)));
  JournalReader& r = *src->reader_;
  for (const std::string& m : src->options_.matches) {
    PORTCULLIS_RETURN_IF_ERROR(m == "+" ? r.AddDisjunction() : r.AddMatch(m));
  }

  // Start after the saved cursor if libsystemd takes it, else at the tail.
  bool positioned = false;
  if (!src->options_.cursor.empty()) {
    Status s = r.SeekCursor(src->options_.cursor);
    if (s.ok()) {
      positioned = true;
      src->cursor_ = src->options_.cursor;
      // sd_journal_seek_cursor lands on the saved entry if it still exists, else next to where
      // it was. Step onto it: if it is the saved entry it was delivered before the restart and
      // is skipped; otherwise it is new and the first OnReadable delivers it.
      Result<bool> on_entry = r.Next();
      if (!on_entry.ok()) return on_entry.status();
      if (*on_entry) {
        Result<bool> same = r.TestCursor(src->options_.cursor);
        if (!same.ok()) return same.status();
        src->deliver_current_ = !*same;
      } else {
        // Nothing at or after the saved place (the journal was vacuumed or replaced): take the
        // tail, so the reader sits on an entry or at the head rather than past the end.
        positioned = false;
      }
    } else {
      src->pending_error_ =
          "cannot resume after the saved journal cursor (" + s.message() + "); reading new entries";
    }
  }
  if (!positioned) {
    PORTCULLIS_RETURN_IF_ERROR(r.SeekTail());
    // The last existing entry, if any: saving it lets a restart read what came in meanwhile.
    Result<std::string> c = r.Cursor();
    if (c.ok()) src->cursor_ = std::move(c).value();
  }

  src->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (src->epoll_fd_ < 0) return Errno("epoll_create1");
  src->timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (src->timer_fd_ < 0) return Errno("timerfd_create");
  Result<int> jfd = r.Fd();
  if (!jfd.ok()) return jfd.status();
  Result<int> events = r.Events();
  if (!events.ok()) return events.status();
  epoll_event ev{};
  ev.events = ((*events & POLLIN) ? EPOLLIN : 0u) | ((*events & POLLOUT) ? EPOLLOUT : 0u);
  ev.data.fd = *jfd;
  if (epoll_ctl(src->epoll_fd_, EPOLL_CTL_ADD, *jfd, &ev) != 0) return Errno("epoll_ctl");
  ev = {};
  ev.events = EPOLLIN;
  ev.data.fd = src->timer_fd_;
  if (epoll_ctl(src->epoll_fd_, EPOLL_CTL_ADD, src->timer_fd_, &ev) != 0) {
    return Errno("epoll_ctl");
  }
  // The first OnReadable (the daemon calls it right after setting up) reads a backlog behind a
  // saved cursor; until then nothing needs the timer.
  return src;
}

Status JournalSource::Arm(bool now) {
  itimerspec spec{};
  if (now) {
    spec.it_value.tv_nsec = 1;  // absolute 1 ns after boot: already past, fires at once
  } else {
    Result<std::optional<uint64_t>> t = reader_->TimeoutUsec();
    if (!t.ok()) return t.status();
    if (t->has_value()) {
      uint64_t usec = **t == 0 ? 1 : **t;
      spec.it_value.tv_sec = static_cast<time_t>(usec / 1000000);
      spec.it_value.tv_nsec = static_cast<long>(usec % 1000000 * 1000);
      if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    }
  }
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    return Errno("timerfd_settime");
  }
  return Status::Ok();
}

void JournalSource::Report(LineSink& sink, SourceEventKind kind, std::string_view detail,
                           uint64_t count) {
  SourceEvent ev;
  ev.kind = kind;
  ev.file = options_.pattern;
  ev.path = options_.description;
  ev.detail = detail;
  ev.count = count;
  sink.OnEvent(ev);
}

Status JournalSource::OnReadable(LineSink& sink) {
  uint64_t expirations;
  while (read(timer_fd_, &expirations, sizeof expirations) > 0) {
  }
  if (!pending_error_.empty()) {
    Report(sink, SourceEventKind::kError, pending_error_, 0);
    pending_error_.clear();
  }
  // A failed sd_journal_process is reported, but reading goes on: the entries are still there.
  Status status = reader_->Process();

  const PatternId patterns[] = {options_.pattern};
  LineOrigin origin;
  origin.file = options_.pattern;
  origin.path = options_.description;
  origin.patterns = patterns;
  size_t delivered = 0;
  while (delivered < options_.max_batch) {
    if (!deliver_current_) {
      Result<bool> more = reader_->Next();
      if (!more.ok()) {
        status = more.status();
        break;
      }
      if (!*more) break;
    }
    deliver_current_ = false;
    ++delivered;
    Result<JournalEntry> entry = reader_->Entry();
    if (entry.ok()) {
      int64_t seconds = static_cast<int64_t>(entry->realtime_usec / 1000000);
      bool cut = FormatJournalLine(*entry, options_.utc_offset(seconds), &line_);
      sink.OnLine(origin, line_, cut);
      if (cut) Report(sink, SourceEventKind::kOversizeLine, {}, ++cut_lines_);
    }
    // An entry whose fields cannot be read is skipped, but the cursor still moves past it.
    Result<std::string> c = reader_->Cursor();
    if (c.ok()) cursor_ = std::move(c).value();
  }
  more_pending_ = delivered == options_.max_batch;
  Status armed = Arm(more_pending_);
  if (status.ok()) status = armed;
  return status;
}

}  // namespace portcullis
