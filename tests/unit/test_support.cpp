#include "test_support.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <boost/process.hpp>
#include <future>

namespace mvt::test {

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto p = std::filesystem::temp_directory_path() / ("mvt-test-" + std::to_string(rd()));
    if (std::filesystem::create_directory(p)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult run(const std::vector<std::string>& argv, const std::string& input) {
  namespace bp = boost::process;
  boost::asio::io_context ios;
  std::future<std::string> out, err;
  bp::opstream in;
  bp::child c(bp::exe = argv.at(0), bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
              bp::std_out > out, bp::std_err > err, bp::std_in < in, ios);
  in << input;
  in.flush();
  in.pipe().close();
  ios.run_for(std::chrono::seconds(60));
  RunResult r;
  if (c.running()) {
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

RunResult run_tool(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f << bytes;
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace mvt::test
