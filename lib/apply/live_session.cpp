#include "apply/live_session.hpp"

#include "diff/diff.hpp"
#include "files/agent_source.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/observe.hpp"
#include "plan/planner.hpp"
#include "util/errors.hpp"

namespace mvt::apply {
namespace {

bool is_dir_source(const FileSourceSpec& s) {
  return s.kind == FileSourceKind::Local || s.kind == FileSourceKind::Dir;
}

}  // namespace

LiveSession::LiveSession(Topology topology, std::string spec_digest, LiveSessionOptions options)
    : topology_(std::move(topology)),
      digest_(std::move(spec_digest)),
      options_(std::move(options)) {
  HypervisorFactory hv = options_.hypervisor;
  if (!hv) hv = [](const std::string& uri) { return LibvirtHypervisor::connect(uri, false); };
  // Host by host: one that cannot be opened is recorded, the others are opened all the same.
  for (const auto& [name, src] : sources_of(topology_)) {
    try {
      OwnedBackends one = open_backends({{name, src}}, hv, options_.files);
      for (auto& h : one.hypervisors) owned_.hypervisors.push_back(std::move(h));
      for (auto& f : one.files) owned_.files.push_back(std::move(f));
      owned_.view[name] = std::move(one.view.at(name));
    } catch (const std::exception& e) {
      unreachable_[name] = plan::HostStatus{false, src.uri, e.what()};
    }
  }
}

diff::ChangeSet LiveSession::changes() {
  return compute({});
}

diff::ChangeSet LiveSession::changes(const std::string& host) {
  return compute({host});
}

diff::ChangeSet LiveSession::compute(const std::vector<std::string>& only) {
  Topology wanted;
  const Topology* desired = &topology_;
  if (!only.empty()) {
    wanted.version = topology_.version;
    wanted.files = topology_.files;
    for (const auto& h : only)
      if (auto it = topology_.hosts.find(h); it != topology_.hosts.end())
        wanted.hosts.emplace(h, it->second);
    desired = &wanted;
  }
  Observation obs;
  diff::DiffOptions dopts;
  for (const auto& [name, host] : desired->hosts) {
    if (auto u = unreachable_.find(name); u != unreachable_.end()) {
      HostObservation ho;
      ho.host = name;
      ho.uri = u->second.uri;
      ho.reachable = false;
      ho.error = u->second.error;
      obs.hosts.emplace(name, std::move(ho));
      continue;
    }
    HostBackends& b = owned_.view.at(name);
    Hypervisor& hv = *b.hypervisor;
    ObserveOptions oo;
    oo.read_only = true;
    oo.keep_domain_xml = false;  // the diff needs only their SHA-256; steps fetch their own
    // Only directory sources (the default factory opens them read-only, as below): their
    // files are read by several threads while the domains are fetched. Other sources go
    // through the session's factory, one guest after the other.
    auto plain = [](const FileSourceSpec& f) {
      return is_dir_source(f) || f.kind == FileSourceKind::None;
    };
    bool dirs_only = plain(host.files);
    for (const auto& [_, g] : host.guests) dirs_only = dirs_only && plain(g.guest_files);
    if (dirs_only) {
      oo.file_parallel = options_.file_parallel;
    } else {
      oo.files = [this, &hv](const std::string&, const std::string& guest,
                             const FileSourceSpec& spec) -> std::unique_ptr<FileAccess> {
        if (is_dir_source(spec)) return open_dir_source(spec, /*read_only=*/true);
        // The agent is read as plan, drift and show read it (read-only: named files, no
        // guest-exec), so apply recomputes exactly the plan a read-only run showed.
        if (spec.kind == FileSourceKind::Agent && !guest.empty())
          return open_agent_source(hv, guest, /*read_only=*/true);
        return options_.files(spec, &hv, guest);
      };
    }
    // A host whose observation fails (libvirt error mid-way, malformed XML) is recorded as
    // not observed; the other hosts are observed all the same.
    try {
      obs.hosts.emplace(name, observe_host(host, hv, oo));
    } catch (const std::exception& e) {
      HostObservation ho;
      ho.host = name;
      ho.uri = host.uri;
      ho.reachable = false;
      ho.error = e.what();
      obs.hosts.emplace(name, std::move(ho));
      continue;
    }
    dopts.hotplug[name] = hv.supports_hotplug();
  }
  diff::ChangeSet cs = diff::compute(*desired, obs, dopts);
  // The status of each host is in cs.hosts; the diff's own diagnostics for it would refuse
  // every host for one host's trouble.
  Diagnostics kept;
  for (const auto& d : cs.diagnostics.items())
    if (d.rule != "host.unreachable" && d.rule != "host.unobserved") kept.add(d);
  cs.diagnostics = std::move(kept);
  return cs;
}

plan::Plan LiveSession::plan(Diagnostics& diags) {
  auto cs = changes();
  diags.append(cs.diagnostics);
  if (cs.diagnostics.has_errors()) return plan::Plan{};
  return plan_of(cs);
}

plan::Plan LiveSession::plan_of(const diff::ChangeSet& cs) const {
  return plan::make_plan(cs, digest_);
}

namespace {

// The plan of `cs`, throwing Error when it has errors or a host could not be observed.
plan::Plan checked_plan(const diff::ChangeSet& cs, const std::string& digest) {
  std::string msg;
  for (const auto& x : cs.diagnostics.items())
    if (x.severity == Severity::Error) msg += "\n  " + x.message;
  for (const auto& [h, st] : cs.hosts)
    if (!st.observed) msg += "\n  host " + h + " could not be observed (" + st.uri + "): " + st.error;
  if (!msg.empty()) throw Error("re-planning failed:" + msg);
  return plan::make_plan(cs, digest);
}

}  // namespace

plan::Plan LiveSession::replan() {
  return checked_plan(changes(), digest_);
}

plan::Plan LiveSession::replan(const std::string& host) {
  return checked_plan(changes(host), digest_);
}

std::vector<std::string> stale_facts(const plan::Plan& saved,
                                     const std::map<std::string, std::string>& fresh) {
  std::vector<std::string> out;
  for (const auto& [key, digest] : saved.fingerprint) {
    auto it = fresh.find(key);
    if (it == fresh.end())
      out.push_back(key + " is no longer observed");
    else if (it->second != digest)
      out.push_back(key + " changed");
  }
  for (const auto& [key, digest] : fresh)
    if (!saved.fingerprint.count(key)) out.push_back(key + " appeared");
  return out;
}

}  // namespace mvt::apply
