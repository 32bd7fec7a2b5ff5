#pragma once
// LiveSession: the read-write side of `apply` for one topology. It opens one libvirt
// connection per host (read-write) and the host's and guests' file sources once, and then
// observes, diffs and plans over those same connections - through the tool's one pipeline,
// reconcile::reconcile() with this session as the observer of each host - so that apply and
// the verification re-plan see one world, and the plan `plan` showed. (libvirt's test:/// driver forgets defines when its connection
// closes: a second connection would verify against the unchanged fixture.)
//
// Observation itself stays read-only: file sources are reopened read-only for reading
// (dir:/local), commands never run while observing.
//
// One host's trouble is never contagious (issue 13): a host whose connection or file sources
// cannot be opened, or whose observation fails, is recorded as not observed
// (ChangeSet::hosts / Plan::hosts: observed=false with the URI and libvirt's or the OS's
// message) and gets no steps; the other hosts are observed and planned as usual. The diff's
// host.unreachable / host.unobserved diagnostics are dropped: the status carries them.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apply/backends.hpp"
#include "diff/change_set.hpp"
#include "model/topology.hpp"
#include "observe/parallel_observe.hpp"
#include "plan/plan.hpp"
#include "reconcile/reconcile.hpp"
#include "util/diagnostics.hpp"

namespace mvt::apply {

struct LiveSessionOptions {
  HypervisorFactory hypervisor;  // empty: LibvirtHypervisor::connect(uri, read_only=false)
  FileSourceFactory files = default_file_source;
  // Hosts observed at once, and guests whose `dir:`/local files are read at once while the
  // domains are fetched (`--parallel`); other sources are read one guest after the other.
  int file_parallel = kDefaultParallel;
  // The hosts' connections (and file sources) are opened at once, file_parallel at a time;
  // a host whose opening takes longer than this is recorded as unreachable ("timed out
  // after N s connecting") and its opening is abandoned (it ends or hangs on its own; what
  // it opens late is closed, never used). 0: no limit.
  std::chrono::milliseconds open_timeout{0};
};

class LiveSession {
 public:
  // Opens every host's connection and sources. A host whose connection or sources cannot
  // be opened is recorded (unreachable(): URI and message) and left out of backends();
  // nothing is thrown for it.
  LiveSession(Topology topology, std::string spec_digest, LiveSessionOptions options = {});

  // The pipeline over every host up to the plan (reconcile.hpp): ok, diagnostics, changes,
  // plan and each host's status - what `apply` shows and runs.
  reconcile::Result reconcile_all();
  // Observe + diff of every host. Problems (undefined guest, unreadable files) are in
  // .diagnostics; a host that could not be opened or observed is in .hosts (observed=false).
  diff::ChangeSet changes();
  // The same for one host only (the others are neither observed nor diffed).
  diff::ChangeSet changes(const std::string& host);
  // changes() + make_plan. On diagnostics with errors, they are appended to `diags` and an
  // empty plan is returned.
  plan::Plan plan(Diagnostics& diags);
  // The plan of changes() already computed (one observation, not two).
  plan::Plan plan_of(const diff::ChangeSet& cs) const;
  // For the executor's verification: plan(), throwing Error when the re-plan itself fails
  // (also when a host could not be observed this time).
  plan::Plan replan();
  // The re-plan of one host (observes that host only): its verification must not see the
  // other hosts' pending changes.
  plan::Plan replan(const std::string& host);

  // The hosts whose connection or sources could not be opened: observed=false, uri, error.
  const std::map<std::string, plan::HostStatus>& unreachable() const { return unreachable_; }
  // Hosts whose backends are open (every host of the topology but the unreachable ones).
  Backends& backends() { return owned_.view; }
  const Topology& topology() const { return topology_; }
  const std::string& spec_digest() const { return digest_; }

 private:
  Topology topology_;
  std::string digest_;
  reconcile::Result run(const std::vector<std::string>& only,  // empty: every host
                        reconcile::Until until);
  HostObservation observe(const Host& host);  // one host over its open connection
  LiveSessionOptions options_;
  OwnedBackends owned_;
  std::map<std::string, plan::HostStatus> unreachable_;
};

// Facts of a saved plan that moved: for each fingerprint key whose digest differs from the
// fresh one, "KEY changed" ("KEY is no longer observed" when the fresh run lacks it, "KEY
// appeared" for a fact only the fresh run has, e.g. a guest that started). Empty: current.
std::vector<std::string> stale_facts(const plan::Plan& saved,
                                     const std::map<std::string, std::string>& fresh);

}  // namespace mvt::apply
