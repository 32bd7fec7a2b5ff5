#include "files/process.hpp"

#include <cerrno>
#include <future>
#include <system_error>

#include <sys/wait.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>

#include "util/errors.hpp"

namespace bp = boost::process;

namespace mvt {

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty() || argv[0].empty()) throw SystemError("run_process: empty argv", EINVAL);
  const auto start = std::chrono::steady_clock::now();

  boost::filesystem::path exe = argv[0];
  if (argv[0].find('/') == std::string::npos) {
    exe = bp::search_path(argv[0]);
    if (exe.empty()) throw SystemError("cannot run " + argv[0] + ": not found in PATH", ENOENT);
  }
  const std::vector<std::string> args(argv.begin() + 1, argv.end());

  bp::environment env = boost::this_process::environment();
  for (const auto& [k, v] : options.env) env[k] = v;

  boost::asio::io_context io;
  std::future<std::string> out;
  std::future<std::string> err;
  ProcessResult r;
  bool exited = false;
  std::error_code start_error;
  bp::child child;
  try {
    child = bp::child(
        exe, bp::args = args, env, bp::std_in < boost::asio::buffer(options.input),
        bp::std_out > out, bp::std_err > err, io,
        bp::on_exit = [&](int, const std::error_code&) { exited = true; },
        start_error);
  } catch (const bp::process_error& e) {
    throw SystemError("cannot run " + argv[0] + ": " + e.what(), e.code().value());
  }
  if (start_error)
    throw SystemError("cannot run " + argv[0] + ": " + start_error.message(), start_error.value());

  io.run_for(options.timeout);
  if (!io.stopped()) {
    r.timed_out = true;
    std::error_code ec;
    child.terminate(ec);
    // Pipes close when the child dies (unless a grandchild holds them): drain, bounded.
    io.restart();
    io.run_for(std::chrono::seconds(2));
  }
  auto take = [](std::future<std::string>& f) {
    if (f.valid() && f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      try {
        return f.get();
      } catch (...) {
      }
    }
    return std::string{};
  };
  r.out = take(out);
  r.err = take(err);
  if (!r.timed_out) {
    if (!exited) {
      std::error_code ec;
      child.wait(ec);
    }
    const int raw = child.native_exit_code();
    if (WIFEXITED(raw))
      r.exit_code = WEXITSTATUS(raw);
    else if (WIFSIGNALED(raw))
      r.exit_code = 128 + WTERMSIG(raw);
  }
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return r;
}

}  // namespace mvt
