#include "apply/try_timer.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "files/process.hpp"
#include "util/errors.hpp"

namespace mvt::apply {
namespace {

std::string unit_escape(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == '-') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string first_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
  return s;
}

std::optional<std::string> run_manager(const std::vector<std::string>& argv) {
  try {
    const ProcessResult r = run_process(argv, std::chrono::seconds(30));
    if (r.timed_out) return argv[0] + " did not finish within 30 s";
    if (r.exit_code != 0)
      return argv[0] + " exited with " + std::to_string(r.exit_code) +
             (r.err.empty() ? std::string() : ": " + first_line(r.err));
  } catch (const std::exception& e) {
    return argv[0] + ": " + e.what();
  }
  return std::nullopt;
}

}  // namespace

bool systemd_present() {
  if (const char* e = std::getenv("MVT_TEST_SYSTEMD_PRESENT"); e && *e) return e[0] == '1';
  std::error_code ec;
  return std::filesystem::is_directory("/run/systemd/system", ec);
}

std::string try_timer_unit(const std::string& host, const std::string& apply_id) {
  return "macvtapctl-try-" + unit_escape(host) + "-" + unit_escape(apply_id);
}

std::filesystem::path self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw SystemError("cannot find this program's path (/proc/self/exe): " + ec.message(),
                            ec.value());
  return p;
}

std::vector<std::string> try_timer_argv(const TryTimerConfig& c,
                                        const std::filesystem::path& state_dir,
                                        const std::string& host, const std::string& apply_id,
                                        long long on_active_seconds) {
  const std::string unit = try_timer_unit(host, apply_id);
  std::vector<std::string> argv{"systemd-run",
                                "--unit=" + unit,
                                "--on-active=" + std::to_string(on_active_seconds),
                                "--timer-property=AccuracySec=1s",
                                "--description=macvtapctl: revert the unconfirmed --try of apply " +
                                    apply_id + " on host " + host,
                                c.exe.string()};
  argv.insert(argv.end(), c.global_args.begin(), c.global_args.end());
  for (const char* a : {"rollback", "--host"}) argv.emplace_back(a);
  argv.push_back(host);
  argv.emplace_back("--expired-try");
  argv.push_back(apply_id);
  argv.emplace_back("--state-dir");
  argv.push_back(std::filesystem::absolute(state_dir).string());
  return argv;
}

std::optional<std::string> start_try_timer(const std::vector<std::string>& argv) {
  return run_manager(argv);
}

std::optional<std::string> cancel_try_timer(const std::string& unit) {
  return run_manager({"systemctl", "stop", unit + ".timer"});
}

}  // namespace mvt::apply
