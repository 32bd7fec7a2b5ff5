#include "plan/planner.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "plan/live_change.hpp"
#include "util/hash.hpp"

namespace mvt::plan {
namespace {

struct Draft {
  StepKind kind;
  std::string guest;  // "" for host-scoped steps
  std::string mac;    // interface identity, "" when none
  std::string nic;    // host NIC the step prepares or uses, "" when none
  Step step;
};

std::string join_fields(const std::vector<FieldChange>& f, std::size_t max = 6) {
  std::string out;
  for (std::size_t i = 0; i < f.size() && i < max; ++i) out += (i ? ", " : "") + f[i].field;
  if (f.size() > max) out += ", ...";
  return out;
}

// "type=direct source.dev=em2 ..." from one side of field changes; nullopt when that side
// has no value at all (absent device).
std::optional<std::string> summarize(const std::vector<FieldChange>& f, bool before) {
  std::string out;
  for (const auto& c : f) {
    const auto& v = before ? c.before : c.after;
    if (v) out += (out.empty() ? "" : " ") + c.field + "=" + *v;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// The live device's NIC model differs from the wanted one (a model change, not a new
// device). A live device without a <model> runs the hypervisor's default model: changing it
// to a named one is a model change too.
std::optional<plan::FieldChange> model_change(const diff::InterfaceDiff& i) {
  if (!i.listed || !i.live || !i.live_differs) return std::nullopt;
  for (const auto& f : i.live_fields)
    if (live_change_of(f.field) == LiveChange::ColdRestart && f.after && f.before != f.after)
      return f;
  return std::nullopt;
}

bool changes_field(const std::vector<FieldChange>& fields, std::string_view name) {
  for (const auto& f : fields)
    if (f.field == name) return true;
  return false;
}

bool dep_matches(const Draft& a, const Draft& dep, DepScope scope) {
  if (a.step.host != dep.step.host) return false;
  switch (scope) {
    case DepScope::SameHost: return true;
    case DepScope::SameNic: return !a.nic.empty() && a.nic == dep.nic;
    case DepScope::SameGuest: return a.guest == dep.guest;
    case DepScope::SameInterface: return a.guest == dep.guest && !a.mac.empty() && a.mac == dep.mac;
  }
  return false;
}

class Planner {
 public:
  explicit Planner(const diff::ChangeSet& cs) : cs_(cs) {
    for (const auto& g : cs.guests) status_[{g.host, g.guest}] = &g;
  }

  std::vector<Draft> run() {
    // A running guest with a device whose model changes is cold-restarted (see
    // kModelChangeReason); its other live differences ride on that restart too.
    for (const auto& i : cs_.interfaces) {
      const diff::GuestStatus* st = status(i.host, i.guest);
      if (!st || !st->running || !st->hotplug) continue;
      if (auto m = model_change(i))
        model_cold_[{i.host, i.guest}].push_back(
            i.name + " (" + m->before.value_or("the hypervisor's default") + " -> " + *m->after +
            ")");
    }
    for (const auto& f : cs_.files) file(f);
    for (const auto& i : cs_.interfaces) iface(i);
    activations();
    verifications();
    return std::move(drafts_);
  }
  std::vector<std::string> warnings;

 private:
  const diff::GuestStatus* status(const std::string& h, const std::string& g) const {
    auto it = status_.find({h, g});
    return it == status_.end() ? nullptr : it->second;
  }

  void add(StepKind k, const std::string& guest, const std::string& mac, Step s,
           const std::string& nic = {}) {
    touched_.insert({s.host, guest});
    hosts_.insert(s.host);
    drafts_.push_back({k, guest, mac, nic, std::move(s)});
  }

  void file(const diff::FileDiff& f) {
    Step s;
    s.host = f.host;
    s.changes = f.fields;
    Operation& op = s.op;
    op.guest = f.guest;
    op.scope = f.role == diff::FileRole::HostNic ? FileScope::Host : FileScope::Guest;
    op.path = f.path;
    if (f.before) op.before_sha256 = sha256_hex(*f.before);
    StepKind kind;
    if (f.role == diff::FileRole::HostNic) {
      kind = StepKind::HostNicFile;
      s.target = "host/" + f.host + "/nic/" + f.subject;
      if (f.format == "keyfile")
        s.reason = f.subject + " is `config: unconfigured`: its NetworkManager profile leaves the " +
                   (f.nic_kind && *f.nic_kind != NicKind::Ethernet ? to_string(*f.nic_kind)
                                                                   : std::string("NIC")) +
                   " to the guests, up with no address (autoconnect, IPv4 and IPv6 "
                   "method=disabled; its type, MAC and kind keys are kept); takes effect when "
                   "NetworkManager reloads its profiles and activates it (nmcli connection "
                   "reload; nmcli connection up) or at the host's next reboot";
      else if (f.nic_kind && *f.nic_kind != NicKind::Ethernet)
        s.reason = f.subject + " is `config: unconfigured`: its ifcfg leaves the " +
                   to_string(*f.nic_kind) + " to the guests, up with no address (a " +
                   to_string(*f.nic_kind) + " that is not brought up carries no guest: ONBOOT=yes, "
                   "BOOTPROTO=none, IPv6 off; its " + to_string(*f.nic_kind) +
                   " keys are kept); takes effect at the host's next network restart or reboot";
      else
        s.reason = f.subject + " is `config: unconfigured`: its ifcfg leaves the NIC to the guests "
                   "(procedure: ONBOOT=no, BOOTPROTO=no, no address, IPv6 off); takes effect at "
                   "the host's next network restart or reboot";
    } else {
      s.target = "guest/" + f.guest + "/file/" + f.name;
      if (f.action == diff::FileAction::Remove && f.removed_for_rename) {
        kind = StepKind::GuestFileRemove;
        s.reason = "the device with MAC " + f.mac + " is now named " + f.renamed_to + ": " +
                   f.name + " moves to the new name (one device, one config file)";
      } else if (f.action == diff::FileAction::Remove) {
        kind = StepKind::GuestFileRemove;
        s.reason = "the interface with MAC " + f.mac + " is removed; macvtapctl created " +
                   f.name + " for it";
      } else if (f.for_new_interface) {
        kind = StepKind::GuestFileNew;
        s.reason = "interface " + f.subject + " is new: " + f.name +
                   " is written before the device appears so the guest configures it at once";
      } else {
        kind = StepKind::GuestFile;
        s.reason = f.action == diff::FileAction::Create
                       ? f.name + " is missing; interface " + f.subject + " declares its settings"
                       : f.name + " differs from the spec in " + join_fields(f.fields);
      }
    }
    switch (f.action) {
      case diff::FileAction::Create:
        s.action = Action::Create;
        op.kind = OpKind::WriteFile;
        op.content = f.after;
        op.mode = f.mode;
        break;
      case diff::FileAction::Update:
        s.action = Action::Update;
        op.kind = OpKind::WriteFile;
        op.content = f.after;
        if (f.enforce_mode) op.mode = f.mode;  // a keyfile: 0600, or NetworkManager ignores it
        break;
      case diff::FileAction::Remove:
        s.action = Action::Delete;
        op.kind = OpKind::RemoveFile;
        break;
    }
    if (!f.guest.empty()) {  // the connections its activation (and a rollback's) brings up
      auto& p = profiles_[{f.host, f.guest}];
      if (f.action != diff::FileAction::Remove && !f.profile_after.empty())
        p.first.insert(f.profile_after);
      if (f.action != diff::FileAction::Create && !f.profile_before.empty())
        p.second.insert(f.profile_before);
    }
    add(kind, f.guest, f.mac, std::move(s),
        f.role == diff::FileRole::HostNic ? f.subject : std::string());
  }

  void iface(const diff::InterfaceDiff& i) {
    const diff::GuestStatus* st = status(i.host, i.guest);
    const bool running = st && st->running;
    const std::string target = "guest/" + i.guest + "/interface/" + i.name;
    if (i.config_differs) {
      Step s;
      s.host = i.host;
      s.target = target;
      s.changes = i.config_fields;
      s.op.kind = OpKind::DefineInterface;
      s.op.guest = i.guest;
      s.op.mac = i.mac;
      if (!i.listed) {
        s.action = Action::Delete;
        s.op.old_interface_xml = i.config->xml;
        s.reason = "direct interface " + i.mac + " is not in the spec: a guest's direct "
                   "interfaces are exactly the listed ones";
      } else if (!i.config) {
        s.action = Action::Create;
        s.op.interface_xml = i.new_xml;
        s.reason = "interface " + i.name + " is in the spec but not in the persistent definition";
      } else {
        s.action = Action::Replace;
        s.op.interface_xml = i.new_xml;
        s.op.old_interface_xml = i.config->xml;
        s.reason = "interface " + i.name + " differs in " + join_fields(i.config_fields) +
                   ": the persistent definition is replaced";
        if (running && model_change(i))
          s.reason += "; the running guest gets it at its cold restart";
      }
      s.disruptive = false;
      add(StepKind::DomainConfig, i.guest, i.mac, std::move(s), i.source_dev);
    }
    if (!running || !i.live_differs) return;
    if (!st->hotplug || model_cold_.count({i.host, i.guest})) {
      // Not hot-plugged (the host cannot, or the guest is cold-restarted for a model change
      // anyway): the cold restart carries the live differences, for people.
      cold_[{i.host, i.guest}].push_back(
          {"live interface " + i.name, summarize(i.live_fields, true),
           i.listed ? summarize(i.live_fields, false) : std::nullopt});
      touched_.insert({i.host, i.guest});
      return;
    }
    if (i.live) {
      Step s;
      s.host = i.host;
      s.target = target;
      s.action = i.listed ? Action::Replace : Action::Delete;
      s.changes = i.live_fields;
      s.op.kind = OpKind::LiveDetach;
      s.op.guest = i.guest;
      s.op.mac = i.mac;
      s.op.old_interface_xml = i.live->xml;
      s.disruptive = true;
      s.reason = i.listed ? "the running guest's device differs in " + join_fields(i.live_fields) +
                                ": it is detached and attached anew"
                          : "the running guest still has the unlisted device: it is detached";
      if (i.listed && changes_field(i.live_fields, "trustGuestRxFilters"))
        s.reason += " (" + std::string(kTrustReplaceReason) + ")";
      add(StepKind::LiveDetach, i.guest, i.mac, std::move(s));
    }
    if (i.listed) {
      Step s;
      s.host = i.host;
      s.target = target;
      s.action = i.live ? Action::Replace : Action::Create;
      s.changes = i.live_fields;
      s.op.kind = OpKind::LiveAttach;
      s.op.guest = i.guest;
      s.op.mac = i.mac;
      s.op.interface_xml = i.new_xml;
      s.disruptive = false;
      s.reason = i.live ? "the new device is hot-plugged into the running guest"
                        : "the running guest lacks the device: it is hot-plugged";
      add(StepKind::LiveAttach, i.guest, i.mac, std::move(s), i.source_dev);
    }
  }

  void activations() {
    const auto keys = touched_;  // add() inserts into touched_
    for (const auto& key : keys) {
      const auto& [h, g] = key;
      if (g.empty()) continue;
      const diff::GuestStatus* st = status(h, g);
      if (!st || !st->running) continue;
      const bool cold = cold_.count(key) > 0;
      bool needs = cold;
      for (const auto& d : drafts_)
        if (d.step.host == h && d.guest == g &&
            (d.kind == StepKind::GuestFileNew || d.kind == StepKind::GuestFile ||
             d.kind == StepKind::GuestFileRemove || d.kind == StepKind::LiveAttach ||
             d.kind == StepKind::LiveDetach))
          needs = true;
      if (!needs) continue;
      ActivationMethod m = ActivationMethod::None;
      std::string reason;
      if (st->activate == Activate::None) {
        warnings.push_back("host " + h + ": guest " + g + " has `activate: none`: " +
                           (cold ? "its device changes need a cold restart (shut down, start)"
                                 : "its changes take effect when it next restarts its network"));
        continue;
      }
      if (cold && model_cold_.count(key)) {
        m = ActivationMethod::ColdRestart;
        std::string which;
        for (const auto& w : model_cold_.at(key)) which += (which.empty() ? "" : ", ") + w;
        reason = "the NIC model changes on " + which + ": " + std::string(kModelChangeReason);
      } else if (cold) {
        m = ActivationMethod::ColdRestart;
        reason = "persistent <interface> changes could not be hot-plugged (the hypervisor "
                 "cannot attach/detach live) and a guest reboot keeps QEMU's old device set: "
                 "the guest is shut down and started again";
      } else if (st->activate == Activate::Reboot) {
        m = ActivationMethod::Reboot;
        reason = "the spec says `activate: reboot`: the guest re-reads its network "
                 "configuration at boot";
      } else {
        m = ActivationMethod::RestartNetwork;
        reason = st->config_format == "keyfile"
                     ? "the spec says `activate: restart-network`: NetworkManager reloads its "
                       "profiles (nmcli connection reload) and brings each changed one up "
                       "(nmcli connection up)"
                     : "the spec says `activate: restart-network`: the guest's network service "
                       "re-reads its ifcfg files";
      }
      Step s;
      s.host = h;
      s.target = "guest/" + g + "/activation";
      s.action = Action::Activate;
      s.changes.push_back({"method", std::nullopt, to_string(m)});
      if (cold)
        s.changes.insert(s.changes.end(), cold_.at(key).begin(), cold_.at(key).end());
      s.op.kind = OpKind::Activate;
      s.op.guest = g;
      s.op.method = m;
      s.op.config_format = st->config_format;
      if (m == ActivationMethod::RestartNetwork)
        if (auto p = profiles_.find(key); p != profiles_.end()) {
          s.op.profiles.assign(p->second.first.begin(), p->second.first.end());
          s.op.restore_profiles.assign(p->second.second.begin(), p->second.second.end());
        }
      s.disruptive = true;
      s.reason = reason;
      add(StepKind::Activation, g, "", std::move(s));
    }
  }

  void verifications() {
    for (const auto& h : std::set<std::string>(hosts_)) {
      Step s;
      s.host = h;
      s.target = "host/" + h + "/verify";
      s.action = Action::Verify;
      s.op.kind = OpKind::Verify;
      s.reason = "re-observe and re-plan (must be empty); in each running guest reached "
                 "through its agent: guest MACs must match the host's macvtap devices, "
                 "routing tables must match the spec, and each gateway must answer a ping "
                 "sent from inside the guest";
      add(StepKind::Verify, "", "", std::move(s));
    }
  }

  const diff::ChangeSet& cs_;
  std::map<std::pair<std::string, std::string>, const diff::GuestStatus*> status_;
  std::set<std::pair<std::string, std::string>> touched_;
  // (host, guest) -> the connections its files hold after the plan, and before it.
  std::map<std::pair<std::string, std::string>, std::pair<std::set<std::string>, std::set<std::string>>>
      profiles_;
  std::map<std::pair<std::string, std::string>, std::vector<FieldChange>> cold_;
  // Guests cold-restarted for a model change: "ens9 (virtio -> e1000)" per interface.
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> model_cold_;
  std::set<std::string> hosts_;
  std::vector<Draft> drafts_;
};

}  // namespace

const OrderRow& order_row(StepKind k) {
  for (const auto& r : kOrder)
    if (r.kind == k) return r;
  return kOrder.back();
}

Plan make_plan(const diff::ChangeSet& changes, const std::string& spec_digest) {
  Planner p(changes);
  std::vector<Draft> drafts = p.run();
  // Within a rank, a guest's interfaces (and their files) follow the spec's list: device
  // order decides PCI slots and so the guest's ensN names. Other steps sort after them.
  std::map<std::tuple<std::string, std::string, std::string>, int> device_order;
  for (const auto& i : changes.interfaces) device_order[{i.host, i.guest, i.mac}] = i.order;
  auto order_of = [&](const Draft& d) {
    auto it = device_order.find({d.step.host, d.guest, d.mac});
    return it == device_order.end() ? 2000000 : it->second;
  };
  std::stable_sort(drafts.begin(), drafts.end(), [&](const Draft& a, const Draft& b) {
    const int ra = order_row(a.kind).rank, rb = order_row(b.kind).rank;
    const int oa = order_of(a), ob = order_of(b);
    return std::tie(a.step.host, ra, a.guest, oa, a.step.target) <
           std::tie(b.step.host, rb, b.guest, ob, b.step.target);
  });
  Plan plan;
  plan.spec_digest = spec_digest;
  plan.fingerprint = changes.fingerprint;
  plan.hosts = changes.hosts;
  const std::size_t width = std::max<std::size_t>(2, std::to_string(drafts.size()).size());
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    std::string n = std::to_string(i + 1);
    if (n.size() < width) n.insert(0, width - n.size(), '0');
    drafts[i].step.id = "s" + n;
  }
  for (std::size_t i = 0; i < drafts.size(); ++i) {
    const OrderRow& row = order_row(drafts[i].kind);
    for (std::size_t j = 0; j < i; ++j) {
      for (int d = 0; d < row.ndeps; ++d) {
        if (drafts[j].kind == row.deps[d].kind &&
            dep_matches(drafts[i], drafts[j], row.deps[d].scope)) {
          drafts[i].step.depends_on.push_back(drafts[j].step.id);
          break;
        }
      }
    }
  }
  for (auto& d : drafts) plan.steps.push_back(std::move(d.step));
  plan.warnings = changes.warnings;
  plan.warnings.insert(plan.warnings.end(), p.warnings.begin(), p.warnings.end());
  std::sort(plan.warnings.begin(), plan.warnings.end());
  plan.warnings.erase(std::unique(plan.warnings.begin(), plan.warnings.end()),
                      plan.warnings.end());
  return plan;
}

}  // namespace mvt::plan
