#include "diff/diff.hpp"

#include <algorithm>
#include <exception>
#include <set>
#include <thread>
#include <tuple>

#include "diff/interface_xml.hpp"
#include "diff/nic_checks.hpp"
#include "netconf/format.hpp"
#include "util/hash.hpp"
#include "util/thread_pool.hpp"
#include "xml/xml_handles.hpp"

namespace mvt::diff {
namespace {

std::string mode_of(const DomainInterface& d) {
  return d.source_mode.empty() ? std::string("vepa") : d.source_mode;  // libvirt's default
}

std::optional<std::string> opt(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// The observed element's facts as fields (for additions and removals).
std::vector<FieldChange> element_fields(const DomainInterface& d, bool removal) {
  std::vector<std::pair<std::string, std::string>> kv;
  kv.emplace_back("type", d.type);
  if (d.mac) kv.emplace_back("mac", d.mac->str());
  if (d.type == "direct") {
    kv.emplace_back("source.dev", d.source_dev);
    kv.emplace_back("source.mode", mode_of(d));
  } else if (d.type == "network") {
    kv.emplace_back("source.network", d.source_network);
  } else if (d.type == "bridge") {
    kv.emplace_back("source.bridge", d.source_bridge);
  }
  if (!d.model.empty()) kv.emplace_back("model", d.model);
  if (d.trust_guest_rx_filters) kv.emplace_back("trustGuestRxFilters", "yes");
  if (d.mtu) kv.emplace_back("mtu", std::to_string(*d.mtu));
  std::vector<FieldChange> out;
  for (auto& [k, v] : kv) {
    if (removal)
      out.push_back({k, opt(v), std::nullopt});
    else
      out.push_back({k, std::nullopt, opt(v)});
  }
  return out;
}

std::vector<FieldChange> wanted_fields(const GuestInterface& w, const MacAddress& mac) {
  std::vector<FieldChange> out;
  out.push_back({"type", std::nullopt, to_string(w.kind)});
  out.push_back({"mac", std::nullopt, mac.str()});
  if (w.kind == InterfaceKind::Direct) {
    out.push_back({"source.dev", std::nullopt, w.source_dev});
    out.push_back({"source.mode", std::nullopt, to_string(w.mode)});
  } else {
    out.push_back({"source.network", std::nullopt, w.network});
  }
  if (w.model) out.push_back({"model", std::nullopt, *w.model});
  if (w.kind == InterfaceKind::Direct) {
    if (w.trust_guest_rx_filters == true)
      out.push_back({"trustGuestRxFilters", std::nullopt, "yes"});
    if (w.mtu) out.push_back({"mtu", std::nullopt, std::to_string(*w.mtu)});
  }
  return out;
}

const DomainInterface* find_by_mac(const std::vector<DomainInterface>& list,
                                   const MacAddress& mac) {
  for (const auto& d : list)
    if (d.mac && *d.mac == mac) return &d;
  return nullptr;
}

const FileState* find_file(const NetworkScripts& files, const std::string& name) {
  auto it = files.find(name);
  return it == files.end() ? nullptr : &it->second;
}

// A domain XML's fingerprint: the SHA-256 observation computed beside the parse, or (for a
// DomainState built without observation) the hash of the text.
std::string xml_digest(const std::string& observed_sha256, const std::string& xml) {
  return observed_sha256.empty() ? sha256_hex(xml) : observed_sha256;
}

std::string fact_digest(const FileState* f) {
  if (!f || !f->bytes) return "absent";
  return sha256_hex(*f->bytes);
}

struct Resolved {
  const GuestInterface* want;
  MacAddress mac;
};

// Spec interfaces -> MACs. Explicit MACs and direct interfaces first (derive_mac when the spec
// has none); then `network` interfaces without a MAC take the domain's unclaimed network
// interfaces in device order, same network first.
std::vector<Resolved> resolve_macs(const std::string& host, const std::string& guest,
                                   const Guest& spec, const DomainState& ds) {
  std::vector<Resolved> out(spec.interfaces.size());
  std::vector<bool> done(spec.interfaces.size(), false);
  std::set<MacAddress> claimed;
  for (std::size_t i = 0; i < spec.interfaces.size(); ++i) {
    const auto& w = spec.interfaces[i];
    if (w.mac || w.kind == InterfaceKind::Direct) {
      out[i] = {&w, effective_mac(host, guest, w)};
      done[i] = true;
      claimed.insert(out[i].mac);
    }
  }
  std::vector<const DomainInterface*> candidates;
  for (const auto& d : ds.config)
    if (d.type == "network" && d.mac && !claimed.count(*d.mac)) candidates.push_back(&d);
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](auto* a, auto* b) { return a->index < b->index; });
  for (std::size_t i = 0; i < spec.interfaces.size(); ++i) {
    if (done[i]) continue;
    const auto& w = spec.interfaces[i];
    auto pick = std::find_if(candidates.begin(), candidates.end(),
                             [&](auto* d) { return d->source_network == w.network; });
    if (pick == candidates.end()) pick = candidates.begin();
    if (pick != candidates.end()) {
      out[i] = {&w, *(*pick)->mac};
      candidates.erase(pick);
    } else {
      out[i] = {&w, effective_mac(host, guest, w)};
    }
  }
  return out;
}

class Differ {
 public:
  Differ(const DiffOptions& o, ChangeSet& cs) : opts_(o), cs_(cs) {}

