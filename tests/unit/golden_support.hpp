#pragma once
// A process runner for plan/render/golden tests that cannot race: output goes to files (no
// pipes to drain), the child is waited for with a bound. (test_support's run() can report
// "timed out" when its io_context finishes before the child is reaped.)
#include <chrono>
#include <string>
#include <vector>

#include <boost/process.hpp>

#include "test_support.hpp"

namespace mvt::test {

inline RunResult run_to_files(const std::vector<std::string>& argv) {
  namespace bp = boost::process;
  TempDir d;
  bp::child c(bp::exe = argv.at(0),
              bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
              bp::std_out > (d.path() / "out").string(), bp::std_err > (d.path() / "err").string(),
              bp::std_in < bp::null);
  RunResult r;
  if (!c.wait_for(std::chrono::seconds(60))) {
    c.terminate();
    r.err = "timed out";
    return r;
  }
  r.exit_code = c.exit_code();
  r.out = read_file(d.path() / "out");
  r.err = read_file(d.path() / "err");
  return r;
}

inline RunResult run_tool_to_files(const std::vector<std::string>& args) {
  std::vector<std::string> argv{binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_files(argv);
}

}  // namespace mvt::test
