// main() for kernel tests: every process gets its own network namespace with only `lo` up.
// Listing tests (what ctest's discovery does at build time) needs no namespace and no root.
#include <gtest/gtest.h>
#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--gtest_list_tests", 18) == 0) listing = true;
  }
  if (!listing) {
    if (unshare(CLONE_NEWNET) != 0) {
      std::perror("unshare(CLONE_NEWNET) (these tests need root)");
      return 1;
    }
    if (std::system("ip link set lo up") != 0) {
      std::fprintf(stderr, "could not bring lo up\n");
      return 1;
    }
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
