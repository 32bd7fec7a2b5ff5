#include "observe/to_topology.hpp"

#include <map>
#include <set>

#include "ifcfg/ifcfg_file.hpp"
#include "ifcfg/route_file.hpp"

namespace mvt {
namespace {

struct ParsedScript {
  const FileState* file = nullptr;
  ifcfg::File ifcfg;
};

SourcePos at(const std::string& file, int line = 0) { return SourcePos{file, line, 0}; }

// Reports the file's problems: unsafe values are errors, the rest warnings.
void report(const std::vector<ifcfg::Problem>& problems, const FileState& f, const char* kind,
            Diagnostics& diags) {
  for (const auto& p : problems) {
    const bool unsafe = p.expansion;
    SourcePos pos{f.origin, p.line, p.column};
    std::string msg = (p.key.empty() ? "" : p.key + ": ") + p.message;
    if (unsafe)
      diags.error(pos, std::string(kind) + ".unsafe", msg + " (refusing to evaluate it)");
    else
      diags.warning(pos, std::string(kind) + ".problem", msg);
  }
}

// Every ifcfg file of a root, parsed once; problems reported.
std::map<std::string, ParsedScript> parse_ifcfgs(const NetworkScripts& files, Diagnostics& diags) {
  std::map<std::string, ParsedScript> out;
  for (const auto& [name, f] : files) {
    if (name.rfind("ifcfg-", 0) != 0 || !f.bytes) continue;
    ParsedScript p;
    p.file = &f;
    p.ifcfg = ifcfg::File::parse(*f.bytes);
    // Unsafe values are errors at their line; other problems warnings.
    const auto unsafe = p.ifcfg.unsafe_keys();
    const std::set<std::string> unsafe_set(unsafe.begin(), unsafe.end());
    const auto problems = p.ifcfg.problems();
    std::map<std::string, const ifcfg::Problem*> first;  // each key's first problem: linear
    for (const auto& pr : problems) first.emplace(pr.key, &pr);
    for (const auto& k : unsafe) {
      std::string detail;
      SourcePos pos = at(f.origin, p.ifcfg.line_of(k));
      if (auto it = first.find(k); it != first.end()) {
        detail = it->second->message;
        if (it->second->line > 0) pos = SourcePos{f.origin, it->second->line, it->second->column};
      }
      diags.error(pos, "ifcfg.unsafe",
                  k + " contains a shell expansion" + (detail.empty() ? "" : " (" + detail + ")") +
                      "; refusing to evaluate it");
    }
    std::vector<ifcfg::Problem> rest;
    for (const auto& pr : problems)
      if (!unsafe_set.count(pr.key)) rest.push_back(pr);
    report(rest, f, "ifcfg", diags);
    out.emplace(name.substr(6), std::move(p));
  }
  return out;
}

// The device name an ifcfg file configures: DEVICE=, else the file name's suffix.
std::string device_of(const std::string& suffix, const ParsedScript& p) {
  auto d = p.ifcfg.get("DEVICE");
  return d && !d->empty() ? *d : suffix;
}

std::optional<MacAddress> hwaddr_of(const ParsedScript& p) {
  auto h = p.ifcfg.get("HWADDR");
  return h ? MacAddress::parse(*h) : std::nullopt;
}

// "0000:00:09.0" -> 9; -1 when unknown.
int pci_slot(const std::string& pci) {
  if (pci.size() < 10) return -1;
  try {
    return std::stoi(pci.substr(8, 2), nullptr, 16);
  } catch (...) {
    return -1;
  }
}

const ParsedScript* by_device(const std::map<std::string, ParsedScript>& ifcfgs,
                              const std::string& dev) {
  for (const auto& [suffix, p] : ifcfgs)
    if (device_of(suffix, p) == dev) return &p;
  return nullptr;
}

void apply_ifcfg(GuestInterface& gi, const ParsedScript& p, const NetworkScripts& files,
                 Diagnostics& diags) {
  const ifcfg::File& f = p.ifcfg;
  const std::string& origin = p.file->origin;
  auto line = [&](const char* k) { return at(origin, f.line_of(k)); };
  const auto proto = f.bootproto();
  if (proto && *proto == "dhcp") {
    gi.ipv4 = Ipv4Config{true, std::nullopt, std::nullopt};
    gi.pos["ipv4"] = line("BOOTPROTO");
  } else if (auto addr = f.ipv4_address()) {
    Ipv4Config c;
    c.address = addr;
    c.gateway = f.gateway();
    gi.ipv4 = c;
    gi.pos["ipv4"] = line(f.has("IPADDR") ? "IPADDR" : "IPADDR0");
    gi.pos["ipv4.address"] = gi.pos["ipv4"];
    if (c.gateway) gi.pos["ipv4.gateway"] = line(f.has("GATEWAY") ? "GATEWAY" : "GATEWAY0");
  }
  if (auto v = f.get_bool("DEFROUTE")) {
    gi.defroute = v;
    gi.pos["defroute"] = line("DEFROUTE");
  }
  if (auto v = f.get_bool("PEERDNS")) {
    gi.peerdns = v;
    gi.pos["peerdns"] = line("PEERDNS");
  }
  if (auto dns = f.dns(); !dns.empty()) {
    gi.dns = dns;
    gi.pos["dns"] = line("DNS1");
  }
  if (auto it = files.find("route-" + gi.name); it != files.end() && it->second.bytes) {
    auto rf = ifcfg::RouteFile::parse(*it->second.bytes);
    report(rf.problems(), it->second, "route", diags);
    gi.routes = rf.routes();
    gi.pos["routes"] = at(it->second.origin, 1);
  }
}

Guest make_guest(const DomainState& d, const GuestObservation* go, Diagnostics& diags) {
  Guest g;
  g.name = d.name;
  g.pos[""] = at("domain XML of " + d.name);
  if (go) g.guest_files = go->source;
  std::map<std::string, ParsedScript> ifcfgs;
  if (go && go->files_read) ifcfgs = parse_ifcfgs(go->files, diags);

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

    // Which ifcfg file configures it: HWADDR first, then DEVICE name.
    const ParsedScript* match = nullptr;
    std::string name;
    if (i.mac) {
      for (const auto& [suffix, p] : ifcfgs) {
        auto hw = hwaddr_of(p);
        if (hw && *hw == *i.mac && !taken.count(device_of(suffix, p))) {
          match = &p;
          name = device_of(suffix, p);
          break;
        }
      }
    }
    const int slot = pci_slot(i.pci_address);
    const std::string eth = "eth" + std::to_string(i.index);
    const std::string ens = slot >= 0 ? "ens" + std::to_string(slot) : "";
    auto free_file = [&](const std::string& dev) -> const ParsedScript* {
      if (dev.empty() || taken.count(dev)) return nullptr;
      const ParsedScript* p = by_device(ifcfgs, dev);
      if (!p) return nullptr;
      auto hw = hwaddr_of(*p);
      return (!hw || (i.mac && *hw == *i.mac)) ? p : nullptr;  // pinned elsewhere: not ours
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
    gi.pos["name"] = match ? at(match->file->origin, match->ifcfg.line_of("DEVICE")) : at(origin);
    if (match && go) apply_ifcfg(gi, *match, go->files, diags);
    g.interfaces.push_back(std::move(gi));
  }
  return g;
}

}  // namespace

bool ifcfg_says_unconfigured(const std::string& text) {
  auto f = ifcfg::File::parse(text);
  auto onboot = f.get_bool("ONBOOT");
  auto proto = f.bootproto();
  return onboot && !*onboot && !(proto && *proto == "dhcp") && !f.ipv4_address();
}

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

    std::map<std::string, ParsedScript> host_ifcfgs;
    if (ho.files_read) host_ifcfgs = parse_ifcfgs(ho.files, diags);

    std::set<std::string> nic_names, passthrough;
    for (const auto& [_, d] : ho.domains)
      for (const auto& i : d.config)
        if (i.type == "direct" && !i.source_dev.empty()) {
          nic_names.insert(i.source_dev);
          if (i.source_mode == "passthrough") passthrough.insert(i.source_dev);
        }
    for (const auto& [suffix, p] : host_ifcfgs) {
      const std::string dev = device_of(suffix, p);
      auto type = p.ifcfg.get("TYPE");
      if (dev == "lo" || (type && *type != "Ethernet")) continue;
      nic_names.insert(dev);
    }
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
      if (const ParsedScript* p = by_device(host_ifcfgs, n)) {
        nic.pos["config"] = at(p->file->origin, p->ifcfg.line_of("ONBOOT"));
        if (p->file->bytes && ifcfg_says_unconfigured(*p->file->bytes))
          nic.config = NicConfig::Unconfigured;
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
