// observe_parallel(): many hosts at once, bounded, failures isolated, same result as
// observe(); parallel_for(). Hosts are libvirt test-driver node files written here.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <mutex>
#include <set>
#include <thread>

#include "stub_hypervisor.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "observe/parallel_observe.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

namespace {

using namespace std::chrono_literals;

// A node file with `n` domains named <prefix>-<k>, each with one direct interface.
std::string node_xml(const std::string& prefix, int n) {
  std::string out = "<node>\n";
  for (int k = 0; k < n; ++k)
    out += fmt::format(
        "<domain type='test'><name>{}-{}</name>"
        "<uuid>0c0ffee0-0000-4000-8000-{:06x}{:06x}</uuid><memory unit='KiB'>65536</memory>"
        "<os><type>hvm</type></os><devices><interface type='direct'>"
        "<mac address='52:54:02:00:{:02x}:{:02x}'/><source dev='em2' mode='private'/>"
        "</interface></devices></domain>\n",
        prefix, k, std::hash<std::string>{}(prefix) % 0xffffff, k, std::hash<std::string>{}(prefix) % 256, k);
  return out + "</node>\n";
}

// `hosts` hosts h0..h{n-1}, host k with k+1 domains.
mvt::Topology fleet(const std::filesystem::path& dir, int hosts) {
  mvt::Topology t;
  for (int k = 0; k < hosts; ++k) {
    const std::string name = "h" + std::to_string(k);
    const auto node = dir / (name + ".xml");
    mvt::test::write_file(node, node_xml(name, k + 1));
    auto& h = t.hosts[name];
    h.name = name;
    h.uri = "test://" + node.string();
  }
  return t;
}

}  // namespace

TEST_CASE("parallel observe: same observation as observe(), every host" *
          doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  const auto t = fleet(tmp.path(), 6);
  const auto seq = mvt::observe(t);
  mvt::ParallelOptions p;
  p.parallel = 3;
  const auto par = mvt::observe_parallel(t, {}, p);
  REQUIRE(par.hosts.size() == 6);
  for (const auto& [name, h] : seq.hosts) {
    const auto& q = par.hosts.at(name);
    CHECK(q.reachable);
    REQUIRE(q.domains.size() == h.domains.size());
    for (const auto& [dn, d] : h.domains) {
      CHECK(q.domains.at(dn).inactive_xml == d.inactive_xml);
      CHECK(q.domains.at(dn).config.size() == 1);
    }
  }
  CHECK(par.hosts.at("h5").domains.size() == 6);
  CHECK(mvt::failed_hosts(par).empty());
}

TEST_CASE("parallel observe: an unreachable host fails alone" * doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  auto t = fleet(tmp.path(), 4);
  t.hosts["h2"].uri = "test:///nonexistent/node.xml";
  const auto obs = mvt::observe_parallel(t, {}, {});
  REQUIRE(obs.hosts.size() == 4);
  CHECK_FALSE(obs.hosts.at("h2").reachable);
  CHECK(obs.hosts.at("h2").error.find("cannot connect to test:///nonexistent/node.xml") == 0);
  CHECK(obs.hosts.at("h3").reachable);
  CHECK(obs.hosts.at("h3").domains.size() == 4);
  CHECK(mvt::failed_hosts(obs) == std::vector<std::string>{"h2"});
}

TEST_CASE("parallel observe: a malformed domain XML fails its host only" *
          doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  auto t = fleet(tmp.path(), 3);
  mvt::ObserveOptions o;
  // h1's hypervisor hands out XML that is not XML; the others are real.
  struct Broken : mvt::test::StubHypervisor {
    std::unique_ptr<mvt::Hypervisor> real;
    std::string uri() const override { return real->uri(); }
    std::vector<mvt::DomainSummary> list_domains() override { return real->list_domains(); }
    std::optional<std::string> domain_xml(const std::string&, bool) override {
      return std::string("<domain><devices><interface");
    }
    std::string agent_command(const std::string&, const std::string&,
                              std::chrono::seconds) override {
      return {};
    }
    std::optional<std::vector<mvt::HostNicState>> host_interfaces() override {
      return std::nullopt;
    }
    bool supports_hotplug() const override { return false; }
  };
  const std::string bad_uri = t.hosts.at("h1").uri;
  o.hypervisor = [bad_uri](const std::string& uri, bool ro) -> std::unique_ptr<mvt::Hypervisor> {
    auto real = mvt::LibvirtHypervisor::connect(uri, ro);
    if (uri != bad_uri) return real;
    auto b = std::make_unique<Broken>();
    b->real = std::move(real);
    return b;
  };
  const auto obs = mvt::observe_parallel(t, o, {});
  CHECK_FALSE(obs.hosts.at("h1").reachable);
  INFO(obs.hosts.at("h1").error);
  CHECK(obs.hosts.at("h1").error.find("of h1-") != std::string::npos);  // names the domain
  CHECK(obs.hosts.at("h0").reachable);
  CHECK(obs.hosts.at("h2").reachable);
}

