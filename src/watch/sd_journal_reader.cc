#include "watch/sd_journal_reader.h"

#include <dlfcn.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace portcullis {
namespace {

// The sd-journal entry points we use. decltype of the header's declarations gives the exact
// types without linking the library.
struct SdJournalApi {
  decltype(&sd_journal_open) open = nullptr;
  decltype(&sd_journal_open_directory) open_directory = nullptr;
  decltype(&sd_journal_open_files) open_files = nullptr;
  decltype(&sd_journal_close) close = nullptr;
  decltype(&sd_journal_add_match) add_match = nullptr;
  decltype(&sd_journal_add_disjunction) add_disjunction = nullptr;
  decltype(&sd_journal_seek_tail) seek_tail = nullptr;
  decltype(&sd_journal_seek_head) seek_head = nullptr;
  decltype(&sd_journal_seek_cursor) seek_cursor = nullptr;
  decltype(&sd_journal_previous) previous = nullptr;
  decltype(&sd_journal_next) next = nullptr;
  decltype(&sd_journal_test_cursor) test_cursor = nullptr;
  decltype(&sd_journal_get_cursor) get_cursor = nullptr;
  decltype(&sd_journal_get_realtime_usec) get_realtime_usec = nullptr;
  decltype(&sd_journal_get_data) get_data = nullptr;
  decltype(&sd_journal_set_data_threshold) set_data_threshold = nullptr;
  decltype(&sd_journal_get_fd) get_fd = nullptr;
  decltype(&sd_journal_get_events) get_events = nullptr;
  decltype(&sd_journal_get_timeout) get_timeout = nullptr;
  decltype(&sd_journal_process) process = nullptr;
};

template <typename F>
bool Bind(void* lib, const char* name, F* fn, std::string* error) {
  void* sym = dlsym(lib, name);
  if (sym == nullptr) {
    *error = std::string("symbol ") + name + " missing";
    return false;
  }
  *fn = reinterpret_cast<F>(sym);
  return true;
}

// Loads `library` once per process (a failure is remembered too: retrying on every reload would
// not make the file appear, and dlopen failures are not cheap).
Result<const SdJournalApi*> LoadApi(const char* library) {
  struct Loaded {
    SdJournalApi api;
    std::string error;
  };
  static std::map<std::string, Loaded> loaded;
  auto [it, fresh] = loaded.try_emplace(library);
  Loaded& l = it->second;
  if (fresh) {
    void* lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = dlerror();
      l.error = why != nullptr ? why : "dlopen failed";
    } else {
      SdJournalApi& a = l.api;
      std::string& e = l.error;
      bool ok = Bind(lib, "sd_journal_open", &a.open, &e) &&
                Bind(lib, "sd_journal_open_directory", &a.open_directory, &e) &&
                Bind(lib, "sd_journal_open_files", &a.open_files, &e) &&
                Bind(lib, "sd_journal_close", &a.close, &e) &&
                Bind(lib, "sd_journal_add_match", &a.add_match, &e) &&
                Bind(lib, "sd_journal_add_disjunction", &a.add_disjunction, &e) &&
                Bind(lib, "sd_journal_seek_tail", &a.seek_tail, &e) &&
                Bind(lib, "sd_journal_seek_head", &a.seek_head, &e) &&
                Bind(lib, "sd_journal_seek_cursor", &a.seek_cursor, &e) &&
                Bind(lib, "sd_journal_previous", &a.previous, &e) &&
                Bind(lib, "sd_journal_next", &a.next, &e) &&
                Bind(lib, "sd_journal_test_cursor", &a.test_cursor, &e) &&
                Bind(lib, "sd_journal_get_cursor", &a.get_cursor, &e) &&
                Bind(lib, "sd_journal_get_realtime_usec", &a.get_realtime_usec, &e) &&
                Bind(lib, "sd_journal_get_data", &a.get_data, &e) &&
                Bind(lib, "sd_journal_set_data_threshold", &a.set_data_threshold, &e) &&
                Bind(lib, "sd_journal_get_fd", &a.get_fd, &e) &&
                Bind(lib, "sd_journal_get_events", &a.get_events, &e) &&
                Bind(lib, "sd_journal_get_timeout", &a.get_timeout, &e) &&
                Bind(lib, "sd_journal_process", &a.process, &e);
      if (!ok) dlclose(lib);
    }
  }
  if (!l.error.empty()) {
    return Status::Unavailable("cannot load " + std::string(library) +
                               " (needed to read the systemd journal): " + l.error);
  }
  return &l.api;
}

// The one place a negative errno from sd-journal becomes a Status.
Status SdError(const char* call, int r) {
  return Status::IoError(std::string(call) + ": " + std::strerror(-r));
}

class SdJournalReader final : public JournalReader {
 public:
  SdJournalReader(const SdJournalApi* api, sd_journal* j) : api_(api), j_(j) {}
  ~SdJournalReader() override { api_->close(j_); }