  void host(const Host& spec, const HostObservation& ho) {
    const bool hotplug = opts_.hotplug.count(spec.name)
                             ? opts_.hotplug.at(spec.name)
                             : uri_supports_hotplug(ho.uri.empty() ? spec.uri : ho.uri);
    check_live_nics(spec, ho, cs_.diagnostics, cs_.warnings);
    host_files(spec, ho);
    // Guests are independent: each is compared into its own part (in parallel for a large
    // host), and the parts are appended in the spec's order, so the result is exactly that
    // of one pass.
    std::vector<const Guest*> guests;
    guests.reserve(spec.guests.size());
    for (const auto& [gname, g] : spec.guests) guests.push_back(&g);
    std::vector<ChangeSet> parts(guests.size());
    if (threads(guests.size()) > 1) xml::init_parser();
    std::vector<std::exception_ptr> failed(guests.size());
    auto one = [&](std::size_t k) {
      try {
        const Guest& g = *guests[k];
        Differ sub(opts_, parts[k]);
        auto d = ho.domains.find(g.name);
        if (d == ho.domains.end()) {
          parts[k].diagnostics.error(pos_of(g.pos, ""), "guest.undefined",
                                     "host " + spec.name + ": guest " + g.name +
                                         " is not defined (not among the host's libvirt domains)");
          return;
        }
        sub.guest(spec, g, d->second, ho, hotplug);
      } catch (...) {
        failed[k] = std::current_exception();
      }
    };
    parallel_for(guests.size(), static_cast<int>(threads(guests.size())), one);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (failed[k]) std::rethrow_exception(failed[k]);
      merge(std::move(parts[k]));
    }
  }

 private:
  // Below this many guests a host is compared on the calling thread only.
  static constexpr std::size_t kParallelFrom = 64;

  std::size_t threads(std::size_t guests) const {
    if (guests < kParallelFrom) return 1;
    std::size_t n = opts_.parallel > 0 ? static_cast<std::size_t>(opts_.parallel)
                                       : std::min(8u, std::thread::hardware_concurrency());
    return std::max<std::size_t>(1, std::min(n, guests / (kParallelFrom / 2)));
  }

  void merge(ChangeSet&& p) {
    auto move_all = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    move_all(cs_.interfaces, p.interfaces);
    move_all(cs_.files, p.files);
    move_all(cs_.guests, p.guests);
    move_all(cs_.warnings, p.warnings);
    for (auto& [k, v] : p.fingerprint) cs_.fingerprint.insert_or_assign(k, std::move(v));
    cs_.diagnostics.append(p.diagnostics);
  }

