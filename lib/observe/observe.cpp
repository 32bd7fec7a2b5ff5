#include "observe/observe.hpp"

#include "netconf/format.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <set>

#include "files/agent_source.hpp"
#include "files/dir_source.hpp"
#include "files/ssh_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/nic_info.hpp"
#include "util/errors.hpp"
#include "util/hash.hpp"
#include "util/thread_pool.hpp"
#include "xml/domain_xml.hpp"
#include "xml/xml_handles.hpp"

namespace mvt {
namespace {

bool wanted(const ObserveOptions& o, const std::string& host) {
  if (o.hosts.empty()) return true;
  for (const auto& h : o.hosts)
    if (h == host) return true;
  return false;
}

// "Where this file is", for messages: the real path for a directory source, else
// "<source>:/<path>".
std::string origin_of(FileAccess& fa, const std::string& rel) {
  if (auto* d = dynamic_cast<DirSource*>(&fa)) return (d->root() / rel).lexically_normal().string();
  return fa.describe() + ":/" + rel;
}

// A network-scripts file as observed: where it is, and what was read of it (nothing when
// `info` is empty: listed but unreadable).
FileState file_state(FileAccess& fa, const std::string& rel, std::optional<FileInfo> info) {
  FileState f;
  f.path = rel;
  f.origin = origin_of(fa, rel);
  if (info) {
    f.bytes = std::move(info->bytes);
    f.mode = info->mode;
    f.uid = info->uid;
    f.gid = info->gid;
    f.stat_known = info->stat_known;
  }
  return f;
}


// One domain as Hypervisor::visit_all_domains() fetched it: each XML parsed once.
DomainState read_domain(DomainXml&& x, bool keep_xml) {
  const DomainSummary& s = x.summary;
  DomainState d;
  d.name = s.name;
  d.uuid = s.uuid;
  d.running = s.running;
  d.state = s.state;
  if (!x.inactive_xml) return d;  // undefined meanwhile: an empty state, not an error
  d.inactive_xml = std::move(*x.inactive_xml);
  d.inactive_sha256 = sha256_hex(d.inactive_xml);
  auto parsed = xml::parse_domain(d.inactive_xml, "domain XML of " + s.name);
  d.config = std::move(parsed.interfaces);
  d.has_agent_channel = parsed.has_agent_channel;
  if (s.running && x.live_xml) {
    d.live_xml = std::move(*x.live_xml);
    d.live_sha256 = sha256_hex(*d.live_xml);
    auto lp = xml::parse_domain(*d.live_xml, "live domain XML of " + s.name);
    d.live = std::move(lp.interfaces);
    d.has_agent_channel = d.has_agent_channel || lp.has_agent_channel;
  }
  if (!keep_xml) {
    std::string().swap(d.inactive_xml);
    if (d.live_xml) std::string().swap(*d.live_xml);
  }
  return d;
}

// Opens a source through the factory; records why not on failure.
std::unique_ptr<FileAccess> open_source(const ObserveOptions& opts, Hypervisor& hv,
                                        const std::string& host, const std::string& guest,
                                        const FileSourceSpec& spec, std::string* error) {
  if (spec.kind == FileSourceKind::None) {
    *error = "no file source (none)";
    return nullptr;
  }
  try {
    std::unique_ptr<FileAccess> fa;
    if (opts.files)
      fa = opts.files(host, guest, spec);
    else if (spec.kind == FileSourceKind::Agent && !guest.empty())
      fa = open_agent_source(hv, guest, opts.read_only);
    else
      fa = default_file_access_factory(opts.read_only)(host, guest, spec);
    if (!fa) *error = "file source " + spec.str() + " is not available to this command";
    return fa;
  } catch (const Error& e) {
    *error = e.what();
    return nullptr;
  }
}

// read_network_scripts through `fa` (none: its opening failed, `error` says why already);
// whether the files were read, else why not in `error`.
bool read_scripts(FileAccess* fa, NetworkScripts& files, std::string& error) {
  if (!fa) return false;
  try {
    files = read_network_scripts(*fa);
    return true;
  } catch (const Error& e) {
    error = e.what();
    return false;
  }
}

}  // namespace

FileAccessFactory default_file_access_factory(bool read_only) {
  return [read_only](const std::string&, const std::string&,
                     const FileSourceSpec& spec) -> std::unique_ptr<FileAccess> {
    if (spec.kind == FileSourceKind::Local || spec.kind == FileSourceKind::Dir)
      return open_dir_source(spec, read_only);
    if (spec.kind == FileSourceKind::Ssh) return open_ssh_source(spec, read_only);
    return nullptr;
  };
}

namespace {

bool plausible_device(const std::string& n) {
  if (n.empty() || n.size() > 15 || n == "." || n == "..") return false;
  for (const char c : n)
    if (c == '/' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  return true;
}

// "0000:00:09.0" -> 9; -1 when unknown.
int pci_slot_of(const std::string& pci) {
  if (pci.size() < 10 || pci[7] != ':') return -1;
  try {
    return std::stoi(pci.substr(8, 2), nullptr, 16);
  } catch (...) {
    return -1;
  }
}

}  // namespace

NetworkScripts read_named_scripts(FileAccess& fa, const std::set<std::string>& devices) {
  NetworkScripts out;
  for (const auto& dev : devices) {
    if (!plausible_device(dev)) continue;
    for (const netconf::Format* fmt : netconf::formats())  // every format's (issue 15)
      for (const std::string& name : fmt->file_names(dev)) {
        const std::string rel = std::string(fmt->dir()) + "/" + name;
        auto info = fa.read(rel);
        if (!info) continue;
        out.emplace(name, file_state(fa, rel, std::move(info)));
      }
  }
  return out;
}

std::set<std::string> guest_device_names(const Guest& guest, const DomainState* domain,
                                         FileAccess& fa) {
  std::set<std::string> names;
  for (const auto& i : guest.interfaces)
    if (!i.name.empty()) names.insert(i.name);
  if (domain) {
    auto add = [&](const std::vector<DomainInterface>& ifs) {
      for (const auto& i : ifs) {
        if (i.type != "direct" && i.type != "network") continue;
        names.insert("eth" + std::to_string(i.index));
        if (const int slot = pci_slot_of(i.pci_address); slot >= 0)
          names.insert("ens" + std::to_string(slot));
      }
    };
    add(domain->config);
    if (domain->live) add(*domain->live);
  }
  if (auto* agent = dynamic_cast<AgentSource*>(&fa))
    for (const auto& nic : agent->network_interfaces())
      if (nic.name != "lo") names.insert(nic.name);
  return names;
}

NetworkScripts read_network_scripts(FileAccess& fa) {
  NetworkScripts out;
  // Every format's directory (issue 15, point 2: `auto` looks at all of them), each for the
  // names its format reads.
  for (const netconf::Format* fmt : netconf::formats()) {
    const std::string dir(fmt->dir());
    auto wanted = [fmt](const std::string& n) { return fmt->reads(n); };
    for (auto& [name, info] : fa.read_dir(dir, wanted)) {
      const std::string rel = dir + "/" + name;
      if (auto it = out.find(name); it != out.end())
        throw Error(origin_of(fa, rel) + ": a file of the same name is in " + it->second.origin +
                    "; the two formats' files cannot be told apart by name: rename one");
      out.emplace(name, file_state(fa, rel, std::move(info)));
    }
  }
  return out;
}

namespace {

// Fetches and parses the host's domains: each XML is parsed (and hashed for the plan's
// fingerprint) as soon as it arrives, on the thread that fetched it, so parsing overlaps the
// round trips. The map gets them in listing order (emplace: the first of two same-named
// entries wins, as in one pass); the first malformed domain in listing order is the error.
void read_domains(Hypervisor& hv, bool keep_xml, std::map<std::string, DomainState>& out) {
  std::vector<std::optional<DomainState>> parsed;
  std::vector<std::exception_ptr> failed;
  xml::init_parser();  // before any thread parses
  Hypervisor::DomainVisitor v;
  v.listed = [&](std::size_t n) {
    parsed.resize(n);
    failed.resize(n);
  };
  v.domain = [&](std::size_t k, DomainXml&& x) {
    try {
      parsed[k] = read_domain(std::move(x), keep_xml);
    } catch (...) {
      failed[k] = std::current_exception();
    }
  };
  hv.visit_all_domains(v);
  for (std::size_t k = 0; k < parsed.size(); ++k) {
    if (failed[k]) std::rethrow_exception(failed[k]);
    if (!parsed[k]) continue;  // vanished while listed
    std::string name = parsed[k]->name;
    out.emplace(std::move(name), std::move(*parsed[k]));
  }
}

}  // namespace

HostObservation observe_host(const Host& host, Hypervisor& hv, const ObserveOptions& opts) {
  HostObservation h;
  h.host = host.name;
  h.uri = hv.uri();
  h.reachable = true;
  h.files_source = host.files;

  // Guest files: one source per guest, opts.file_parallel of them at once - but one by one
  // when a guest is read through the agent (agent sources share this host's connection).
  std::vector<const std::pair<const std::string, Guest>*> guests;
  guests.reserve(host.guests.size());
  bool agent = false;
  for (const auto& entry : host.guests) {
    guests.push_back(&entry);
    agent = agent || entry.second.guest_files.kind == FileSourceKind::Agent;
  }
  std::vector<GuestObservation> read(guests.size());
  auto read_guests = [&] {
    parallel_for(guests.size(), agent ? 1 : opts.file_parallel, [&](std::size_t k) {
      const auto& [gname, guest] = *guests[k];
      GuestObservation& g = read[k];
      g.guest = gname;
      g.source = guest.guest_files;
      auto fa = open_source(opts, hv, host.name, gname, guest.guest_files, &g.files_error);
      if (fa && !fa->can_list()) {
        // No listing (the agent source in read-only mode): the files the spec, the domain
        // XML and the guest's interfaces name. The domains are read already (agent sources
        // are read after them, see `overlap`).
        g.listed = false;
        auto d = h.domains.find(gname);
        try {
          g.files = read_named_scripts(
              *fa, guest_device_names(guest, d == h.domains.end() ? nullptr : &d->second, *fa));
          g.files_read = true;
        } catch (const Error& e) {
          g.files_error = e.what();
        }
        return;
      }
      g.files_read = read_scripts(fa.get(), g.files, g.files_error);
    });
  };
  // With the default sources (directories, ssh: none uses the connection) the guests' files
  // are read while the domains are fetched and parsed; an injected factory or an agent
  // source keeps the one-after-the-other order.
  const bool overlap = !agent && !opts.files && opts.file_parallel > 1 && !guests.empty();
  // The host side: domains, the host's files and NICs.
  auto read_host = [&] {
    read_domains(hv, opts.keep_domain_xml, h.domains);

    std::unique_ptr<FileAccess> host_fa =
        open_source(opts, hv, host.name, "", host.files, &h.files_error);
    h.files_read = read_scripts(host_fa.get(), h.files, h.files_error);

    // NIC names worth asking the files about: declared, used by a guest, or with an ifcfg.
    std::set<std::string> names;
    for (const auto& [n, nic] : host.nics) {
      names.insert(n);
      if (!nic.parent.empty() && plausible_device(nic.parent)) names.insert(nic.parent);  // a VLAN's
    }
    for (const auto& [_, d] : h.domains) {
      for (const auto& i : d.config)
        if (i.type == "direct" && !i.source_dev.empty()) names.insert(i.source_dev);
      if (d.live)
        for (const auto& i : *d.live)
          if (i.type == "direct" && !i.source_dev.empty()) names.insert(i.source_dev);
    }
    {
      Diagnostics ignored;  // to_topology reports the files' problems
      for (const auto& fd : netconf::read_all(h.files, "", ignored))
        for (const auto& dc : fd.devices)
          if (dc.device != "lo" && plausible_device(dc.device)) {
            names.insert(dc.device);
            if (!dc.parent.empty() && plausible_device(dc.parent)) names.insert(dc.parent);
          }
    }
    // Read-only (libvirt's interface API, or sysfs files): plan and drift check the spec
    // against these (diff/nic_checks.hpp), so how they were read is kept too.
    NicReading nics = read_host_nics(hv, host_fa.get(), host.files.kind, names);
    h.nics = std::move(nics.nics);
    h.nics_source = nics.source;
    h.nics_complete = nics.complete;
    h.nics_error = std::move(nics.why_not);
  };
  if (overlap) {
    parallel_for(2, 2, [&](std::size_t k) { k == 0 ? read_host() : read_guests(); });
  } else {
    read_host();
    read_guests();
  }
  for (std::size_t k = 0; k < guests.size(); ++k)
    h.guests.emplace_hint(h.guests.end(), guests[k]->first, std::move(read[k]));
  return h;
}

Observation observe(const Topology& desired, const ObserveOptions& opts) {
  Observation obs;
  for (const auto& [name, host] : desired.hosts) {
    if (!wanted(opts, name)) continue;
    // libvirt refuses guest agent commands on read-only connections: a host with a guest
    // read through the agent gets a read-write connection (the agent source itself stays
    // read-only: file reads only).
    bool agent = false;
    for (const auto& [_, g] : host.guests) agent = agent || g.guest_files.kind == FileSourceKind::Agent;
    const bool ro_conn = opts.read_only && !(agent && !opts.files);
    std::unique_ptr<Hypervisor> hv;
    try {
      hv = opts.hypervisor ? opts.hypervisor(host.uri, ro_conn)
                           : LibvirtHypervisor::connect(host.uri, ro_conn);
    } catch (const LibvirtError& e) {
      HostObservation h;
      h.host = name;
      h.uri = host.uri;
      h.reachable = false;
      h.error = e.what();
      h.files_source = host.files;
      obs.hosts.emplace(name, std::move(h));
      continue;
    }
    obs.hosts.emplace(name, observe_host(host, *hv, opts));
  }
  return obs;
}

}  // namespace mvt
