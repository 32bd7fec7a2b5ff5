#include "observe/to_topology.hpp"

#include <map>
#include <set>

#include "netconf/format.hpp"

namespace mvt {
namespace {

SourcePos at(const std::string& file, int line = 0) { return SourcePos{file, line, 0}; }

// "0000:00:09.0" -> 9; -1 when unknown.
int pci_slot(const std::string& pci) {
  if (pci.size() < 10) return -1;
  try {
    return std::stoi(pci.substr(8, 2), nullptr, 16);
  } catch (...) {
    return -1;
  }
}

// The format's device configs, with the format's own positions moved onto the interface.
void apply_config(GuestInterface& gi, const netconf::DeviceConfig& d) {
  gi.ip = d.config;
  for (const auto& [field, pos] : d.pos)
    if (!field.empty() && field != "name" && field != "mac" && field != "config") gi.pos[field] = pos;
}

Guest make_guest(const DomainState& d, const GuestObservation* go, Diagnostics& diags) {
  Guest g;
  g.name = d.name;
  g.pos[""] = at("domain XML of " + d.name);
  if (go) g.guest_files = go->source;
  // Every format's profiles (issue 15, point 2); a device two formats describe is read from
  // the one NetworkManager uses (the keyfile).
  std::vector<netconf::DeviceConfig> devs;
  std::set<std::string> keyfile_devices;
  if (go && go->files_read) {
    const auto all = netconf::read_all(go->files, "guest " + d.name, diags);
    for (const auto& [fmt, dc] : netconf::merged(all)) {
      if (fmt->name() == "keyfile") keyfile_devices.insert(dc->files.front());
      devs.push_back(*dc);
    }
  }

  std::set<std::string> taken;
  for (const auto& i : d.config) {
    if (i.type != "direct" && i.type != "network") continue;
    GuestInterface gi;
    const std::string origin = "domain XML of " + d.name;
    gi.pos[""] = at(origin);
    gi.mac = i.mac;
    if (i.mac) gi.pos["mac"] = at(origin);
    if (!i.model.empty()) {
      gi.model = i.model;
      gi.pos["model"] = at(origin);
    }
    if (i.type == "direct") {
      gi.kind = InterfaceKind::Direct;
      gi.source_dev = i.source_dev;
      gi.mode = parse_macvtap_mode(i.source_mode).value_or(MacvtapMode::Vepa);
      gi.pos["direct"] = at(origin);
      // libvirt options, when the definition has them (absent: libvirt's default, not shown).
      if (i.trust_guest_rx_filters) {
        gi.trust_guest_rx_filters = true;
        gi.pos["direct.trust_guest_rx_filters"] = at(origin);
      }
      if (i.mtu) {
        gi.mtu = i.mtu;
        gi.pos["direct.mtu"] = at(origin);
      }
    } else {
      gi.kind = InterfaceKind::Network;
      gi.network = i.source_network;
      gi.pos["network"] = at(origin);
    }

    // Which device config is it: the MAC pin first, then the device name.
    const netconf::DeviceConfig* match = nullptr;
    std::string name;
    if (i.mac) {
      for (const auto& dc : devs) {
        if (dc.mac && *dc.mac == *i.mac && !taken.count(dc.device)) {
          match = &dc;
          name = dc.device;
          break;
        }
      }
    }
    const int slot = pci_slot(i.pci_address);
    const std::string eth = "eth" + std::to_string(i.index);
    const std::string ens = slot >= 0 ? "ens" + std::to_string(slot) : "";
    auto free_file = [&](const std::string& dev) -> const netconf::DeviceConfig* {
      if (dev.empty() || taken.count(dev)) return nullptr;
      const netconf::DeviceConfig* p = netconf::by_device(devs, dev);
      if (!p) return nullptr;
      return (!p->mac || (i.mac && *p->mac == *i.mac)) ? p : nullptr;  // pinned elsewhere: not ours
    };
    if (!match) {
      if (auto* p = free_file(eth)) {
        match = p;
        name = eth;
      } else if (auto* q = free_file(ens)) {
        match = q;
        name = ens;
      }
    }
    if (name.empty()) name = eth;
    if (taken.count(name)) name = "net" + std::to_string(i.index);
    taken.insert(name);
    gi.name = name;
    gi.pos["name"] = match ? pos_of(match->pos, "name") : at(origin);
    if (match) apply_config(gi, *match);
    // Read from a keyfile: the guest is shown as a keyfile guest (its new devices then get
    // keyfiles too).
    if (match && keyfile_devices.count(match->files.front())) g.config_format = "keyfile";
    g.interfaces.push_back(std::move(gi));
  }
  return g;
}

}  // namespace

Topology to_topology(const Observation& obs, Diagnostics& all_diags,
                     std::map<std::string, std::string>* failed) {
  Topology t;
  for (const auto& [hname, ho] : obs.hosts) {
    if (!ho.reachable) {
      if (failed)
        (*failed)[hname] = ho.error.empty() ? "could not be observed" : ho.error;
      else
        all_diags.error(at(ho.uri), "host.unreachable", ho.error);
      continue;
    }
    // Each host's problems are collected on their own: with `failed`, a host with errors
    // (an unsafe ifcfg value) is left out and named there, the others are kept.
    Diagnostics diags;
    Host h;
    h.name = hname;
    h.uri = ho.uri;
    h.files = ho.files_source;
    h.pos[""] = at("libvirt " + ho.uri);

    std::vector<netconf::DeviceConfig> host_devs;
    if (ho.files_read) {
      const auto all = netconf::read_all(ho.files, "host " + hname, diags);  // outlives merged()
      for (const auto& [_, dc] : netconf::merged(all)) host_devs.push_back(*dc);
    }

    std::set<std::string> nic_names, passthrough;
    for (const auto& [_, d] : ho.domains)
      for (const auto& i : d.config)
        if (i.type == "direct" && !i.source_dev.empty()) {
          nic_names.insert(i.source_dev);
          if (i.source_mode == "passthrough") passthrough.insert(i.source_dev);
        }
    for (const auto& dc : host_devs)
      if (dc.kind && !dc.device.empty())  // a plain NIC, a VLAN, a bond or a team
        nic_names.insert(dc.device);
    for (const auto& n : nic_names) {
      HostNic nic;
      nic.name = n;
      nic.pos[""] = at("libvirt " + ho.uri);
      if (auto it = ho.nics.find(n); it != ho.nics.end()) {
        nic.mac = it->second.mac;
        nic.pos["mac"] = at(it->second.source == NicInfoSource::Files
                                ? "sys/class/net/" + n + "/address"
                                : "libvirt interface " + n);
      }
      nic.config = NicConfig::Host;
      if (const netconf::DeviceConfig* p = netconf::by_device(host_devs, n)) {
        nic.pos["config"] = pos_of(p->pos, "config");
        if (p->unconfigured) nic.config = NicConfig::Unconfigured;
        if (p->kind && *p->kind != NicKind::Ethernet) {  // issue 15, point 5: its kind, shown
          nic.kind = p->kind;
          if (*p->kind == NicKind::Vlan) {
            nic.parent = p->parent;
            nic.vlan_id = p->vlan_id;
          }
        }
      } else if (passthrough.count(n)) {
        nic.config = NicConfig::Unconfigured;  // the host cannot be using a passed-through NIC
      }
      h.nics.emplace(n, std::move(nic));
    }

    for (const auto& [dname, d] : ho.domains) {
      const GuestObservation* go = nullptr;
      if (auto it = ho.guests.find(dname); it != ho.guests.end()) go = &it->second;
      h.guests.emplace(dname, make_guest(d, go, diags));
    }
    const bool bad = diags.has_errors();
    if (failed && bad) {
      std::string why;
      for (const auto& d : diags.items())
        if (d.severity == Severity::Error) {
          why = format_diagnostic(d);
          break;
        }
      if (diags.error_count() > 1) why += " (and " + std::to_string(diags.error_count() - 1) + " more)";
      (*failed)[hname] = why;
    }
    all_diags.append(diags);
    if (failed && bad) continue;
    t.hosts.emplace(hname, std::move(h));
  }
  return t;
}

}  // namespace mvt
