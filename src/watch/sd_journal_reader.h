// The real JournalReader: libsystemd's sd-journal, loaded at run time.
//
// portcullisd does not link libsystemd (about 1 MB of resident memory for a feature most hosts
// with /var/log/auth.log never use). The library is dlopen()ed the first time a jail needs the
// journal, and stays loaded for the life of the process; only the declarations of
// <systemd/sd-journal.h> are used at build time, for the function pointer types.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "portcullis/status.h"
#include "watch/journal_source.h"

namespace portcullis {

inline constexpr const char* kLibsystemd = "libsystemd.so.0";

// Opens the journal. `paths` empty: the local system journal (sd_journal_open with
// SD_JOURNAL_LOCAL_ONLY). Else either exactly one directory (sd_journal_open_directory: its
// journal files, also ones created later) or only journal files (sd_journal_open_files).
// `library` is the shared object to load (tests name a missing one).
// Errors: Unavailable when the library or one of its symbols cannot be loaded (the message says
// which and why); InvalidArgument for a mix of directories and files or several directories;
// IoError (path and strerror) when libsystemd cannot open the journal.
Result<std::unique_ptr<JournalReader>> OpenSdJournal(std::span<const std::string> paths,
                                                     const char* library = kLibsystemd);

}  // namespace portcullis