  void host_files(const Host& spec, const HostObservation& ho) {
    std::vector<const HostNic*> nics;
    for (const auto& [n, nic] : spec.nics)
      if (nic.config == NicConfig::Unconfigured) nics.push_back(&nic);
    if (nics.empty()) return;
    if (spec.files.kind == FileSourceKind::None) {
      std::string names;
      for (auto* n : nics) names += (names.empty() ? "" : ", ") + n->name;
      cs_.warnings.push_back("host " + spec.name +
                             ": files: none, so the ifcfg files of its unconfigured NICs (" +
                             names + ") are not compared");
      return;
    }
    if (!ho.files_read) {
      cs_.diagnostics.error(pos_of(spec.pos, "files"), "host.files-unreadable",
                            "host " + spec.name + ": cannot read its files (" +
                                spec.files.str() + "): " + ho.files_error);
      return;
    }
    // Each NIC's format (issue 15, points 2 and 4): the host's `config_format`, else the
    // rules of netconf::choose (a keyfile profile for the NIC means keyfile).
    Diagnostics read_diags;
    const netconf::AllDevices all = netconf::read_all(ho.files, "host " + spec.name, read_diags);
    for (const auto& d : read_diags.items())
      if (d.rule == "keyfile.ignored-by-nm") cs_.diagnostics.add(d);
    for (auto* nic : nics) {
      const netconf::Choice c = netconf::choose(spec.config_format, all, nic->mac, nic->name);
      const netconf::Format& fmt = *c.format;
      netconf::warn_shadowed(c, nic->name, "host " + spec.name, cs_.diagnostics);
      const std::string name = fmt.file_names(nic->name).front();
      cs_.fingerprint[spec.name + "/host/file/" + name] = fact_digest(find_file(ho.files, name));
      if (c.have)  // its profile under another name ("Wired connection 1.nmconnection")
        for (const auto& n : c.have->files)
          cs_.fingerprint[spec.name + "/host/file/" + n] = fact_digest(find_file(ho.files, n));
      netconf::HostNicWant want;
      want.host = spec.name;
      want.nic = nic->name;
      want.mac = nic->mac;
      want.kind = nic->kind;
      want.parent = nic->parent;
      want.vlan_id = nic->vlan_id;
      want.pos = &nic->pos;
      if (auto live = ho.nics.find(nic->name); live != ho.nics.end()) want.live_kind = live->second.kind;
      for (auto& e : fmt.host_nic_edits(want, nullptr, ho.files, "host " + spec.name, cs_.diagnostics)) {
        if (e.name != name)  // the NIC's file under another name (ifcfg-vlan100)
          cs_.fingerprint[spec.name + "/host/file/" + e.name] = fact_digest(find_file(ho.files, e.name));
        cs_.files.push_back(file_diff(std::move(e), spec.name, ""));
        cs_.files.back().format = std::string(fmt.name());
      }
    }
  }

