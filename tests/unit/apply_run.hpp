#pragma once
// Runs argv (no shell) with extra environment variables (e.g. the fault point) and stdin
// text, bounded by `timeout`, through the tool's own runner (lib/files/process.hpp: both
// pipes drained together, the child killed on timeout). Unit and system tests both use it.
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "files/process.hpp"

namespace mvt::test {

struct ProcResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline ProcResult run_argv_env(const std::vector<std::string>& argv,
                               const std::map<std::string, std::string>& env = {},
                               const std::string& input = {},
                               std::chrono::seconds timeout = std::chrono::seconds(120)) {
  ProcessOptions o;
  o.timeout = timeout;
  o.input = input;
  o.env = env;
  const ProcessResult p = run_process(argv, o);
  ProcResult r{p.exit_code, p.out, p.err};
  if (p.timed_out) {
    r.err += "\n(timed out)";
    r.exit_code = -1;
  }
  return r;
}

}  // namespace mvt::test
