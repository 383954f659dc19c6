#include "watch/line_splitter.h"

namespace portcullis {

void LineSplitter::Feed(std::string_view data) { input_ = data; }

void LineSplitter::Reset(bool skip_to_newline) {
  input_ = {};
  held_.clear();
  skipping_ = skip_to_newline;
  unfinished_ = 0;
}

std::optional<LineSplitter::Line> LineSplitter::Next() {
  while (!input_.empty()) {
    size_t newline = input_.find('\n');
    if (skipping_) {
      if (newline == std::string_view::npos) {
        unfinished_ += input_.size();
        input_ = {};
        return std::nullopt;
      }
      input_.remove_prefix(newline + 1);
      skipping_ = false;
      unfinished_ = 0;
      continue;
    }
    if (newline != std::string_view::npos) {
      std::string_view rest = input_.substr(0, newline);
      input_.remove_prefix(newline + 1);
      unfinished_ = 0;
      if (held_.empty()) {
        // Common case: the whole line is inside the caller's buffer; no copy.
        if (rest.size() <= max_line_) {
          return Line{rest, false};
        }
        ++cut_lines_;
        return Line{rest.substr(0, max_line_), true};
      }
      bool cut = held_.size() + rest.size() > max_line_;
      scratch_.swap(held_);
      held_.clear();
      scratch_.append(rest.substr(0, max_line_ - scratch_.size()));
      if (cut) {
        ++cut_lines_;
      }
      return Line{scratch_, cut};
    }
    // No '\n' in what is left. One byte more than the cap proves the line too long: deliver its
    // start now and skip the rest, so memory stays bounded whatever the writer does.
    if (held_.size() + input_.size() > max_line_) {
      size_t take = max_line_ - held_.size();
      scratch_.swap(held_);
      held_.clear();
      scratch_.append(input_.substr(0, take));
      unfinished_ += input_.size();
      input_ = {};
      skipping_ = true;
      ++cut_lines_;
      return Line{scratch_, true};
    }
    held_.append(input_);
    unfinished_ += input_.size();
    input_ = {};
  }
  return std::nullopt;
}

}  // namespace portcullis
