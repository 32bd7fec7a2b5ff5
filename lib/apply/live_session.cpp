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
  owned_ = open_backends(sources_of(topology_), hv, options_.files);
}

diff::ChangeSet LiveSession::changes() {
  Observation obs;
  diff::DiffOptions dopts;
  for (const auto& [name, host] : topology_.hosts) {
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
    obs.hosts.emplace(name, observe_host(host, hv, oo));
    dopts.hotplug[name] = hv.supports_hotplug();
  }
  return diff::compute(topology_, obs, dopts);
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

plan::Plan LiveSession::replan() {
  Diagnostics d;
  auto p = plan(d);
  if (d.has_errors()) {
    std::string msg = "re-planning failed:";
    for (const auto& x : d.items())
      if (x.severity == Severity::Error) msg += "\n  " + x.message;
    throw Error(msg);
  }
  return p;
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
