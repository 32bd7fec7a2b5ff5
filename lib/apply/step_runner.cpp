#include "apply/step_runner.hpp"

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
                    std::vector<std::string>& pending) {
  using M = plan::ActivationMethod;
  switch (method) {
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
      // network-scripts' own init script: RHEL 7 and 8 (network-scripts package) have it, as
      // does the lab guest's stand-in; an absolute path needs no PATH inside the guest.
      auto r = fa->run({"/etc/init.d/network", "restart"}, t.command);
      if (r.exit_code != 0)
        throw Error("guest " + guest + ": '/etc/init.d/network restart' exited " +
                    std::to_string(r.exit_code) + ": " + r.err);
      return;
    }
    case M::Reboot: {
      Hypervisor& hv = hv_of(b, host);
      if (!is_running(hv, guest)) {
        pending.push_back("guest " + guest +
                          " is not running: its new configuration takes effect when it starts");
        return;
      }
      hv.reboot(guest);
      return;
    }
    case M::ColdRestart: {
      Hypervisor& hv = hv_of(b, host);
      if (!is_running(hv, guest)) {
        pending.push_back("guest " + guest +
                          " is not running: its new configuration takes effect when it starts");
        return;
      }
      if (auto note = cold_restart(hv, guest, t)) pending.push_back(*note);
      return;
    }
  }
}

void run_operation(const plan::Step& step, HostBackends& b, const Timeouts& t,
                   std::vector<std::string>& pending) {
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
      auto x = hv.domain_xml(op.guest, /*inactive=*/true);
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
      activate_guest(step.host, op.guest, op.method, b, t, pending);
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
