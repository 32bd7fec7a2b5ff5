#include "files/process.hpp"

#include <cerrno>
#include <future>
#include <system_error>

#include <string_view>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include "util/errors.hpp"

namespace bp = boost::process;

namespace mvt {
namespace {

// The child's environment: ours, with `overrides` replacing or adding variables, built
// here rather than with bp::environment: Boost 1.74's basic_environment_impl::find reads
// past the end of a variable's name (a heap-buffer-overflow ASan reports on every
// `env[key] = value`; issue 8).
class ChildEnvironment {
 public:
  explicit ChildEnvironment(const std::map<std::string, std::string>& overrides) {
    for (char** e = ::environ; e && *e; ++e) {
      const std::string_view entry(*e);
      const auto eq = entry.find('=');
      const std::string name(entry.substr(0, eq));
      if (overrides.count(name) == 0) entries_.emplace_back(entry);
    }
    for (const auto& [k, v] : overrides) entries_.push_back(k + "=" + v);
    for (auto& s : entries_) pointers_.push_back(s.data());
    pointers_.push_back(nullptr);
  }
  char** envp() { return pointers_.data(); }

 private:
  std::vector<std::string> entries_;
  std::vector<char*> pointers_;
};

// A Boost.Process initializer handing execve() our environment block.
struct UseEnvironment : bp::extend::handler {
  char** envp;
  explicit UseEnvironment(char** e) : envp(e) {}
  template <class Executor>
  void on_setup(Executor& exec) const {
    exec.env = envp;
  }
};

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty() || argv[0].empty()) throw SystemError("run_process: empty argv", EINVAL);
  const auto start = std::chrono::steady_clock::now();

  boost::filesystem::path exe = argv[0];
  if (argv[0].find('/') == std::string::npos) {
    exe = bp::search_path(argv[0]);
    if (exe.empty()) throw SystemError("cannot run " + argv[0] + ": not found in PATH", ENOENT);
  }
  const std::vector<std::string> args(argv.begin() + 1, argv.end());

  ChildEnvironment env(options.env);

  boost::asio::io_context io;
  std::future<std::string> out;
  std::future<std::string> err;
  ProcessResult r;
  bool exited = false;
  std::error_code start_error;
  bp::child child;
  try {
    child = bp::child(
        exe, bp::args = args, UseEnvironment(env.envp()), bp::std_in < boost::asio::buffer(options.input),
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
