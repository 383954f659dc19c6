// portcullisd: the daemon. (The event loop and jails are wired up by the daemon issue.)
#include <cstdio>
#include <cstring>

#include "portcullis/version.h"

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-V") == 0) {
      std::printf("portcullisd %s\n", PORTCULLIS_VERSION);
      return 0;
    }
  }
  std::fprintf(stderr, "portcullisd: the daemon is not built yet (see issue: portcullisd)\n");
  return 1;
}