  Status AddMatch(std::string_view m) override {
    int r = api_->add_match(j_, m.data(), m.size());
    return r < 0 ? SdError("sd_journal_add_match", r) : Status::Ok();
  }
  Status AddDisjunction() override {
    int r = api_->add_disjunction(j_);
    return r < 0 ? SdError("sd_journal_add_disjunction", r) : Status::Ok();
  }
  Status SeekTail() override {
    int r = api_->seek_tail(j_);
    if (r < 0) return SdError("sd_journal_seek_tail", r);
    // Step back onto the last entry: Next() then returns only entries added later (without it,
    // some libsystemd versions return the last entry again).
    r = api_->previous(j_);
    if (r < 0) return SdError("sd_journal_previous", r);
    if (r == 0) {
      // No matching entry at all. Left at the bare tail, libsystemd 252 returns the entries of
      // the next append but never those of later ones (seen with journal files written by
      // systemd-journal-remote). From the head, every matching entry is a new one anyway.
      r = api_->seek_head(j_);
      if (r < 0) return SdError("sd_journal_seek_head", r);
    }
    return Status::Ok();
  }
  Status SeekCursor(const std::string& cursor) override {
    int r = api_->seek_cursor(j_, cursor.c_str());
    return r < 0 ? SdError("sd_journal_seek_cursor", r) : Status::Ok();
  }
  Result<bool> Next() override {
    int r = api_->next(j_);
    if (r < 0) return SdError("sd_journal_next", r);
    return r > 0;
  }
  Result<bool> TestCursor(const std::string& cursor) override {
    int r = api_->test_cursor(j_, cursor.c_str());
    if (r < 0) return SdError("sd_journal_test_cursor", r);
    return r > 0;
  }
  Result<std::string> Cursor() override {
    char* c = nullptr;
    int r = api_->get_cursor(j_, &c);
    if (r < 0) return SdError("sd_journal_get_cursor", r);
    std::string out(c);
    free(c);
    return out;
  }
  Result<JournalEntry> Entry() override {
    JournalEntry e;
    int r = api_->get_realtime_usec(j_, &e.realtime_usec);
    if (r < 0) return SdError("sd_journal_get_realtime_usec", r);
    std::optional<std::string> message = Field("MESSAGE");
    if (message) e.message = std::move(*message);
    e.hostname = Field("_HOSTNAME");
    e.identifier = Field("SYSLOG_IDENTIFIER");
    e.comm = Field("_COMM");
    e.pid = Field("_PID");
    if (!e.pid) e.pid = Field("SYSLOG_PID");
    return e;
  }
  Result<int> Fd() override {
    int r = api_->get_fd(j_);
    if (r < 0) return SdError("sd_journal_get_fd", r);
    return r;
  }
  Result<int> Events() override {
    int r = api_->get_events(j_);
    if (r < 0) return SdError("sd_journal_get_events", r);
    return r;
  }
  Result<std::optional<uint64_t>> TimeoutUsec() override {
    uint64_t t = 0;
    int r = api_->get_timeout(j_, &t);
    if (r < 0) return SdError("sd_journal_get_timeout", r);
    if (t == UINT64_MAX) return std::optional<uint64_t>();
    return std::optional<uint64_t>(t);
  }
  Status Process() override {
    int r = api_->process(j_);
    return r < 0 ? SdError("sd_journal_process", r) : Status::Ok();
  }

 private:
  // The value of `name` in the current entry ("NAME=value" -> "value"), or nullopt.
  std::optional<std::string> Field(const char* name) {
    const void* data = nullptr;
    size_t len = 0;
    if (api_->get_data(j_, name, &data, &len) < 0) return std::nullopt;
    size_t prefix = std::strlen(name) + 1;
    if (len < prefix) return std::string();
    return std::string(static_cast<const char*>(data) + prefix, len - prefix);
  }

  const SdJournalApi* api_;
  sd_journal* j_;
};

}  // namespace

Result<std::unique_ptr<JournalReader>> OpenSdJournal(std::span<const std::string> paths,
                                                     const char* library) {
  Result<const SdJournalApi*> loaded = LoadApi(library);
  if (!loaded.ok()) return loaded.status();
  const SdJournalApi& api = **loaded;
  sd_journal* j = nullptr;
  int r = 0;
  std::string what;
  if (paths.empty()) {
    what = "the local journal";
    r = api.open(&j, SD_JOURNAL_LOCAL_ONLY);
  } else {
    size_t dirs = 0;
    for (const std::string& p : paths) {
      struct stat st;
      if (::stat(p.c_str(), &st) != 0) {
        return Status::IoError("journalpath " + p + ": " + std::strerror(errno));
      }
      if (S_ISDIR(st.st_mode)) ++dirs;
    }
    if (dirs > 0 && paths.size() > 1) {
      return Status::InvalidArgument(
          "journalpath: give one directory, or only journal files (not several directories or "
          "a mix)");
    }
    what = paths.front() + (paths.size() > 1 ? " ..." : "");
    if (dirs == 1) {
      r = api.open_directory(&j, paths.front().c_str(), 0);
    } else {
      std::vector<const char*> argv;
      for (const std::string& p : paths) argv.push_back(p.c_str());
      argv.push_back(nullptr);
      r = api.open_files(&j, argv.data(), 0);
    }
  }
  if (r < 0) return Status::IoError("cannot open " + what + ": " + std::strerror(-r));
  // Set up the inotify watches now, as sd_journal_get_fd(3) advises, so that no journal file
  // created before the source seeks and asks for the descriptor goes unnoticed.
  r = api.get_fd(j);
  if (r < 0) {
    api.close(j);
    return SdError("sd_journal_get_fd", r);
  }
  // Fields up to the line cap (plus "MESSAGE="), like lines read from files.
  (void)api.set_data_threshold(j, JournalSource::kMaxLineBytes + 16);
  return std::unique_ptr<JournalReader>(new SdJournalReader(&api, j));
}

}  // namespace portcullis
