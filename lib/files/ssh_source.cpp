#include "files/ssh_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "files/dir_source.hpp"
#include "files/process.hpp"
#include "util/errors.hpp"

namespace mvt {

namespace {

// Remote helper scripts; every path arrives as a positional argument ("$1"...), quoted.
constexpr const char* kReadScript =
    "[ -e \"$1\" ] || [ -L \"$1\" ] || exit 3\n"
    "[ -f \"$1\" ] || { echo \"not a regular file: $1\" >&2; exit 1; }\n"
    "stat -c '%a %u %g' -- \"$1\" && exec cat -- \"$1\"\n";
constexpr const char* kListScript =
    "cd -- \"$1\" 2>/dev/null || exit 0\n"
    "for f in * .[!.]* ..?*; do\n"
    "  if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then printf '%s\\0' \"$f\"; fi\n"
    "done\n";
// $1 target, $2 dir, $3 name, $4 mode for a new file, $5 forced mode ("" = keep).
constexpr const char* kWriteScript =
    "dst=$1; tmp=$(mktemp \"$2/.$3.mvt-XXXXXX\") || exit 1\n"
    "fail() { rm -f -- \"$tmp\"; echo \"$1\" >&2; exit 1; }\n"
    "cat >\"$tmp\" || fail 'cannot write the temp file'\n"
    "if [ -f \"$dst\" ]; then\n"
    "  own=$(stat -c '%u:%g' -- \"$dst\") && mode=$(stat -c '%a' -- \"$dst\") || fail 'cannot stat target'\n"
    "else\n"
    "  own=0:0; mode=$4\n"
    "fi\n"
    "[ -n \"$5\" ] && mode=$5\n"
    "if [ \"$(id -u)\" = 0 ]; then chown \"$own\" \"$tmp\" || fail 'chown failed'; fi\n"
    "chmod \"$mode\" \"$tmp\" || fail 'chmod failed'\n"
    "sync -- \"$tmp\" 2>/dev/null || sync\n"
    "mv -f -- \"$tmp\" \"$dst\" || fail 'rename failed'\n"
    "sync -- \"$2\" 2>/dev/null || true\n";
constexpr const char* kRemoveScript =
    "if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then echo \"is a directory: $1\" >&2; exit 1; fi\n"
    "exec rm -f -- \"$1\"\n";

bool bad_word(const std::string& s) {
  return s.empty() || s.front() == '-' ||
         s.find_first_of(" \t\n'\"\\;&|<>$`") != std::string::npos;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string shell_quote(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

SshSource::SshSource(const std::string& target) : SshSource(target, Options{}) {}

SshSource::SshSource(const std::string& target, Options options) : options_(std::move(options)) {
  std::string t = target;
  if (t.rfind("ssh://", 0) == 0) t = t.substr(6);
  while (!t.empty() && t.back() == '/') t.pop_back();
  if (const auto at = t.rfind('@'); at != std::string::npos) {
    user_ = t.substr(0, at);
    t = t.substr(at + 1);
  }
  if (const auto colon = t.rfind(':'); colon != std::string::npos && t.front() != '[') {
    const std::string p = t.substr(colon + 1);
    if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || p.size() > 5)
      throw AccessError("ssh source " + target + ": bad port '" + p + "'");
    port_ = std::stoi(p);
    t = t.substr(0, colon);
  }
  host_ = t;
  if (bad_word(host_)) throw AccessError("ssh source " + target + ": bad host '" + host_ + "'");
  if (!user_.empty() && bad_word(user_))
    throw AccessError("ssh source " + target + ": bad user '" + user_ + "'");
  if (options_.root.empty() || options_.root.front() != '/') options_.root = "/" + options_.root;
  while (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
}

std::string SshSource::describe() const {
  std::string d = "ssh://";
  if (!user_.empty()) d += user_ + "@";
  d += host_;
  if (port_) d += ":" + std::to_string(*port_);
  return d;
}

void SshSource::check_writable(const std::string& what) const {
  if (options_.read_only) throw AccessError(describe() + " is read-only here: cannot " + what);
}

std::unique_ptr<FileAccess> open_ssh_source(const FileSourceSpec& spec, bool read_only) {
  if (spec.kind != FileSourceKind::Ssh)
    throw AccessError("not an ssh file source: " + spec.str());
  SshSource::Options o;
  o.read_only = read_only;
  return std::make_unique<SshSource>(spec.path, o);
}

std::string SshSource::remote_path(const std::string& rel) const {
  std::string p = options_.root == "/" ? "" : options_.root;
  for (const auto& part : split_relative_path(rel)) p += "/" + part;
  return p.empty() ? "/" : p;
}

std::vector<std::string> SshSource::ssh_argv(const std::vector<std::string>& remote) const {
  std::vector<std::string> a = {options_.ssh, "-o", "BatchMode=yes", "-o",
                                fmt::format("ConnectTimeout={}", options_.connect_timeout.count())};
  if (port_) {
    a.push_back("-p");
    a.push_back(std::to_string(*port_));
  }
  a.insert(a.end(), options_.extra_options.begin(), options_.extra_options.end());
  a.push_back(user_.empty() ? host_ : user_ + "@" + host_);
  a.push_back("--");
  for (const auto& w : remote) a.push_back(shell_quote(w));
  return a;
}

CommandResult SshSource::run_with_input(const std::vector<std::string>& argv,
                                        const std::string& input,
                                        std::chrono::milliseconds timeout) {
  if (argv.empty() || argv[0].empty()) throw AccessError(describe() + ": empty command");
  ProcessOptions po;
  po.timeout = timeout;
  po.input = input;
  const ProcessResult r = run_process(ssh_argv(argv), po);
  if (r.timed_out)
    throw SystemError(fmt::format("{}: `{}` did not finish within {} ms (ssh killed)", describe(),
                                  argv[0], timeout.count()),
                      ETIMEDOUT);
  if (r.exit_code == 255)
    throw SystemError(fmt::format("{}: ssh failed: {}", describe(), trimmed(r.err)),
                      ECONNREFUSED);
  return CommandResult{r.exit_code, r.out, r.err};
}

CommandResult SshSource::run(const std::vector<std::string>& argv,
                             std::chrono::milliseconds timeout) {
  check_writable("run " + (argv.empty() ? std::string() : argv[0]));
  return run_with_input(argv, {}, timeout);
}

std::optional<FileInfo> SshSource::read(const std::string& rel) {
  const std::string path = remote_path(rel);
  const auto r = run_with_input({"sh", "-c", kReadScript, "sh", path}, {}, options_.op_timeout);
  if (r.exit_code == 3) return std::nullopt;
  if (r.exit_code != 0)
    throw AccessError(fmt::format("{}: cannot read {}: {}", describe(), path, trimmed(r.err)));
  const auto nl = r.out.find('\n');
  unsigned mode = 0, uid = 0, gid = 0;
  if (nl == std::string::npos ||
      std::sscanf(r.out.substr(0, nl).c_str(), "%o %u %u", &mode, &uid, &gid) != 3)
    throw AccessError(describe() + ": unexpected answer reading " + path);
  FileInfo info;
  info.bytes = r.out.substr(nl + 1);
  info.mode = mode;
  info.uid = uid;
  info.gid = gid;
  return info;
}

std::vector<std::string> SshSource::list(const std::string& rel_dir) {
  const std::string dir = remote_path(rel_dir);
  const auto r = run_with_input({"sh", "-c", kListScript, "sh", dir}, {}, options_.op_timeout);
  if (r.exit_code != 0)
    throw AccessError(fmt::format("{}: cannot list {}: {}", describe(), dir, trimmed(r.err)));
  std::vector<std::string> names;
  std::size_t start = 0;
  for (std::size_t k = 0; k < r.out.size(); ++k) {
    if (r.out[k] != '\0') continue;
    if (k > start) names.push_back(r.out.substr(start, k - start));
    start = k + 1;
  }
  std::sort(names.begin(), names.end());
  return names;
}

void SshSource::write_atomic(const std::string& rel, const std::string& bytes,
                             std::optional<unsigned> mode) {
  check_writable("write " + rel);
  const std::string path = remote_path(rel);
  const auto slash = path.rfind('/');
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  const std::string forced = mode ? fmt::format("{:o}", *mode) : std::string{};
  const std::string fresh = fmt::format("{:o}", mode.value_or(0644));
  const auto r = run_with_input({"sh", "-c", kWriteScript, "sh", path, dir, name, fresh, forced},
                                bytes, options_.op_timeout);
  if (r.exit_code != 0)
    throw AccessError(fmt::format("{}: cannot replace {}: {}", describe(), path, trimmed(r.err)));
}

void SshSource::remove(const std::string& rel) {
  check_writable("remove " + rel);
  const std::string path = remote_path(rel);
  const auto r = run_with_input({"sh", "-c", kRemoveScript, "sh", path}, {}, options_.op_timeout);
  if (r.exit_code != 0)
    throw AccessError(fmt::format("{}: cannot remove {}: {}", describe(), path, trimmed(r.err)));
}

void SshSource::chown(const std::string& rel, unsigned uid, unsigned gid) {
  check_writable("chown " + rel);
  const std::string path = remote_path(rel);
  const auto r = run_with_input({"chown", fmt::format("{}:{}", uid, gid), path}, {},
                                options_.op_timeout);
  if (r.exit_code != 0)
    throw AccessError(fmt::format("{}: cannot chown {}: {}", describe(), path, trimmed(r.err)));
}

}  // namespace mvt
