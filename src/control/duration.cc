#include "control/duration.h"

#include "common/duration.h"
#include "control/daemon_facade.h"

namespace portcullis {

// One grammar for durations everywhere (common/duration.h); the control protocol only adds its
// own limits: no zero, at most ten years, permanent only where a ban length is meant.
Result<int64_t> ParseDuration(std::string_view text, bool allow_permanent) {
  Result<Duration> d = ParseDuration(text);
  if (!d.ok()) return d.status();
  if (d->permanent) {
    if (!allow_permanent) {
      return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                     "': permanent is not allowed here");
    }
    return kPermanentBan;
  }
  if (d->seconds == 0) {
    return Status::InvalidArgument("invalid duration '" + std::string(text) + "': must be > 0");
  }
  if (d->seconds > kMaxDurationSeconds) {
    return Status::InvalidArgument("invalid duration '" + std::string(text) +
                                   "': more than ten years");
  }
  return d->seconds;
}

std::string FormatDuration(int64_t seconds) {
  if (seconds == kPermanentBan) return FormatDuration(Duration::Permanent());
  return FormatDuration(Duration::Seconds(seconds));
}

}  // namespace portcullis
