#include "files/agent_source.hpp"

#include <libvirt/virterror.h>

#include <algorithm>
#include <array>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "files/dir_source.hpp"

namespace mvt {

namespace {

using json = nlohmann::json;
using Failure = AgentCallError::Failure;

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kB64[(v >> s) & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string b64_decode(std::string_view in) {
  std::array<int, 256> map{};
  map.fill(-1);
  for (std::size_t k = 0; k < kB64.size(); ++k) map[static_cast<unsigned char>(kB64[k])] = int(k);
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = map[static_cast<unsigned char>(c)];
    if (v < 0) continue;  // '=', whitespace
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

std::string random_suffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:08x}", static_cast<unsigned>(rng()));
}

std::string dirname_of(const std::string& p) {
  const auto slash = p.rfind('/');
  return slash == 0 ? "/" : p.substr(0, slash);
}

// Fixed helper scripts run by /bin/sh in the guest; paths arrive as "$1", "$2", ... only.
constexpr const char* kStatScript = "exec stat -c '%a %u %g' -- \"$1\"";
constexpr const char* kListScript =
    "cd -- \"$1\" 2>/dev/null || exit 0\n"
    "for f in * .[!.]* ..?*; do\n"
    "  if [ -f \"$f\" ] && [ ! -L \"$f\" ]; then printf '%s\\0' \"$f\"; fi\n"
    "done\n";
// Paths are always absolute here, so none can be taken for an option.
// $1 temp, $2 target, $3 mode for a new file, $4 mode to force ("" = keep the target's).
constexpr const char* kCommitScript =
    "tmp=$1; dst=$2\n"
    "fail() { rm -f -- \"$tmp\"; echo \"$1\" >&2; exit 1; }\n"
    "if [ -f \"$dst\" ]; then\n"
    "  own=$(stat -c '%u:%g' -- \"$dst\") && mode=$(stat -c '%a' -- \"$dst\") || fail 'cannot stat target'\n"
    "else\n"
    "  own=0:0; mode=$3\n"
    "fi\n"
    "[ -n \"$4\" ] && mode=$4\n"
    "chown \"$own\" \"$tmp\" || fail 'chown failed'\n"
    "chmod \"$mode\" \"$tmp\" || fail 'chmod failed'\n"
    "sync -- \"$tmp\" 2>/dev/null || sync\n"
    "mv -f -- \"$tmp\" \"$dst\" || fail 'rename failed'\n"
    "sync -- \"$(dirname -- \"$dst\")\" 2>/dev/null || true\n";

}  // namespace

std::string agent_refusal_advice(const std::string& command) {
  return fmt::format(
      "allow {0} in the guest's qemu-guest-agent configuration and restart qemu-guest-agent: "
      "RHEL 9.4 and later: add it to the --allow-rpcs= list of FILTER_RPC_ARGS in "
      "/etc/sysconfig/qemu-ga; older RHEL/CentOS: remove it from BLACKLIST_RPC= (or from "
      "--block-rpcs=) there; /etc/qemu/qemu-ga.conf: add it to allow-rpcs= or remove it from "
      "block-rpcs= under [general]. {1}",
      command, agent_rpc_needs());
}

std::string agent_rpc_needs() {
  return "plan, drift and show need guest-file-open, guest-file-read, guest-file-close and "
         "guest-network-get-interfaces (files opened in mode \"r\" only, never guest-exec); "
         "apply also needs guest-file-write, guest-file-flush, guest-exec and "
         "guest-exec-status. With SELinux enforcing in the guest, reading the ifcfg files and "
         "NetworkManager keyfiles needs `setsebool -P virt_qemu_ga_read_nonsecurity_files on`; "
         "apply writes /etc/sysconfig/network-scripts (net_conf_t) or "
         "/etc/NetworkManager/system-connections (NetworkManager_etc_rw_t) and runs nmcli, "
         "which the agent's confined domain virt_qemu_ga_t may not do under any boolean: for "
         "apply through the agent make it permissive (`semanage permissive -a virt_qemu_ga_t`) "
         "or apply through ssh";
}

AgentCallError agent_error_from(const std::string& domain, const std::string& command, int code,
                                const std::string& message) {
  auto has = [&](std::string_view s) { return message.find(s) != std::string::npos; };
  if (code == VIR_ERR_NO_DOMAIN)
    return {fmt::format("guest {} does not exist (guest agent command {})", domain, command),
            Failure::NotRunning};
  if (code == VIR_ERR_OPERATION_INVALID && has("not running"))
    return {fmt::format("guest {} is not running (shut off): its guest agent can answer only "
                        "while it runs; start it or use a dir: file source ({})",
                        domain, message),
            Failure::NotRunning};
  if (code == VIR_ERR_ARGUMENT_UNSUPPORTED || has("agent is not configured"))
    return {fmt::format("guest {} has no guest agent channel: add <channel type='unix'><target "
                        "type='virtio' name='org.qemu.guest_agent.0'/></channel> to its domain "
                        "XML and run qemu-guest-agent in the guest ({})",
                        domain, message),
            Failure::NoChannel};
  if (code == VIR_ERR_AGENT_UNRESPONSIVE || code == VIR_ERR_AGENT_UNSYNCED || has("not responding"))
    return {fmt::format("guest agent of {} is not answering ({}): is qemu-guest-agent installed "
                        "and running in the guest (still booting?)",
                        domain, message),
            Failure::NotAnswering};
  if (has("has been disabled") || has("CommandDisabled") || has("is disabled"))
    return {fmt::format("guest agent of {} refuses {} (disabled by its allow/deny list: {}); {}",
                        domain, command, message, agent_refusal_advice(command)),
            Failure::Refused};
  if (has("has not been found") || has("CommandNotFound"))
    return {fmt::format("guest agent of {} does not know {} (qemu-guest-agent too old?): {}",
                        domain, command, message),
            Failure::CommandFailed};
  if (command.rfind("guest-file-", 0) == 0 && has("Permission denied"))
    return {fmt::format("guest agent of {} may not access the file ({} failed: {}): is SELinux "
                        "enforcing in the guest? {}",
                        domain, command, message, agent_rpc_needs()),
            Failure::Refused};
  return {fmt::format("guest agent command {} in {} failed: {}", command, domain, message),
          Failure::CommandFailed};
}

AgentSource::AgentSource(Hypervisor& hv, std::string domain)
    : AgentSource(hv, std::move(domain), Options{}) {}

AgentSource::AgentSource(Hypervisor& hv, std::string domain, Options options)
    : hv_(hv), domain_(std::move(domain)), options_(std::move(options)) {
  if (options_.root.empty() || options_.root.front() != '/') options_.root = "/" + options_.root;
  while (options_.root.size() > 1 && options_.root.back() == '/') options_.root.pop_back();
  if (options_.chunk == 0) options_.chunk = 48 * 1024;
}

std::string AgentSource::describe() const { return "agent:" + domain_; }

void AgentSource::check_writable(const std::string& what) const {
  if (options_.read_only) throw AccessError(describe() + " is read-only here: cannot " + what);
}

std::unique_ptr<FileAccess> open_agent_source(Hypervisor& hv, const std::string& domain,
                                              bool read_only) {
  AgentSource::Options o;
  o.read_only = read_only;
  return std::make_unique<AgentSource>(hv, domain, o);
}

bool agent_command_reads_only(const std::string& command, const std::string& arguments_json) {
  static const std::array<std::string_view, 6> kReads = {
      "guest-ping",      "guest-info",      "guest-sync",
      "guest-file-read", "guest-file-close", "guest-network-get-interfaces"};
  if (std::find(kReads.begin(), kReads.end(), command) != kReads.end()) return true;
  if (command != "guest-file-open") return false;
  // Mode "r" only, given explicitly: the agent's default mode is "r" too, but a mode that is
  // absent or not a plain string is refused rather than interpreted.
  const json args = json::parse(arguments_json.empty() ? "{}" : arguments_json, nullptr, false);
  if (!args.is_object()) return false;
  const auto mode = args.find("mode");
  return mode != args.end() && mode->is_string() && mode->get<std::string>() == "r";
}

std::string AgentSource::call(const std::string& command, const std::string& arguments_json,
                              std::optional<std::chrono::seconds> timeout) {
  // The read-only gate: every agent command of this source passes here, so in read-only
  // mode (plan, drift, show) nothing but a read reaches the guest - checked before sending.
  if (options_.read_only && !agent_command_reads_only(command, arguments_json))
    throw AccessError(fmt::format(
        "{} is read-only here: guest agent command {} refused before it was sent (plan, "
        "drift and show use only guest-file-open in mode \"r\", guest-file-read, "
        "guest-file-close, guest-network-get-interfaces and guest-ping)",
        describe(), command));
  json req = {{"execute", command}};
  if (!arguments_json.empty() && arguments_json != "{}")
    req["arguments"] = json::parse(arguments_json);
  std::string reply;
  try {
    reply = hv_.agent_command(domain_, req.dump(), timeout.value_or(options_.call_timeout));
  } catch (const LibvirtError& e) {
    throw agent_error_from(domain_, command, e.code(), e.what());
  }
  json j;
  try {
    j = json::parse(reply);
  } catch (const json::exception&) {
    throw AgentCallError("guest agent of " + domain_ + " sent unparsable JSON for " + command,
                         Failure::CommandFailed);
  }
  if (j.contains("error")) {
    const auto& e = j["error"];
    const std::string msg = e.value("class", std::string{}) + ": " + e.value("desc", std::string{});
    throw agent_error_from(domain_, command, VIR_ERR_INTERNAL_ERROR, msg);
  }
  return j.contains("return") ? j["return"].dump() : "{}";
}

void AgentSource::ping(std::chrono::seconds timeout) { call("guest-ping", "{}", timeout); }

bool AgentSource::wait_until_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    try {
      ping(std::chrono::seconds(1));
      return true;
    } catch (const AgentCallError& e) {
      if (e.failure() == Failure::NoChannel || e.failure() == Failure::Refused) throw;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string AgentSource::guest_path(const std::string& rel) const {
  std::string p = options_.root == "/" ? "" : options_.root;
  for (const auto& part : split_relative_path(rel)) p += "/" + part;
  return p.empty() ? "/" : p;
}

CommandResult AgentSource::run(const std::vector<std::string>& argv,
                               std::chrono::milliseconds timeout) {
  check_writable("run " + (argv.empty() ? std::string() : argv[0]));
  return exec(argv, timeout);
}

CommandResult AgentSource::exec(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout) {
  check_writable("run " + (argv.empty() ? std::string() : argv[0]) + " (guest-exec)");
  if (argv.empty() || argv[0].empty()) throw AccessError(describe() + ": empty command");
  json args = {{"path", argv[0]},
               {"arg", std::vector<std::string>(argv.begin() + 1, argv.end())},
               {"capture-output", true}};
  const auto started = json::parse(call("guest-exec", args.dump()));
  const long long pid = started.at("pid").get<long long>();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(50);
  const json status_args = {{"pid", pid}};
  while (true) {
    const auto st = json::parse(call("guest-exec-status", status_args.dump()));
    if (st.value("exited", false)) {
      CommandResult r;
      if (st.contains("exitcode"))
        r.exit_code = st["exitcode"].get<int>();
      else if (st.contains("signal"))
        r.exit_code = 128 + st["signal"].get<int>();
      r.out = b64_decode(st.value("out-data", std::string{}));
      r.err = b64_decode(st.value("err-data", std::string{}));
      if (st.value("out-truncated", false) || st.value("err-truncated", false))
        r.err += "\n[macvtapctl: the guest agent truncated this command's output]";
      return r;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      try {  // best effort: the agent has no guest-exec-kill
        call("guest-exec", json{{"path", "kill"}, {"arg", {"-9", std::to_string(pid)}}}.dump());
      } catch (const Error&) {
      }
      throw AgentCallError(fmt::format("{}: `{}` did not finish within {} ms in the guest "
                                       "(killed, guest pid {})",
                                       describe(), argv[0], timeout.count(), pid),
                           Failure::NotAnswering);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(250));
  }
}

CommandResult AgentSource::exec_checked(const std::vector<std::string>& argv,
                                        const std::string& what) {
  CommandResult r = exec(argv, options_.file_op_timeout);
  if (r.exit_code != 0) {
    std::string err = r.err;
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    throw AccessError(fmt::format("{}: {} failed (exit {}): {}", describe(), what, r.exit_code,
                                  err.empty() ? r.out : err));
  }
  return r;
}

std::optional<FileInfo> AgentSource::read(const std::string& rel) {
  const std::string path = guest_path(rel);
  long long handle = 0;
  try {
    handle = json::parse(call("guest-file-open", json{{"path", path}, {"mode", "r"}}.dump()))
                 .get<long long>();
  } catch (const AgentCallError& e) {
    const std::string m = e.what();
    if (e.failure() == Failure::CommandFailed &&
        m.find("No such file or directory") != std::string::npos)
      return std::nullopt;
    throw;
  }
  FileInfo info;
  try {
    const json read_args = {{"handle", handle}, {"count", options_.chunk}};
    for (int guard = 0; guard < 100000; ++guard) {
      const auto chunk = json::parse(call("guest-file-read", read_args.dump()));
      info.bytes += b64_decode(chunk.value("buf-b64", std::string{}));
      if (chunk.value("eof", false) || chunk.value("count", 0) == 0) break;
    }
  } catch (...) {
    try {
      call("guest-file-close", json{{"handle", handle}}.dump());
    } catch (const Error&) {
    }
    throw;
  }
  call("guest-file-close", json{{"handle", handle}}.dump());
  // Mode and owner need a guest-exec of stat (the agent has no stat command): not in
  // read-only mode, where they stay unknown (FileInfo's defaults). Plans use only the bytes.
  if (options_.read_only) {
    info.stat_known = false;
    return info;
  }

  const auto st = exec_checked({"/bin/sh", "-c", kStatScript, "sh", path}, "stat " + path);
  unsigned mode = 0, uid = 0, gid = 0;
  if (std::sscanf(st.out.c_str(), "%o %u %u", &mode, &uid, &gid) != 3)
    throw AccessError(describe() + ": unexpected stat output for " + path + ": " + st.out);
  info.mode = mode;
  info.uid = uid;
  info.gid = gid;
  return info;
}

std::vector<std::string> AgentSource::list(const std::string& rel_dir) {
  // The agent has no directory listing: it takes a guest-exec, refused in read-only mode.
  check_writable("list " + rel_dir + " (the guest agent lists a directory only through "
                 "guest-exec)");
  const std::string dir = guest_path(rel_dir);
  const auto r = exec_checked({"/bin/sh", "-c", kListScript, "sh", dir}, "list " + dir);
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

void AgentSource::write_atomic(const std::string& rel, const std::string& bytes,
                               std::optional<unsigned> mode) {
  check_writable("write " + rel);
  const std::string path = guest_path(rel);
  const std::string dir = dirname_of(path);
  const std::string name = path.substr(path.rfind('/') + 1);
  const std::string tmp = (dir == "/" ? "" : dir) + "/." + name + ".mvt-" + random_suffix();

  const auto handle =
      json::parse(call("guest-file-open", json{{"path", tmp}, {"mode", "w"}}.dump()))
          .get<long long>();
  auto drop_tmp = [&] {
    try {
      exec({"rm", "-f", "--", tmp}, options_.file_op_timeout);
    } catch (const Error&) {
    }
  };
  try {
    for (std::size_t off = 0; off < bytes.size(); off += options_.chunk) {
      const std::string_view part = std::string_view(bytes).substr(off, options_.chunk);
      const auto w = json::parse(call(
          "guest-file-write", json{{"handle", handle}, {"buf-b64", b64_encode(part)}}.dump()));
      if (w.value("count", std::size_t{0}) != part.size())
        throw AgentCallError(describe() + ": short write to " + tmp, Failure::CommandFailed);
    }
    call("guest-file-flush", json{{"handle", handle}}.dump());
  } catch (...) {
    try {
      call("guest-file-close", json{{"handle", handle}}.dump());
    } catch (const Error&) {
    }
    drop_tmp();
    throw;
  }
  try {
    call("guest-file-close", json{{"handle", handle}}.dump());
  } catch (...) {
    drop_tmp();
    throw;
  }
  const std::string forced = mode ? fmt::format("{:o}", *mode) : std::string{};
  const std::string fresh = fmt::format("{:o}", mode.value_or(0644));
  // The script removes the temp file itself on failure.
  exec_checked({"/bin/sh", "-c", kCommitScript, "sh", tmp, path, fresh, forced},
               "replace " + path);
}

void AgentSource::remove(const std::string& rel) {
  check_writable("remove " + rel);
  const std::string path = guest_path(rel);
  exec_checked({"/bin/sh", "-c",
                "if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then echo 'is a directory' >&2; exit 1; fi; "
                "exec rm -f -- \"$1\"",
                "sh", path},
               "remove " + path);
}

void AgentSource::chown(const std::string& rel, unsigned uid, unsigned gid) {
  check_writable("chown " + rel);
  const std::string path = guest_path(rel);
  exec_checked({"chown", fmt::format("{}:{}", uid, gid), path}, "chown " + path);
}

std::vector<GuestNic> AgentSource::network_interfaces() {
  const auto j = json::parse(call("guest-network-get-interfaces"));
  std::vector<GuestNic> out;
  for (const auto& i : j) {
    GuestNic n;
    n.name = i.value("name", std::string{});
    if (i.contains("hardware-address"))
      n.mac = MacAddress::parse(i["hardware-address"].get<std::string>());
    if (i.contains("ip-addresses")) {
      for (const auto& a : i["ip-addresses"]) {
        const std::string type = a.value("ip-address-type", std::string{});
        const std::string addr = a.value("ip-address", std::string{});
        const int prefix = a.value("prefix", 0);
        if (type == "ipv4") {
          if (auto ip = Ipv4::parse(addr)) n.ipv4.emplace_back(*ip, prefix);
        } else if (type == "ipv6") {
          n.ipv6.push_back(addr + "/" + std::to_string(prefix));
        }
      }
    }
    out.push_back(std::move(n));
  }
  std::sort(out.begin(), out.end(),
            [](const GuestNic& a, const GuestNic& b) { return a.name < b.name; });
  return out;
}

}  // namespace mvt