  void guest(const Host& hspec, const Guest& g, const DomainState& ds, const HostObservation& ho,
             bool hotplug) {
    const std::string& h = hspec.name;
    cs_.guests.push_back({h, g.name, ds.running, hotplug, g.activate,
                          std::string(netconf::machine_format(g.config_format, {}).name())});
    cs_.fingerprint[h + "/domain/" + g.name + "/inactive"] =
        xml_digest(ds.inactive_sha256, ds.inactive_xml);
    const bool live_known = ds.running && ds.live.has_value();
    if (live_known && ds.live_xml)
      cs_.fingerprint[h + "/domain/" + g.name + "/live"] = xml_digest(ds.live_sha256, *ds.live_xml);

    const auto resolved = resolve_macs(h, g.name, g, ds);
    std::set<MacAddress> listed;
    std::set<MacAddress> fresh;  // interfaces the guest will see appear
    int position = 0;
    for (const auto& r : resolved) {
      const int order = position++;
      listed.insert(r.mac);
      const DomainInterface* c = find_by_mac(ds.config, r.mac);
      const DomainInterface* l = live_known ? find_by_mac(*ds.live, r.mac) : nullptr;
      InterfaceDiff d;
      d.host = h;
      d.guest = g.name;
      d.name = r.want->name;
      d.order = order;
      d.mac = r.mac.str();
      if (r.want->kind == InterfaceKind::Direct) d.source_dev = r.want->source_dev;
      if (c) d.config = *c;
      if (l) d.live = *l;
      d.config_fields = c ? compare_interface(*c, *r.want) : wanted_fields(*r.want, r.mac);
      d.config_differs = !c || !d.config_fields.empty();
      if (live_known) {
        d.live_fields = l ? compare_interface(*l, *r.want) : wanted_fields(*r.want, r.mac);
        d.live_differs = !l || !d.live_fields.empty();
      }
      // An interface that matches needs no new definition: the XML is built only for a
      // change (an observed element is always one libxml2 serialized, so it cannot fail
      // for a matching one either).
      if (!d.config_differs && !d.live_differs) continue;
      const std::string base = c ? c->xml : (l ? l->xml : std::string());
      try {
        d.new_xml = build_interface_xml(*r.want, r.mac, base);
      } catch (const std::exception& e) {
        cs_.diagnostics.error(pos_of(r.want->pos, ""), "domain.bad-interface-xml",
                              "host " + h + ": guest " + g.name + ": interface " + d.name +
                                  ": " + e.what());
        continue;
      }
      if (!c || (live_known && !l)) fresh.insert(r.mac);
      cs_.interfaces.push_back(std::move(d));
    }

    // Unlisted direct interfaces are removed (config and live); other types are left alone.
    std::set<MacAddress> removed;
    // An unlisted device is named by its MAC and ordered after every listed one.
    auto unlisted = [&](const auto& e) {
      InterfaceDiff d;
      d.host = h;
      d.guest = g.name;
      d.name = e.mac->str();
      d.mac = e.mac->str();
      d.listed = false;
      d.order = 1000000 + e.index;
      return d;
    };
    for (const auto& c : ds.config) {
      if (c.type != "direct" || !c.mac || listed.count(*c.mac)) continue;
      InterfaceDiff d = unlisted(c);
      d.config = c;
      d.config_differs = true;
      d.config_fields = element_fields(c, true);
      if (live_known) {
        if (const auto* l = find_by_mac(*ds.live, *c.mac)) {
          d.live = *l;
          d.live_differs = true;
          d.live_fields = element_fields(*l, true);
        }
      }
      removed.insert(*c.mac);
      cs_.interfaces.push_back(std::move(d));
    }
    if (live_known) {
      for (const auto& l : *ds.live) {
        if (l.type != "direct" || !l.mac || listed.count(*l.mac) || removed.count(*l.mac))
          continue;
        InterfaceDiff d = unlisted(l);
        d.live = l;
        d.live_differs = true;
        d.live_fields = element_fields(l, true);
        removed.insert(*l.mac);
        cs_.interfaces.push_back(std::move(d));
      }
    }
    for (const auto& c : ds.config)
      if (!c.mac && c.type == "direct")
        cs_.warnings.push_back("host " + h + ": guest " + g.name +
                               ": a direct interface without a MAC address is ignored");

    guest_files(hspec, g, ds, ho, resolved, fresh, removed);
  }

