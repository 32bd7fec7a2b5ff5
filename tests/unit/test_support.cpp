#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <utility>  // boost 1.74 asio needs std::exchange declared first under C++20

#include <boost/asio.hpp>
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
  RunResult r;
  bool timed_out = false;
  boost::asio::steady_timer deadline(ios, std::chrono::seconds(60));
  // on_exit cancels the deadline, so ios.run() returns as soon as the child has exited and
  // both pipes reached EOF (asking child::running() after run_for() misreports fast exits).
  bp::async_pipe in_pipe(ios);
  bp::child c(bp::exe = argv.at(0),
              bp::args = std::vector<std::string>(argv.begin() + 1, argv.end()),
              bp::std_out > out, bp::std_err > err, bp::std_in < in_pipe, ios,
              bp::on_exit = [&](int code, const std::error_code&) {
                r.exit_code = code;
                deadline.cancel();
              });
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) {
      timed_out = true;
      std::error_code ignored;
      c.terminate(ignored);
    }
  });
  boost::asio::async_write(in_pipe, boost::asio::buffer(input),
                           [&](const boost::system::error_code&, std::size_t) { in_pipe.close(); });
  ios.run();
  if (c.valid() && c.running()) c.wait();
  r.out = out.get();
  r.err = err.get();
  if (timed_out) {
    r.exit_code = -1;
    r.err += "\n[test harness: timed out after 60 s]";
  }
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

HungListener::HungListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("HungListener: socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;  // any free port
  socklen_t len = sizeof a;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 64) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd_);
    throw std::runtime_error("HungListener: cannot listen on 127.0.0.1");
  }
  port_ = ntohs(a.sin_port);
}

HungListener::~HungListener() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace mvt::test
