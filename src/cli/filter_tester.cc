#include <cstdio>

#include "cli/commands.h"

namespace portcullis::cli {

int RunFilterTest(int, char**) {
  std::fprintf(stderr, "portcullis filter-test: not implemented yet\n");
  return kExitError;
}

}  // namespace portcullis::cli
