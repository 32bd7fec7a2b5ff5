#pragma once
// observe_parallel(): observe() for fleets. Each host is observed as its own task of the
// tool's thread pool (util/thread_pool.hpp) over its own libvirt connection (observe_host(),
// unchanged) - or through ParallelOptions::observe (apply's open connections) - at most
// `parallel` hosts at a time. Each task sees observation_view() of its host.
//
// Failure isolation: a host whose connection fails, whose observation throws (libvirt error
// mid-way, malformed domain XML) or that takes longer than `host_timeout` is recorded as not
// reachable (HostObservation::reachable = false, ::error says why: "cannot connect to URI:
// ...", "timed out after 30 s", ...); the other hosts are observed all the same. A timed-out
// host's task is abandoned (ThreadPool::run_each; it owns copies of what it reads, so it can
// finish or hang harmlessly until the process exits) and its slot goes to the next host.
//
// Progress: `progress` is called on the CALLING thread only (never concurrently), when a host
// starts and when it ends; the library never prints (format_progress() gives the CLI a line).
//
// Determinism: the result is the same Observation observe() gives (a map by host name),
// whatever the order hosts finish in.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "model/observed.hpp"
#include "model/topology.hpp"
#include "observe/observe.hpp"
#include "util/thread_pool.hpp"

namespace mvt {

struct HostProgress {
  enum class Event { Started, Finished, Failed };
  Event event = Event::Started;
  std::string host;
  std::string error;      // Failed: why
  int domains = 0;        // Finished: domains read
  double seconds = 0;     // Finished/Failed: time spent on the host
  int finished = 0;       // hosts finished or failed so far, this one included
  int total = 0;          // hosts to observe
};

struct ParallelOptions {
  int parallel = 8;                        // hosts observed at once (values < 1 mean 1)
  std::chrono::milliseconds host_timeout{0};  // 0: no limit
  std::function<void(const HostProgress&)> progress;  // may be empty
  // Observes one host, given its observation_view(). Empty: opens its connection
  // (ObserveOptions::hypervisor, else libvirt; read-only unless an agent source needs
  // read-write) and calls observe_host(). An exception is recorded as the host's error. With
  // a host_timeout it must own (or outlive) what it uses: an abandoned call goes on alone.
  std::function<HostObservation(const Host&)> observe;
};

// The default of `--parallel`.
inline constexpr int kDefaultParallel = 8;

// Observes every wanted host of `desired` (opts.hosts limits them, as observe() does).
Observation observe_parallel(const Topology& desired, const ObserveOptions& opts,
                             const ParallelOptions& popts = {});

// "timed out after 30 s" (or "... 200 ms"): a host's error when its time limit passed.
std::string timeout_text(std::chrono::milliseconds t);

// Names of the hosts of `obs` that could not be observed, sorted.
std::vector<std::string> failed_hosts(const Observation& obs);

// "[3/20] kvm7: 1204 domains, 0.8 s" / "[4/20] kvm9: FAILED (cannot connect ...)" /
// "kvm7: observing ..." (Started): one line, no newline.
std::string format_progress(const HostProgress& p);

// What observation reads of a host (name, URI, file sources, NIC names and MACs, guest names
// with their file sources, activation and interface names): a copy of only that, not of
// the guests' interfaces and source positions (at 10,000 guests a whole copy of the host
// cost ~40 MB of peak memory). Every path of observation (plan, drift, show, apply) sees
// this same view, so they read the same files.
Host observation_view(const Host& h);

}  // namespace mvt
