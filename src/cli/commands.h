// Subcommands of the `portcullis` tool. Each takes the arguments after its own name and returns
// the process exit code: 0 ok, 1 error reply or failed check, 2 usage error, 3 daemon not
// running or permission denied.
#pragma once

namespace portcullis::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnavailable = 3;

int RunFilterTest(int argc, char** argv);
int RunConfigCheck(int argc, char** argv);

}  // namespace portcullis::cli
