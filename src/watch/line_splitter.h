// Splits a byte stream into lines: pure, no I/O.
//
// Lines end at '\n' only; the '\n' is not part of the line and every other byte (NUL, '\r',
// invalid UTF-8) is kept as it is. A line without its '\n' yet is held until the '\n' arrives.
// A line longer than the cap is cut: its first `max_line` bytes are delivered once (as soon as
// they are known to be too long), the rest is skipped up to the next '\n', and the cut is counted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis {

class LineSplitter {
 public:
  static constexpr size_t kMaxLineBytes = size_t{64} * 1024;

  struct Line {
    std::string_view text;  // valid until the next call on the splitter
    bool cut = false;       // the line was longer than the cap; `text` is its start
  };

  explicit LineSplitter(size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  // Hands over the next bytes of the stream. `data` must stay valid until Next() returns nullopt.
  void Feed(std::string_view data);

  // The next complete (or cut) line from what was fed, or nullopt when the fed bytes are used up;
  // an unfinished last line is then kept inside the splitter.
  std::optional<Line> Next();

  // Bytes of the current unfinished line consumed so far (held, or skipped after a cut). The
  // stream offset minus this is the start of that line: a safe place to resume after a restart.
  uint64_t unfinished_bytes() const { return unfinished_; }

  // Number of cut lines so far.
  uint64_t cut_lines() const { return cut_lines_; }

  // Forgets the unfinished line (the stream restarts, e.g. after truncation). If
  // `skip_to_newline`, bytes up to and including the next '\n' are dropped (used when reading
  // starts in the middle of a line).
  void Reset(bool skip_to_newline = false);

 private:
  size_t max_line_;
  std::string_view input_;
  std::string held_;     // start of the unfinished line (never more than max_line_ bytes)
  std::string scratch_;  // a line assembled from held_ and input_
  bool skipping_ = false;
  uint64_t unfinished_ = 0;
  uint64_t cut_lines_ = 0;
};

}  // namespace portcullis
