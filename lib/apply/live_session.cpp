#include "apply/live_session.hpp"

#include "files/agent_source.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/observe.hpp"
#include "observe/parallel_observe.hpp"
#include "plan/planner.hpp"
#include "util/errors.hpp"
#include "util/thread_pool.hpp"

#include <memory>
#include <optional>

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
  // Host by host, several at once: one that cannot be opened (or not in time) is recorded,
  // the others are opened all the same. A task may be abandoned at the time limit, so it
  // owns what it uses (`work`, shared with it) and leaves its result in its own slot.
  struct Work {
    std::vector<std::pair<std::string, HostSources>> hosts;
    HypervisorFactory hv;
    FileSourceFactory files;
    std::vector<std::optional<OwnedBackends>> opened;
    std::vector<std::string> error;
  };
  auto work = std::make_shared<Work>();
  for (auto& [name, src] : sources_of(topology_)) work->hosts.emplace_back(name, std::move(src));
  work->hv = std::move(hv);
  work->files = options_.files;
  work->opened.resize(work->hosts.size());
  work->error.resize(work->hosts.size());
  ThreadPool::EachOptions eo;
  eo.parallel = options_.file_parallel;
  eo.timeout = options_.open_timeout;
  eo.on_end = [&](std::size_t k, const ThreadPool::Outcome& out) {
    const auto& [name, src] = work->hosts[k];
    if (out.state == ThreadPool::Outcome::State::TimedOut) {
      unreachable_[name] = plan::HostStatus{false, src.uri, timeout_text(options_.open_timeout) +
                                                                " connecting"};
      return;
    }
    if (!work->opened[k]) {
      unreachable_[name] = plan::HostStatus{false, src.uri, work->error[k]};
      return;
    }
    OwnedBackends& one = *work->opened[k];
    for (auto& h : one.hypervisors) owned_.hypervisors.push_back(std::move(h));
    for (auto& f : one.files) owned_.files.push_back(std::move(f));
    owned_.view[name] = std::move(one.view.at(name));
    work->opened[k].reset();
  };
  ThreadPool::shared().run_each(
      work->hosts.size(),
      [work](std::size_t k) {
        try {
          work->opened[k] = open_backends({work->hosts[k]}, work->hv, work->files);
        } catch (const std::exception& e) {
          work->error[k] = e.what();
        } catch (...) {
          work->error[k] = "unknown failure";
        }
      },
      eo);
}

diff::ChangeSet LiveSession::changes() {
  return run({}, reconcile::Until::Diff).changes;
}

diff::ChangeSet LiveSession::changes(const std::string& host) {
  return run({host}, reconcile::Until::Diff).changes;
}

reconcile::Result LiveSession::reconcile_all() {
  return run({}, reconcile::Until::Plan);
}

HostObservation LiveSession::observe(const Host& host) {
  if (auto u = unreachable_.find(host.name); u != unreachable_.end())
    throw Error(u->second.error);  // recorded as the host's error, with its URI
  Hypervisor& hv = *owned_.view.at(host.name).hypervisor;
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
  return observe_host(host, hv, oo);
}

reconcile::Result LiveSession::run(const std::vector<std::string>& only, reconcile::Until until) {
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
  reconcile::Options ro;
  ro.until = until;
  ro.parallel = options_.file_parallel;
  ro.spec_digest = digest_;
  // Over this session's connections (no time limit: the observer uses them in place).
  ro.observe = [this](const Host& host) { return observe(host); };
  for (const auto& [name, b] : owned_.view)
    if (desired->hosts.count(name)) ro.diff.hotplug[name] = b.hypervisor->supports_hotplug();
  return reconcile::reconcile(*desired, ro);
}

plan::Plan LiveSession::plan(Diagnostics& diags) {
  auto r = reconcile_all();
  diags.append(r.changes.diagnostics);
  if (r.changes.diagnostics.has_errors()) return plan::Plan{};
  return std::move(r.plan);
}

plan::Plan LiveSession::plan_of(const diff::ChangeSet& cs) const {
  return plan::make_plan(cs, digest_);
}

namespace {

// The plan of `r`, throwing Error when it has errors or a host could not be observed.
plan::Plan checked_plan(reconcile::Result r) {
  std::string msg;
  for (const auto& x : r.diagnostics.items())
    if (x.severity == Severity::Error) msg += "\n  " + x.message;
  for (const auto& [h, st] : r.hosts)
    if (!st.observed) msg += "\n  host " + h + " could not be observed (" + st.uri + "): " + st.error;
  if (!msg.empty()) throw Error("re-planning failed:" + msg);
  return std::move(r.plan);
}

}  // namespace

plan::Plan LiveSession::replan() {
  return checked_plan(run({}, reconcile::Until::Plan));
}

plan::Plan LiveSession::replan(const std::string& host) {
  return checked_plan(run({host}, reconcile::Until::Plan));
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