  void guest_files(const Host& hspec, const Guest& g, const DomainState& ds,
                   const HostObservation& ho, const std::vector<Resolved>& resolved,
                   const std::set<MacAddress>& fresh, const std::set<MacAddress>& removed) {
    const std::string& h = hspec.name;
    auto go = ho.guests.find(g.name);
    const bool read = go != ho.guests.end() && go->second.files_read;
    // The guest's files by every format (issue 15, point 2), and the format that activates
    // its changes (a hot-plug alone too): the machine's, keyfile once a keyfile is planned.
    netconf::AllDevices all;
    Diagnostics read_diags;
    if (read) {
      all = netconf::read_all(go->second.files, "host " + h + ": guest " + g.name, read_diags);
      cs_.guests.back().config_format = std::string(netconf::machine_format(g.config_format, all).name());
    }
    bool manages = !removed.empty();
    for (const auto& r : resolved)
      if (r.want->ip.any()) manages = true;
    if (!manages) return;
    if (g.guest_files.kind == FileSourceKind::None) {
      cs_.warnings.push_back("host " + h + ": guest " + g.name +
                             ": guest_files: none, so its ifcfg and route files are not compared");
      return;
    }
    if (!read) {
      const std::string why = go == ho.guests.end() ? std::string("not observed")
                                                    : go->second.files_error;
      if (!ds.running && g.guest_files.kind == FileSourceKind::Agent) {
        cs_.warnings.push_back("host " + h + ": guest " + g.name +
                               " is not running, so its files (agent) are not compared");
        return;
      }
      cs_.diagnostics.error(pos_of(g.pos, "guest_files"), "guest.files-unreadable",
                            "host " + h + ": guest " + g.name + ": cannot read its files (" +
                                g.guest_files.str() + "): " + why);
      return;
    }
    const NetworkScripts& files = go->second.files;
    if (!go->second.listed)
      cs_.warnings.push_back("host " + h + ": guest " + g.name + ": " + kUnlistedNote);
    const std::string fp = h + "/guest/" + g.name + "/file/";
    const std::string who = "host " + h + ": guest " + g.name;
    // The same readers as `show`; only their "one MAC, two files" errors matter here (unsafe
    // values the spec manages are replaced, others reported by the sourcing check).
    for (const auto& d : read_diags.items())
      if (d.rule == "netconf.mac-claimed-twice" || d.rule == "keyfile.ignored-by-nm")
        cs_.diagnostics.add(d);
    for (const auto& r : resolved) {
      const auto& w = *r.want;
      if (!w.ip.any()) continue;
      const netconf::Choice c = netconf::choose(g.config_format, all, r.mac, w.name);
      const netconf::Format& fmt = *c.format;
      netconf::warn_shadowed(c, w.name, who, cs_.diagnostics);
      if (fmt.name() != netconf::default_format().name())
        cs_.guests.back().config_format = std::string(fmt.name());
      netconf::GuestWant gw{h, g.name, w.name, r.mac, pin_mac(w), &w.ip};
      for (const auto& fd : all)
        if (fd.format == &fmt) gw.known = &fd.devices;
      for (const auto& n : fmt.watched(gw, c.have, files))
        cs_.fingerprint[fp + n] = fact_digest(find_file(files, n));
      for (auto& e : fmt.guest_edits(gw, c.have, files, who, cs_.diagnostics)) {
        FileDiff d = file_diff(std::move(e), h, g.name);
        d.format = std::string(fmt.name());
        d.mac = r.mac.str();
        d.for_new_interface = fresh.count(r.mac) > 0;
        if (d.action == FileAction::Remove && d.subject != w.name) {
          d.removed_for_rename = true;
          d.renamed_to = w.name;
        }
        cs_.files.push_back(std::move(d));
      }
    }
    if (removed.empty()) return;
    // Files macvtapctl created (header) for a removed interface (its MAC pin) go with it.
    std::set<std::string> listed_names;
    for (const auto& r : resolved) listed_names.insert(r.want->name);
    for (const auto& fd : all)
    for (const auto& dc : fd.devices) {
      if (!dc.created_by_tool || !dc.mac || !removed.count(*dc.mac) || listed_names.count(dc.device))
        continue;
      for (auto& e : fd.format->removal(dc, files)) {
        cs_.fingerprint[fp + e.name] = fact_digest(find_file(files, e.name));
        FileDiff d = file_diff(std::move(e), h, g.name);
        d.format = std::string(fd.format->name());
        d.mac = dc.mac->str();
        cs_.files.push_back(std::move(d));
      }
    }
  }

  // Whether the device's config must pin its MAC (point 7: the eth0/eth1 swap protection):
  // when the spec gives the MAC, and for every direct interface (its MAC is the tool's); not
  // a `network` interface without one (its MAC is libvirt's, e.g. eth0 on the default
  // network). A pin already in the file is kept right in any case.
  static bool pin_mac(const GuestInterface& w) {
    return w.mac.has_value() || w.kind == InterfaceKind::Direct;
  }

  static FileDiff file_diff(netconf::FileEdit&& e, const std::string& h, const std::string& g) {
    FileDiff d;
    d.host = h;
    d.guest = g;
    d.role = e.role;
    d.action = e.action;
    d.name = std::move(e.name);
    d.path = std::move(e.path);
    d.subject = std::move(e.subject);
    d.before = std::move(e.before);
    d.after = std::move(e.after);
    d.mode = e.mode;
    d.enforce_mode = e.enforce_mode;
    d.fields = std::move(e.fields);
    d.nic_kind = e.nic_kind;
    d.profile_after = std::move(e.profile_after);
    d.profile_before = std::move(e.profile_before);
    return d;
  }

  const DiffOptions& opts_;
  ChangeSet& cs_;
};

}  // namespace

bool uri_supports_hotplug(const std::string& uri) { return uri.rfind("test:", 0) != 0; }

