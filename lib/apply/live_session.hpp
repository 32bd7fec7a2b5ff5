#pragma once
// LiveSession: the read-write side of `apply` for one topology. It opens one libvirt
// connection per host (read-write) and the host's and guests' file sources once, and then
// observes, diffs and plans over those same connections, so that apply and the verification
// re-plan see one world. (libvirt's test:/// driver forgets defines when its connection
// closes: a second connection would verify against the unchanged fixture.)
//
// Observation itself stays read-only: file sources are reopened read-only for reading
// (dir:/local), commands never run while observing.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "apply/backends.hpp"
#include "diff/change_set.hpp"
#include "model/topology.hpp"
#include "observe/parallel_observe.hpp"
#include "plan/plan.hpp"
#include "util/diagnostics.hpp"

namespace mvt::apply {

struct LiveSessionOptions {
  HypervisorFactory hypervisor;  // empty: LibvirtHypervisor::connect(uri, read_only=false)
  FileSourceFactory files = default_file_source;
  // Guests whose `dir:`/local files are read at once while the domains are fetched
  // (`--parallel`); other sources are read one guest after the other.
  int file_parallel = kDefaultParallel;
};

class LiveSession {
 public:
  // Opens every host's connection and sources; throws LibvirtError ("cannot connect to
  // URI: ...") or AccessError when one cannot be opened.
  LiveSession(Topology topology, std::string spec_digest, LiveSessionOptions options = {});

  // Observe + diff. Problems (undefined guest, unreadable files) are in .diagnostics.
  diff::ChangeSet changes();
  // changes() + make_plan. On diagnostics with errors, they are appended to `diags` and an
  // empty plan is returned.
  plan::Plan plan(Diagnostics& diags);
  // The plan of changes() already computed (one observation, not two).
  plan::Plan plan_of(const diff::ChangeSet& cs) const;
  // For the executor's verification: plan(), throwing Error when the re-plan itself fails.
  plan::Plan replan();

  Backends& backends() { return owned_.view; }
  const Topology& topology() const { return topology_; }
  const std::string& spec_digest() const { return digest_; }

 private:
  Topology topology_;
  std::string digest_;
  LiveSessionOptions options_;
  OwnedBackends owned_;
};

// Facts of a saved plan that moved: for each fingerprint key whose digest differs from the
// fresh one, "KEY changed" ("KEY is no longer observed" when the fresh run lacks it, "KEY
// appeared" for a fact only the fresh run has, e.g. a guest that started). Empty: current.
std::vector<std::string> stale_facts(const plan::Plan& saved,
                                     const std::map<std::string, std::string>& fresh);

}  // namespace mvt::apply
