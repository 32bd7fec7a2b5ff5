#include "observe/parallel_observe.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "libvirt/libvirt_hypervisor.hpp"
#include "util/errors.hpp"

namespace mvt {
namespace {

using Clock = std::chrono::steady_clock;

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

// What one host's thread shares with the coordinator. Owned jointly (shared_ptr) so that an
// abandoned (timed-out) thread never touches freed memory.
// What observation reads of a host (name, URI, file sources, NIC and guest names): a copy
// of only that, not of the guests' interfaces and source positions (at 10,000 guests a whole
// copy of the host cost ~40 MB of peak memory).
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
    v.nics.emplace_hint(v.nics.end(), n, std::move(c));
  }
  for (const auto& [n, g] : h.guests) {
    Guest c;
    c.name = g.name;
    c.guest_files = g.guest_files;
    c.activate = g.activate;
    v.guests.emplace_hint(v.guests.end(), n, std::move(c));
  }
  return v;
}

struct HostTask {
  Host host;               // observation_view(): the caller's Topology may be gone when a
                           // thread hangs
  ObserveOptions opts;     // a copy, for the same reason
  std::optional<HostObservation> result;
  bool done = false;
  Clock::time_point started;
};

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
};

// The body of a host's thread: connect, observe, never throw.
void run_host(const std::shared_ptr<HostTask>& t, const std::shared_ptr<Shared>& sh) {
  HostObservation h;
  try {
    // As observe(): a host with a guest read through the agent needs a read-write connection
    // (libvirt refuses agent commands on read-only ones); the sources stay read-only.
    bool agent = false;
    for (const auto& [_, g] : t->host.guests)
      agent = agent || g.guest_files.kind == FileSourceKind::Agent;
    const bool ro_conn = t->opts.read_only && !(agent && !t->opts.files);
    std::unique_ptr<Hypervisor> hv =
        t->opts.hypervisor ? t->opts.hypervisor(t->host.uri, ro_conn)
                           : LibvirtHypervisor::connect(t->host.uri, ro_conn);
    h = observe_host(t->host, *hv, t->opts);
  } catch (const std::exception& e) {
    h = unreachable(t->host, e.what());
  } catch (...) {
    h = unreachable(t->host, "unknown failure");
  }
  std::lock_guard<std::mutex> lock(sh->mu);
  t->result = std::move(h);
  t->done = true;
  sh->cv.notify_all();
}

}  // namespace

Observation observe_parallel(const Topology& desired, const ObserveOptions& opts,
                             const ParallelOptions& popts) {
  const std::size_t limit = static_cast<std::size_t>(std::max(1, popts.parallel));
  std::vector<const Host*> todo;
  for (const auto& [name, host] : desired.hosts)
    if (wanted(opts, name)) todo.push_back(&host);

  Observation obs;
  auto sh = std::make_shared<Shared>();
  struct Running {
    std::shared_ptr<HostTask> task;
    std::thread thread;
  };
  std::vector<Running> running;
  std::size_t next = 0;
  int finished = 0;
  const int total = static_cast<int>(todo.size());
  auto report = [&](HostProgress p) {
    if (popts.progress) popts.progress(p);
  };

  std::unique_lock<std::mutex> lock(sh->mu);
  while (next < todo.size() || !running.empty()) {
    while (running.size() < limit && next < todo.size()) {
      auto t = std::make_shared<HostTask>();
      t->host = observation_view(*todo[next++]);
      t->opts = opts;
      t->started = Clock::now();
      lock.unlock();
      report({HostProgress::Event::Started, t->host.name, "", 0, 0, finished, total});
      std::thread th(run_host, t, sh);
      lock.lock();
      running.push_back({t, std::move(th)});
    }
    // Wait for a host to finish, or for the earliest deadline.
    auto any_done = [&] {
      for (const auto& r : running)
        if (r.task->done) return true;
      return false;
    };
    if (popts.host_timeout.count() > 0) {
      Clock::time_point earliest = Clock::time_point::max();
      for (const auto& r : running)
        earliest = std::min(earliest, r.task->started + popts.host_timeout);
      sh->cv.wait_until(lock, earliest, any_done);
    } else {
      sh->cv.wait(lock, any_done);
    }
    const auto now = Clock::now();
    for (auto it = running.begin(); it != running.end();) {
      auto& t = *it->task;
      const double secs = std::chrono::duration<double>(now - t.started).count();
      if (t.done) {
        HostObservation h = std::move(*t.result);
        lock.unlock();
        it->thread.join();
        ++finished;
        HostProgress p{h.reachable ? HostProgress::Event::Finished : HostProgress::Event::Failed,
                       h.host, h.error, static_cast<int>(h.domains.size()), secs, finished,
                       total};
        report(p);
        lock.lock();
        obs.hosts.emplace(h.host, std::move(h));
        it = running.erase(it);
      } else if (popts.host_timeout.count() > 0 && now >= t.started + popts.host_timeout) {
        it->thread.detach();  // abandoned: it owns its inputs through the shared task
        const auto ms = popts.host_timeout.count();
        std::string why = "timed out after " +
                          (ms % 1000 == 0 ? std::to_string(ms / 1000) + " s"
                                          : std::to_string(ms) + " ms");
        HostObservation h = unreachable(t.host, why);
        ++finished;
        lock.unlock();
        report({HostProgress::Event::Failed, h.host, why, 0, secs, finished, total});
        lock.lock();
        obs.hosts.emplace(h.host, std::move(h));
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }
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

void parallel_for(std::size_t n, int parallel, const std::function<void(std::size_t)>& body) {
  const std::size_t threads =
      std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, parallel)));
  if (threads <= 1) {
    for (std::size_t k = 0; k < n; ++k) body(k);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first;
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      if (failed.load()) return;
      const std::size_t k = next.fetch_add(1);
      if (k >= n) return;
      try {
        body(k);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!first) first = std::current_exception();
        failed = true;
      }
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace mvt
