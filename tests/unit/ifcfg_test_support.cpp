#include "ifcfg_test_support.hpp"

#include <boost/process.hpp>
#include <chrono>
#include <future>

namespace mvt::ifcfg_test {

test::RunResult run_argv(const std::vector<std::string>& argv) {
  namespace bp = boost::process;
  bp::ipstream out, err;
  bp::child c(bp::exe = argv.at(0),
              bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()), bp::std_out > out,
              bp::std_err > err, bp::std_in < bp::null);
  // Drain both pipes concurrently (a full stderr pipe must not block the child).
  auto drain = [](bp::ipstream& s) {
    return std::string(std::istreambuf_iterator<char>(s), std::istreambuf_iterator<char>());
  };
  auto fout = std::async(std::launch::async, drain, std::ref(out));
  auto ferr = std::async(std::launch::async, drain, std::ref(err));
  test::RunResult r;
  // The pipes reach EOF when the child exits (or closes them); bound that wait.
  if (fout.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    c.terminate();
    r.err = "timed out";
    fout.wait();
    ferr.wait();
    return r;
  }
  c.wait();
  r.out = fout.get();
  r.err = ferr.get();
  r.exit_code = c.exit_code();
  return r;
}

}  // namespace mvt::ifcfg_test
