// Saved positions and journal cursors are sets (keyed by path and by key): both stores compare
// them in key order to tell whether a save changes anything.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "portcullis/ban_store.h"

namespace portcullis {

inline std::vector<FilePosition> SortedByPath(std::span<const FilePosition> in) {
  std::vector<FilePosition> out(in.begin(), in.end());
  std::sort(out.begin(), out.end(),
            [](const FilePosition& a, const FilePosition& b) { return a.path < b.path; });
  return out;
}

inline std::vector<JournalCursor> SortedByKey(std::span<const JournalCursor> in) {
  std::vector<JournalCursor> out(in.begin(), in.end());
  std::sort(out.begin(), out.end(),
            [](const JournalCursor& a, const JournalCursor& b) { return a.key < b.key; });
  return out;
}

}  // namespace portcullis
