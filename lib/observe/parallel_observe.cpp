#include "observe/parallel_observe.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>

#include "libvirt/libvirt_hypervisor.hpp"
#include "util/errors.hpp"

namespace mvt {
namespace {


bool wanted(const ObserveOptions& o, const std::string& host) {
  if (o.hosts.empty()) return true;
  for (const auto& h : o.hosts)
    if (h == host) return true;
  return false;
}

HostObservation unreachable(const Host& host, const std::string& error) {
  HostObservation h;
  h.host = host.name;
  h.uri = host.uri;
  h.reachable = false;
  h.error = error;
  h.files_source = host.files;
  return h;
}

}  // namespace

Host observation_view(const Host& h) {
  Host v;
  v.name = h.name;
  v.uri = h.uri;
  v.files = h.files;
  for (const auto& [n, nic] : h.nics) {
    HostNic c;
    c.name = nic.name;
    c.mac = nic.mac;
    c.config = nic.config;
    c.kind = nic.kind;
    c.parent = nic.parent;
    c.vlan_id = nic.vlan_id;
    v.nics.emplace_hint(v.nics.end(), n, std::move(c));
  }
  for (const auto& [n, g] : h.guests) {
    Guest c;
    c.name = g.name;
    c.guest_files = g.guest_files;
    c.activate = g.activate;
    // The names only: a source that cannot list (the agent) reads the files they name
    // (guest_device_names()), in plan as in apply.
    for (const auto& i : g.interfaces) {
      GuestInterface named;
      named.name = i.name;
      c.interfaces.push_back(std::move(named));
    }
    v.guests.emplace_hint(v.guests.end(), n, std::move(c));
  }
  return v;
}

namespace {

// The default observer of a host: connect, observe.
HostObservation connect_and_observe(const Host& host, const ObserveOptions& opts) {
  // As observe(): a host with a guest read through the agent needs a read-write connection
  // (libvirt refuses agent commands on read-only ones); the sources stay read-only.
  bool agent = false;
  for (const auto& [_, g] : host.guests) agent = agent || g.guest_files.kind == FileSourceKind::Agent;
  const bool ro_conn = opts.read_only && !(agent && !opts.files);
  std::unique_ptr<Hypervisor> hv = opts.hypervisor ? opts.hypervisor(host.uri, ro_conn)
                                                   : LibvirtHypervisor::connect(host.uri, ro_conn);
  return observe_host(host, *hv, opts);
}

}  // namespace

std::string timeout_text(std::chrono::milliseconds t) {
  const auto ms = t.count();
  return "timed out after " +
         (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms");
}

Observation observe_parallel(const Topology& desired, const ObserveOptions& opts,
                             const ParallelOptions& popts) {
  // What the tasks read is theirs (shared with them): a timed-out task may outlive this call
  // and the caller's topology.
  struct Work {
    std::vector<Host> hosts;  // observation_view()s
    std::vector<std::optional<HostObservation>> results;
    ObserveOptions opts;
    std::function<HostObservation(const Host&)> observe;
  };
  auto work = std::make_shared<Work>();
  for (const auto& [name, host] : desired.hosts)
    if (wanted(opts, name)) work->hosts.push_back(observation_view(host));
  work->results.resize(work->hosts.size());
  work->opts = opts;
  work->observe = popts.observe;

  const int total = static_cast<int>(work->hosts.size());
  int finished = 0;
  Observation obs;
  ThreadPool::EachOptions eo;
  eo.parallel = popts.parallel;
  eo.timeout = popts.host_timeout;
  eo.on_start = [&](std::size_t k) {
    if (popts.progress)
      popts.progress({HostProgress::Event::Started, work->hosts[k].name, "", 0, 0, finished, total});
  };
  eo.on_end = [&](std::size_t k, const ThreadPool::Outcome& out) {
    const Host& host = work->hosts[k];
    HostObservation h;
    if (out.state == ThreadPool::Outcome::State::TimedOut)
      h = unreachable(host, timeout_text(popts.host_timeout));
    else
      h = std::move(*work->results[k]);  // the task never throws: it records the failure
    ++finished;
    if (popts.progress)
      popts.progress({h.reachable ? HostProgress::Event::Finished : HostProgress::Event::Failed,
                      h.host, h.error, static_cast<int>(h.domains.size()), out.seconds, finished,
                      total});
    obs.hosts.emplace(h.host, std::move(h));
  };
  ThreadPool::shared().run_each(
      work->hosts.size(),
      [work](std::size_t k) {
        const Host& host = work->hosts[k];
        HostObservation h;
        try {
          h = work->observe ? work->observe(host) : connect_and_observe(host, work->opts);
        } catch (const std::exception& e) {
          h = unreachable(host, e.what());
        } catch (...) {
          h = unreachable(host, "unknown failure");
        }
        work->results[k] = std::move(h);
      },
      eo);
  return obs;
}

std::vector<std::string> failed_hosts(const Observation& obs) {
  std::vector<std::string> out;
  for (const auto& [name, h] : obs.hosts)
    if (!h.reachable) out.push_back(name);
  return out;
}

std::string format_progress(const HostProgress& p) {
  const std::string count =
      "[" + std::to_string(p.finished) + "/" + std::to_string(p.total) + "] ";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", p.seconds);
  switch (p.event) {
    case HostProgress::Event::Started: return p.host + ": observing ...";
    case HostProgress::Event::Finished:
      return count + p.host + ": " + std::to_string(p.domains) + " domains, " + secs;
    case HostProgress::Event::Failed: return count + p.host + ": FAILED (" + p.error + ")";
  }
  return count + p.host;
}

}  // namespace mvt
