#pragma once
// run_process: runs one program from an argv vector (never through a shell), feeds it an
// optional stdin text, captures stdout and stderr, and bounds the whole run with a timeout.
//
// Contract:
//  - argv[0] is the program: a path, or a name looked up in $PATH. A program that cannot be
//    found or started is a SystemError (ENOENT / the errno of the failed start).
//  - stdout and stderr are drained together, asynchronously (Boost.Process futures on one
//    io_context), so a child that fills either pipe never deadlocks (STYLE.md trap).
//  - On timeout the child is killed (SIGKILL), what it printed so far is kept, and
//    ProcessResult::timed_out is true (exit_code is then -1). Not an exception: callers word
//    their own message ("ssh to HOST did not answer within 10 s").
//  - A child killed by a signal reports exit_code 128 + signal, as shells do.
//  - The child inherits the environment, plus `env` overrides when given.
// Thread-safe (no shared state); each call uses its own io_context.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace mvt {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool timed_out = false;
  std::chrono::milliseconds elapsed{0};
};

struct ProcessOptions {
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  std::string input;                              // written to stdin, then stdin is closed
  std::map<std::string, std::string> env;         // overrides of inherited variables
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options);
inline ProcessResult run_process(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout) {
  ProcessOptions o;
  o.timeout = timeout;
  return run_process(argv, o);
}

}  // namespace mvt
