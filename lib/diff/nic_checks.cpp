#include "diff/nic_checks.hpp"

#include <map>
#include <set>

namespace mvt::diff {
namespace {

std::string how_read(const HostObservation& ho) {
  return ho.nics_source == NicInfoSource::Libvirt ? "libvirt's interface API"
                                                  : "sys/class/net";
}

// "em1, em2, em3" (at most `max`, then ", ...").
std::string list(const std::vector<std::string>& names, std::size_t max = 10) {
  std::string out;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (k == max) return out + ", ...";
    out += (k ? ", " : "") + names[k];
  }
  return out;
}

struct Use {
  const Guest* guest;
  const GuestInterface* iface;
};

}  // namespace

void check_live_nics(const Host& spec, const HostObservation& ho, Diagnostics& diags,
                     std::vector<std::string>& warnings) {
  if (spec.nics.empty()) return;
  const std::string host = "host " + spec.name + ": ";
  if (ho.nics_source == NicInfoSource::None || !ho.nics_complete) {
    warnings.push_back(host +
                       "live NIC checks skipped (direct.dev, the NICs' MACs and the guests' "
                       "MACs are not compared with the host's NICs): " +
                       (ho.nics_error.empty() ? std::string("the host's NICs were not read")
                                              : ho.nics_error));
    return;
  }

  // What running guests put on the host: their devices (macvtapN, vnetN: named by each live
  // <target dev>) and the NICs they hold in passthrough mode (which carry the guest's MAC).
  std::set<std::string> guest_devices;
  std::map<std::string, std::string> passed_through;  // NIC -> domain
  for (const auto& [dname, d] : ho.domains) {
    if (!d.running || !d.live) continue;
    for (const auto& i : *d.live) {
      if (!i.target_dev.empty()) guest_devices.insert(i.target_dev);
      if (i.type == "direct" && i.source_mode == "passthrough" && !i.source_dev.empty())
        passed_through.emplace(i.source_dev, dname);
    }
  }
  std::vector<std::string> known;  // the host's NICs, for messages
  std::map<MacAddress, std::string> nic_of_mac;
  for (const auto& [name, nic] : ho.nics) {
    if (guest_devices.count(name)) continue;
    known.push_back(name);
    if (nic.mac && !nic.mac->is_zero() && !passed_through.count(name))
      nic_of_mac.emplace(*nic.mac, name);
  }
  const std::string its_nics =
      "its NICs, read through " + how_read(ho) + ": " + (known.empty() ? "none" : list(known));

  // Guest interfaces by the NIC they use.
  std::map<std::string, std::vector<Use>> uses;
  for (const auto& [_, g] : spec.guests)
    for (const auto& i : g.interfaces)
      if (i.kind == InterfaceKind::Direct && !i.source_dev.empty())
        uses[i.source_dev].push_back({&g, &i});

  // Missing NICs: each guest interface on one, and each declared NIC nothing uses.
  auto exists = [&](const std::string& n) { return ho.nics.count(n) && !guest_devices.count(n); };
  // A declared VLAN that does not exist yet exists once it is brought up, if its parent does.
  auto vlan_hint = [&](const std::string& dev) -> std::string {
    auto it = spec.nics.find(dev);
    if (it == spec.nics.end() || it->second.kind != NicKind::Vlan || it->second.parent.empty())
      return "";
    const HostNic& n = it->second;
    return "; it is a VLAN on " + n.parent + (exists(n.parent) ? "" : ", which the host lacks too") +
           ": the VLAN exists once its config brings it up (ONBOOT=yes, then ifup or a reboot)";
  };
  for (const auto& [dev, list_] : uses) {
    if (exists(dev)) continue;
    for (const auto& u : list_)
      diags.error(pos_of(u.iface->pos, "direct.dev"), std::string(kLiveNicRulePrefix) + "missing",
                  host + "guest " + u.guest->name + ": interface " + u.iface->name +
                      ": direct.dev " + dev + " is not a NIC of the host (" + its_nics + ")" +
                      vlan_hint(dev));
  }
  for (const auto& [name, nic] : spec.nics) {
    if (uses.count(name) || exists(name)) continue;
    diags.error(pos_of(nic.pos, ""), std::string(kLiveNicRulePrefix) + "missing",
                host + "NIC " + name + " (declared under nics) is not a NIC of the host (" +
                    its_nics + ")" + vlan_hint(name));
  }

  // Issue 15, point 5: a VLAN's parent, and the spec's kinds against the kernel's.
  for (const auto& [name, nic] : spec.nics) {
    if (nic.kind == NicKind::Vlan && !nic.parent.empty() && !exists(nic.parent))
      diags.error(pos_of(nic.pos, "parent"), std::string(kLiveNicRulePrefix) + "parent-missing",
                  host + "NIC " + name + ": its parent " + nic.parent +
                      " is not a NIC of the host (" + its_nics + "); the VLAN cannot exist "
                      "without it");
    if (!nic.kind || !exists(name)) continue;
    const HostNicState& live = ho.nics.at(name);
    const bool live_special = live.kind == "vlan" || live.kind == "bond" || live.kind == "team";
    const std::string want = *nic.kind == NicKind::Ethernet ? "" : to_string(*nic.kind);
    if ((want.empty() && live_special) || (!want.empty() && !live.kind.empty() && live.kind != want))
      diags.error(pos_of(nic.pos, "kind"), std::string(kLiveNicRulePrefix) + "kind-differs",
                  host + "NIC " + name + ": the spec says kind: " + to_string(*nic.kind) +
                      ", the host reports a " + live.kind + " device (read through " + how_read(ho) + ")");
    else if (*nic.kind == NicKind::Vlan && !nic.parent.empty() && !live.parent.empty() &&
             live.parent != nic.parent)
      diags.error(pos_of(nic.pos, "parent"), std::string(kLiveNicRulePrefix) + "parent-differs",
                  host + "NIC " + name + ": the spec says parent: " + nic.parent +
                      ", the live VLAN's parent is " + live.parent + " (read through " + how_read(ho) + ")");
  }

  // The spec's NIC MACs against the live ones.
  for (const auto& [name, nic] : spec.nics) {
    if (!nic.mac || !exists(name)) continue;
    const HostNicState& live = ho.nics.at(name);
    if (auto pt = passed_through.find(name); pt != passed_through.end()) {
      warnings.push_back(host + "NIC " + name + " is passed through to the running guest " +
                         pt->second + ", which gives it the guest's MAC while it runs: its "
                         "MAC " + nic.mac->str() + " in the spec is not compared");
      continue;
    }
    if (!live.mac) {
      warnings.push_back(host + "NIC " + name + ": its live MAC could not be read (" +
                         how_read(ho) + "), so the spec's MAC " + nic.mac->str() +
                         " is not compared");
      continue;
    }
    if (*live.mac != *nic.mac)
      diags.error(pos_of(nic.pos, "mac"), std::string(kLiveNicRulePrefix) + "mac-differs",
                  host + "NIC " + name + ": the spec gives MAC " + nic.mac->str() +
                      ", the NIC's live MAC is " + live.mac->str() + " (read through " +
                      how_read(ho) + "); its ifcfg would get a wrong HWADDR");
  }

  // Guest MACs against the host's NICs' (any NIC of the host).
  for (const auto& [gname, g] : spec.guests)
    for (const auto& i : g.interfaces) {
      const MacAddress m = effective_mac(spec.name, gname, i);
      auto hit = nic_of_mac.find(m);
      if (hit == nic_of_mac.end()) continue;
      diags.error(i.mac ? pos_of(i.pos, "mac") : pos_of(i.pos, ""),
                  std::string(kLiveNicRulePrefix) + "guest-mac",
                  host + "guest " + gname + ": interface " + i.name + ": MAC " + m.str() +
                      (i.mac ? "" : " (derived)") + " is the live MAC of the host's NIC " +
                      hit->second + "; a macvtap interface needs a MAC of its own, different "
                      "from the host NIC's");
    }

  // NICs guests use that are down: a warning (the state can change before the guests start).
  for (const auto& [dev, list_] : uses) {
    if (!exists(dev) || ho.nics.at(dev).state != "down") continue;
    std::vector<std::string> who;
    for (const auto& u : list_) who.push_back(u.guest->name + "/" + u.iface->name);
    const HostNicState& live = ho.nics.at(dev);
    const std::string what =
        live.kind.empty() ? "" : " (" + live.kind + (live.parent.empty() ? "" : " on " + live.parent) + ")";
    warnings.push_back(host + "NIC " + dev + what + " is down (" + how_read(ho) + "): " + list(who) +
                       " will have no link on it while it stays down");
  }
}

}  // namespace mvt::diff
