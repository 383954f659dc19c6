#include "portcullis/ban_store.h"

namespace portcullis {

const std::string& BanStore::recovery_message() const {
  static const std::string kEmpty;
  return kEmpty;
}

}  // namespace portcullis