std::vector<FieldChange> compare_interface(const DomainInterface& have,
                                                 const GuestInterface& want) {
  std::vector<FieldChange> out;
  const std::string type = to_string(want.kind);
  const bool type_differs = have.type != type;
  if (type_differs) out.push_back({"type", opt(have.type), type});
  if (want.kind == InterfaceKind::Direct) {
    if (type_differs || have.source_dev != want.source_dev)
      out.push_back({"source.dev", opt(have.source_dev), want.source_dev});
    const std::string m = to_string(want.mode);
    if (type_differs || (have.type == "direct" && mode_of(have) != m))
      out.push_back({"source.mode", have.type == "direct" ? opt(mode_of(have)) : std::nullopt, m});
  } else {
    if (type_differs || have.source_network != want.network)
      out.push_back({"source.network", opt(have.source_network), want.network});
  }
  if (want.model && have.model != *want.model)
    out.push_back({"model", opt(have.model), *want.model});
  if (want.kind == InterfaceKind::Direct) {
    // Absent trustGuestRxFilters is libvirt's `no`: `false` in the spec matches it.
    if (want.trust_guest_rx_filters && have.trust_guest_rx_filters != *want.trust_guest_rx_filters)
      out.push_back({"trustGuestRxFilters", have.trust_guest_rx_filters ? "yes" : "no",
                     *want.trust_guest_rx_filters ? "yes" : "no"});
    if (want.mtu && have.mtu != want.mtu)
      out.push_back({"mtu", have.mtu ? std::optional<std::string>(std::to_string(*have.mtu))
                                     : std::nullopt,
                     std::to_string(*want.mtu)});
  }
  return out;
}

ChangeSet compute(const Topology& desired, const Observation& observed,
                  const DiffOptions& options) {
  ChangeSet cs;
  for (const auto& [name, spec] : desired.hosts) {
    auto it = observed.hosts.find(name);
    HostStatus& st = cs.hosts[name];
    st.uri = spec.uri;
    // A host that could not be observed is reported through its status (cs.hosts), never as
    // an error of the whole change set: the other hosts are compared and planned (issue 13).
    if (it == observed.hosts.end()) {
      st.observed = false;
      st.error = "not observed";
      continue;
    }
    if (!it->second.uri.empty()) st.uri = it->second.uri;
    if (!it->second.reachable) {
      st.observed = false;
      st.error = it->second.error.empty() ? "could not be observed" : it->second.error;
      continue;
    }
    // Each host is compared on its own: errors found in one host (a guest that is not
    // defined, files that cannot be read or are unsafe) make that host fail - its changes
    // are left out, its errors stay in the diagnostics, its status says why - and leave the
    // other hosts' changes whole.
    ChangeSet part;
    Differ(options, part).host(spec, it->second);
    if (part.diagnostics.has_errors()) {
      st.observed = false;
      std::string why;
      std::size_t n = 0;
      const std::string prefix = "host " + name + ": ";
      for (const auto& d : part.diagnostics.items()) {
        if (d.severity != Severity::Error) continue;
        if (++n > 3) continue;
        std::string m = d.message.rfind(prefix, 0) == 0 ? d.message.substr(prefix.size()) : d.message;
        why += (why.empty() ? "" : "; ") + m;
      }
      if (n > 3) why += "; and " + std::to_string(n - 3) + " more error(s)";
      st.error = why;
      cs.diagnostics.append(part.diagnostics);
      continue;
    }
    auto move_all = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    move_all(cs.interfaces, part.interfaces);
    move_all(cs.files, part.files);
    move_all(cs.guests, part.guests);
    move_all(cs.warnings, part.warnings);
    for (auto& [k, v] : part.fingerprint) cs.fingerprint.insert_or_assign(k, std::move(v));
    cs.diagnostics.append(part.diagnostics);
  }
  std::sort(cs.interfaces.begin(), cs.interfaces.end(), [](const auto& a, const auto& b) {
    return std::tie(a.host, a.guest, a.mac) < std::tie(b.host, b.guest, b.mac);
  });
  std::sort(cs.files.begin(), cs.files.end(), [](const auto& a, const auto& b) {
    return std::tie(a.host, a.guest, a.name) < std::tie(b.host, b.guest, b.name);
  });
  std::sort(cs.guests.begin(), cs.guests.end(), [](const auto& a, const auto& b) {
    return std::tie(a.host, a.guest) < std::tie(b.host, b.guest);
  });
  std::sort(cs.warnings.begin(), cs.warnings.end());
  cs.warnings.erase(std::unique(cs.warnings.begin(), cs.warnings.end()), cs.warnings.end());
  cs.diagnostics.sort();
  return cs;
}

}  // namespace mvt::diff
