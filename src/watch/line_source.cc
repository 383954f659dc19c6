#include "portcullis/line_source.h"

namespace portcullis {

std::string_view SourceEventKindName(SourceEventKind kind) {
  switch (kind) {
    case SourceEventKind::kOpened:
      return "opened";
    case SourceEventKind::kRotated:
      return "rotated";
    case SourceEventKind::kTruncated:
      return "truncated";
    case SourceEventKind::kGone:
      return "gone";
    case SourceEventKind::kOversizeLine:
      return "oversize-line";
    case SourceEventKind::kError:
      return "error";
  }
  return "?";
}

}  // namespace portcullis