TEST_CASE("parallel observe: at most --parallel hosts at once" * doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  const auto t = fleet(tmp.path(), 6);
  std::atomic<int> inflight{0}, peak{0};
  mvt::ObserveOptions o;
  o.hypervisor = [&](const std::string& uri, bool ro) {
    const int now = ++inflight;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    std::this_thread::sleep_for(100ms);
    --inflight;
    return mvt::LibvirtHypervisor::connect(uri, ro);
  };
  mvt::ParallelOptions p;
  p.parallel = 2;
  const auto obs = mvt::observe_parallel(t, o, p);
  CHECK(obs.hosts.size() == 6);
  CHECK(peak.load() == 2);
  CHECK(mvt::failed_hosts(obs).empty());

  peak = 0;
  p.parallel = 1;
  mvt::observe_parallel(t, o, p);
  CHECK(peak.load() == 1);
}

TEST_CASE("parallel observe: a host over its time limit is failed, the others finish" *
          doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  const auto t = fleet(tmp.path(), 3);
  const std::string slow = t.hosts.at("h1").uri;
  mvt::ObserveOptions o;
  o.hypervisor = [slow](const std::string& uri, bool ro) {
    if (uri == slow) {
      std::this_thread::sleep_for(1500ms);
      throw mvt::LibvirtError("cannot connect to " + uri + ": too late", 1);
    }
    return mvt::LibvirtHypervisor::connect(uri, ro);
  };
  mvt::ParallelOptions p;
  p.host_timeout = 200ms;
  std::vector<mvt::HostProgress> events;
  const auto caller = std::this_thread::get_id();
  bool same_thread = true;
  p.progress = [&](const mvt::HostProgress& e) {
    same_thread = same_thread && std::this_thread::get_id() == caller;
    events.push_back(e);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const auto obs = mvt::observe_parallel(t, o, p);
  CHECK(std::chrono::steady_clock::now() - t0 < 1200ms);
  CHECK_FALSE(obs.hosts.at("h1").reachable);
  CHECK(obs.hosts.at("h1").error == "timed out after 200 ms");
  CHECK(obs.hosts.at("h0").reachable);
  CHECK(obs.hosts.at("h2").reachable);
  CHECK(same_thread);
  int started = 0, ended = 0;
  for (const auto& e : events) (e.event == mvt::HostProgress::Event::Started ? started : ended)++;
  CHECK(started == 3);
  CHECK(ended == 3);
  CHECK(events.back().finished == 3);
  CHECK(mvt::format_progress(events.back()).rfind("[3/3] ", 0) == 0);
  // Let the abandoned thread end before the temp dir goes (it only sleeps and throws).
  std::this_thread::sleep_for(1500ms);
}

TEST_CASE("parallel observe: --host limits the hosts" * doctest::test_suite("parallel")) {
  mvt::test::TempDir tmp;
  const auto t = fleet(tmp.path(), 4);
  mvt::ObserveOptions o;
  o.hosts = {"h1", "h3"};
  const auto obs = mvt::observe_parallel(t, o, {});
  CHECK(obs.hosts.size() == 2);
  CHECK(obs.hosts.count("h1") == 1);
  CHECK(obs.hosts.count("h3") == 1);
}

TEST_CASE("parallel_for: every index once, bounded, first exception rethrown" *
          doctest::test_suite("parallel")) {
  std::mutex mu;
  std::multiset<std::size_t> seen;
  mvt::parallel_for(100, 4, [&](std::size_t k) {
    std::lock_guard<std::mutex> lock(mu);
    seen.insert(k);
  });
  CHECK(seen.size() == 100);
  CHECK(std::set<std::size_t>(seen.begin(), seen.end()).size() == 100);

  std::set<std::thread::id> threads;
  mvt::parallel_for(40, 3, [&](std::size_t) {
    std::this_thread::sleep_for(5ms);
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  });
  CHECK(threads.size() <= 3);
  CHECK(threads.size() >= 2);

  CHECK_THROWS_WITH(mvt::parallel_for(10, 2,
                                      [](std::size_t k) {
                                        if (k == 3) throw std::runtime_error("boom 3");
                                      }),
                    "boom 3");
  int calls = 0;
  mvt::parallel_for(0, 4, [&](std::size_t) { ++calls; });
  CHECK(calls == 0);
}
