#include "portcullis/ban_store.h"

namespace portcullis {

Result<std::vector<StoredBan>> BanStore::LoadActiveBansWithoutMatches(int64_t now) {
  Result<std::vector<StoredBan>> bans = LoadActiveBans(now);
  if (bans.ok()) {
    for (StoredBan& b : *bans) b.matches.clear();
  }
  return bans;
}

const std::string& BanStore::recovery_message() const {
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace portcullis
