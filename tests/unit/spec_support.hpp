#pragma once
// Helpers for the spec tests.
//
// run_bounded / run_macvtapctl: like mvt::test::run / run_tool, but it decides "timed out" by whether the I/O
// context ran out of work (both pipes at EOF) rather than by child::running() right after
// EOF - the child may not have been reaped yet at that instant, which made run_tool report
// spurious time-outs (exit -1). Bounded: 60 s.
#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace mvt::test {

inline RunResult run_bounded(const std::vector<std::string>& argv) {
  namespace bp = boost::process;
  boost::asio::io_context ios;
  std::future<std::string> out, err;
  bp::child c(bp::exe = argv.at(0),
              bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()), bp::std_out > out,
              bp::std_err > err, bp::std_in < bp::null, ios);
  ios.run_for(std::chrono::seconds(60));
  RunResult r;
  if (!ios.stopped()) {
    c.terminate();
    r.err = "timed out";
    return r;
  }
  c.wait();
  r.exit_code = c.exit_code();
  r.out = out.get();
  r.err = err.get();
  return r;
}

inline RunResult run_macvtapctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_bounded(argv);
}

}  // namespace mvt::test
