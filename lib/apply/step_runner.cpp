#include "apply/step_runner.hpp"

#include "netconf/format.hpp"

#include <thread>

#include "files/agent_source.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"

namespace mvt::apply {
namespace {

Hypervisor& hv_of(HostBackends& b, const std::string& host) {
  if (!b.hypervisor) throw Error("host " + host + " has no libvirt connection");
  return *b.hypervisor;
}

std::string where(const std::string& host, const plan::Operation& op) {
  return (op.scope == plan::FileScope::Host ? "host " + host : "guest " + op.guest) + " file " +
         op.path;
}

void restore_file(FileAccess& fa, const std::string& path, const std::optional<FileInfo>& before) {
  if (!before) {
    fa.remove(path);
    return;
  }
  auto cur = fa.read(path);
  if (!cur || cur->bytes != before->bytes || cur->mode != before->mode)
    fa.write_atomic(path, before->bytes, before->mode);
  if (!cur || cur->uid != before->uid || cur->gid != before->gid) {
    auto now = fa.read(path);
    if (now && (now->uid != before->uid || now->gid != before->gid))
      fa.chown(path, before->uid, before->gid);
  }
}

// The guest's boot id through its agent (guest-file-open/read/close only: no guest-exec, which
// RHEL's agent may refuse); nullopt when it has no agent source or the agent cannot read it.
std::optional<std::string> boot_id(HostBackends& b, const std::string& guest) {
  auto it = b.guest_files.find(guest);
  auto* agent = it == b.guest_files.end() ? nullptr : dynamic_cast<AgentSource*>(it->second);
  if (!agent) return std::nullopt;
  try {
    const std::string h = agent->call(
        "guest-file-open", R"({"path":"/proc/sys/kernel/random/boot_id","mode":"r"})");
    std::string reply;
    try {
      reply = agent->call("guest-file-read", "{\"handle\":" + h + ",\"count\":64}");
    } catch (...) {
      try {
        agent->call("guest-file-close", "{\"handle\":" + h + "}");
      } catch (const std::exception&) {
      }
      throw;
    }
    agent->call("guest-file-close", "{\"handle\":" + h + "}");
    // {"count":37,"buf-b64":"...","eof":...}: the base64 text identifies the boot as well as
    // the decoded bytes do.
    const auto k = reply.find("\"buf-b64\"");
    if (k != std::string::npos) return reply.substr(k);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// After hv.reboot(): until the agent answers from a new boot (see step_runner.hpp).
void wait_rebooted(const std::string& host, const std::string& guest, HostBackends& b,
                   const Timeouts& t, const std::optional<std::string>& old_boot,
                   const ProgressFn& progress) {
  if (!old_boot) {
    require_agent(b, host, guest, t.agent_boot, "after reboot", progress);
    return;
  }
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + t.agent_boot;
  if (progress)
    progress("waiting up to " + std::to_string(t.agent_boot.count() / 1000) +
             " s for guest " + guest + " on " + host + " to come back from its reboot");
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() > 0) {
      const AgentWait w = wait_for_agent(b, host, guest, left, "after reboot");
      if (w.ready()) {
        const auto now = boot_id(b, guest);
        if (now && *now != *old_boot) {
          if (progress) progress("guest " + guest + " on " + host + " is back from its reboot");
          return;
        }
      } else if (w.status != AgentWaitStatus::TimedOut) {
        return;  // NoChannel/NotRunning: what follows reports it
      }
    }
    if (Clock::now() >= deadline)
      throw Error("guest " + guest + " on host " + host + ": no answer from its guest agent " +
                  "after a new boot within " + std::to_string(t.agent_boot.count() / 1000) +
                  " s of the reboot request (did it ignore the reboot?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

FileAccess& file_source(HostBackends& b, const std::string& host, const plan::Operation& op) {
  FileAccess* fa = nullptr;
  if (op.scope == plan::FileScope::Host) {
    fa = b.host_files;
    if (!fa) throw AccessError("host " + host + " has no file source (files: none)");
  } else {
    auto it = b.guest_files.find(op.guest);
    if (it != b.guest_files.end()) fa = it->second;
    if (!fa) throw AccessError("guest " + op.guest + " has no file source (guest_files: none)");
  }
  return *fa;
}

BeforeImage capture_before(const plan::Step& step, HostBackends& b) {
  const auto& op = step.op;
  BeforeImage img;
  switch (op.kind) {
    case plan::OpKind::WriteFile:
    case plan::OpKind::RemoveFile: {
      FileAccess& fa = file_source(b, step.host, op);
      img.file = fa.read(op.path);
      const bool moved = op.before_sha256
                             ? (!img.file || sha256_hex(img.file->bytes) != *op.before_sha256)
                             : (img.file.has_value() && op.kind == plan::OpKind::WriteFile);
      if (moved)
        throw WorldMovedError(
            where(step.host, op) + " on " + fa.describe() + " changed since the plan was made (" +
            (img.file ? "its content differs" : "it is gone") + "): the world moved; plan again");
      break;
    }
    case plan::OpKind::DefineInterface: {
      auto x = hv_of(b, step.host).domain_xml(op.guest, /*inactive=*/true);
      if (!x) throw Error("guest " + op.guest + " is not defined on " + b.hypervisor->uri());
      img.inactive_xml = std::move(x);
      break;
    }
    case plan::OpKind::LiveAttach:
    case plan::OpKind::LiveDetach:
      img.was_running = is_running(hv_of(b, step.host), op.guest);
      img.live_present = live_has_mac(hv_of(b, step.host), op.guest, op_mac(op));
      break;
    case plan::OpKind::Activate:
      if (b.hypervisor) img.was_running = is_running(*b.hypervisor, op.guest);
      break;
    case plan::OpKind::Verify:
      break;
  }
  return img;
}

void activate_guest(const std::string& host, const std::string& guest,
                    plan::ActivationMethod method, HostBackends& b, const Timeouts& t,
                    std::vector<std::string>& pending, const ProgressFn& progress) {
  plan::Operation op;
  op.kind = plan::OpKind::Activate;
  op.guest = guest;
  op.method = method;
  op.config_format = std::string(netconf::default_format().name());
  activate_guest(host, op, false, b, t, pending, progress);
}

void activate_guest(const std::string& host, const plan::Operation& op, bool rollback,
                    HostBackends& b, const Timeouts& t, std::vector<std::string>& pending,
                    const ProgressFn& progress) {
  using M = plan::ActivationMethod;
  const std::string& guest = op.guest;
  switch (op.method) {
    case M::None:
      pending.push_back("guest " + guest +
                        ": activate none: its new configuration takes effect at its next network "
                        "restart or boot");
      return;
    case M::RestartNetwork: {
      auto it = b.guest_files.find(guest);
      FileAccess* fa = it == b.guest_files.end() ? nullptr : it->second;
      if (!fa || !fa->can_run()) {
        pending.push_back("guest " + guest + ": restart-network pending: " +
                          (fa ? fa->describe() : std::string("no guest file source")) +
                          " cannot run commands; restart its network by hand");
        return;
      }
      // The format's commands (ifcfg: network-scripts' own init script, an absolute path;
      // keyfile: nmcli reload, then up per profile), each a plain argv. The format and the
      // UUIDs were checked where the plan or journal was read.
      const netconf::Format* fmt = netconf::find_format(op.config_format);
      if (!fmt) throw Error("guest " + guest + ": unknown config_format " + op.config_format);
      for (const auto& argv : fmt->activation_argvs(rollback ? op.restore_profiles : op.profiles)) {
        auto r = fa->run(argv, t.command);
        if (r.exit_code != 0) {
          std::string cmd;
          for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
          throw Error("guest " + guest + ": '" + cmd + "' exited " + std::to_string(r.exit_code) +
                      ": " + r.err);
        }
      }
      return;
    }
    case M::Reboot: {
      Hypervisor& hv = hv_of(b, host);
      if (!is_running(hv, guest)) {
        pending.push_back("guest " + guest +
                          " is not running: its new configuration takes effect when it starts");
        return;
      }
      const auto old_boot = boot_id(b, guest);
      hv.reboot(guest);
      wait_rebooted(host, guest, b, t, old_boot, progress);
      return;
    }
    case M::ColdRestart: {
      Hypervisor& hv = hv_of(b, host);
      if (!is_running(hv, guest)) {
        pending.push_back("guest " + guest +
                          " is not running: its new configuration takes effect when it starts");
        return;
      }
      // A booting guest's agent is not connected yet: libvirt would fall back to the ACPI
      // power button, which a guest without a handler for it ignores (the shutdown bound,
      // then destroy). Not an error when it never answers: the shutdown still runs.
      wait_for_agent(b, host, guest, t.agent_boot, "before shutting it down", progress);
      if (auto note = cold_restart(hv, guest, t)) pending.push_back(*note);
      require_agent(b, host, guest, t.agent_boot, "after cold-restart", progress);
      return;
    }
  }
}

void run_operation(const plan::Step& step, HostBackends& b, const Timeouts& t,
                   std::vector<std::string>& pending, const ProgressFn& progress,
                   const BeforeImage* before) {
  const auto& op = step.op;
  switch (op.kind) {
    case plan::OpKind::WriteFile:
      file_source(b, step.host, op).write_atomic(op.path, op.content, op.mode);
      return;
    case plan::OpKind::RemoveFile:
      file_source(b, step.host, op).remove(op.path);
      return;
    case plan::OpKind::DefineInterface: {
      Hypervisor& hv = hv_of(b, step.host);
      std::optional<std::string> fetched;  // only without a before-image
      const std::string* x = before && before->inactive_xml ? &*before->inactive_xml : nullptr;
      if (!x && (fetched = hv.domain_xml(op.guest, /*inactive=*/true))) x = &*fetched;
      if (!x) throw Error("guest " + op.guest + " is not defined on " + hv.uri());
      hv.define_xml(edited_inactive_xml(op.guest, *x, op));
      return;
    }
    case plan::OpKind::LiveAttach: {
      Hypervisor& hv = hv_of(b, step.host);
      if (!is_running(hv, op.guest)) {
        pending.push_back("guest " + op.guest + " is not running: interface " + op.mac +
                          " is attached when it starts");
        return;
      }
      if (live_has_mac(hv, op.guest, op_mac(op))) return;
      hv.attach_device(op.guest, op.interface_xml, /*live=*/true, /*config=*/false);
      return;
    }
    case plan::OpKind::LiveDetach: {
      Hypervisor& hv = hv_of(b, step.host);
      const MacAddress mac = op_mac(op);
      if (!live_has_mac(hv, op.guest, mac)) return;
      hv.detach_device(op.guest, op.old_interface_xml, /*live=*/true, /*config=*/false);
      wait_detached(hv, op.guest, mac, t);
      return;
    }
    case plan::OpKind::Activate:
      activate_guest(step.host, op, false, b, t, pending, progress);
      return;
    case plan::OpKind::Verify:
      return;
  }
}

void undo_operation(const JournalStep& s, HostBackends& b, const Timeouts& t) {
  const auto& op = s.op;
  switch (op.kind) {
    case plan::OpKind::WriteFile:
    case plan::OpKind::RemoveFile: {
      FileAccess& fa = file_source(b, s.host, op);
      auto cur = fa.read(op.path);
      const bool is_before = s.before.file ? (cur && cur->bytes == s.before.file->bytes) : !cur;
      const bool is_after = op.kind == plan::OpKind::WriteFile
                                ? (cur && sha256_hex(cur->bytes) == s.content_sha256)
                                : !cur;
      if (!is_before && !is_after)
        throw Error(where(s.host, op) + " on " + fa.describe() +
                    " was changed by someone else after the apply; not restoring it");
      restore_file(fa, op.path, s.before.file);
      return;
    }
    case plan::OpKind::DefineInterface:
      if (s.before.inactive_xml) hv_of(b, s.host).define_xml(*s.before.inactive_xml);
      return;
    case plan::OpKind::LiveAttach: {
      Hypervisor& hv = hv_of(b, s.host);
      const MacAddress mac = op_mac(op);
      if (s.before.live_present || !live_has_mac(hv, op.guest, mac)) return;
      hv.detach_device(op.guest, op.interface_xml, /*live=*/true, /*config=*/false);
      wait_detached(hv, op.guest, mac, t);
      return;
    }
    case plan::OpKind::LiveDetach: {
      Hypervisor& hv = hv_of(b, s.host);
      if (!s.before.live_present || !is_running(hv, op.guest)) return;
      if (live_has_mac(hv, op.guest, op_mac(op))) return;
      hv.attach_device(op.guest, op.old_interface_xml, /*live=*/true, /*config=*/false);
      return;
    }
    case plan::OpKind::Activate:
    case plan::OpKind::Verify:
      return;
  }
}

}  // namespace mvt::apply
