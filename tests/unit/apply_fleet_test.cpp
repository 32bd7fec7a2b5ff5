// Issue 13 point 1 (per-host apply) on several hosts of libvirt's test:/// driver: each host
// is a copy of the embedded lab (specs/lab) with its own node file, its own dir: roots and
// its own guest (webN, MACs and addresses of its own), applied one host at a time in order
// of name, each with its own lock, journal, verification and rollback.
//
// libvirt's test:/// driver keeps defines only as long as its connection: in-process tests
// use one LiveSession for apply, verification re-plan and the final re-plan; CLI tests judge
// files, journals and output (their verification re-planned within the applying process).
//
// A fake where the real driver cannot do it (see FlakyHypervisor): a host that fails in the
// middle of its apply, and a slow host. Everything else is the real test driver.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "apply/executor.hpp"
#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/live_session.hpp"
#include "apply_test_support.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "spec/loader.hpp"
#include "test_support.hpp"
#include "util/errors.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_tool_env;
using mvt::test::snapshot_tree;
using mvt::test::TempDir;
using mvt::test::Tree;
using mvt::test::write_file;

namespace {

using mvt::test::replace_all;

// A lab host's summary through the CLI: its guest's files are dir:, so its guest checks are
// skipped, and the line says so instead of "verified" (issue 16).
const std::string kApplied6 =
    "applied 6 steps, re-plan clean; guest checks: 1 skipped (not verified live)";

// A fleet of lab copies: host kvmN (N = 1..9) has base/kvmN/{node.xml,host/,guest-webN/}.
struct Fleet {
  TempDir t;
  fs::path base, state;
  std::string yaml = "version: 1\nhosts:\n";
  std::vector<int> hosts;

  Fleet() {
    base = t.path() / "fleet";
    state = t.path() / "state";
    fs::create_directories(base);
  }
  static std::string name(int n) { return "kvm" + std::to_string(n); }
  fs::path dir(int n) const { return base / name(n); }

  // A reachable host with pending changes (the lab's BEFORE state).
  void add(int n) {
    const std::string d = std::to_string(n);
    const fs::path lab = test::source_dir() / "specs" / "lab";
    fs::create_directories(dir(n));
    fs::copy(lab / "host", dir(n) / "host", fs::copy_options::recursive);
    fs::copy(lab / "guest-web1", dir(n) / ("guest-web" + d), fs::copy_options::recursive);
    // Host NIC MACs of its own (18:66:da:9f:9N:..), guest web N, eth0 MAC of its own.
    for (const auto& e : fs::recursive_directory_iterator(dir(n) / "host"))
      if (e.is_regular_file())
        write_file(e.path(), replace_all(read_file(e.path()), "18:66:da:9f:96:", "18:66:da:9f:9" + d + ":"));
    std::string node = read_file(lab / "node.xml");
    node = replace_all(node, "<name>web1</name>", "<name>web" + d + "</name>");
    node = replace_all(node, "5b1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b5c", "5b1f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b5" + d);
    node = replace_all(node, "18:66:da:9f:96:", "18:66:da:9f:9" + d + ":");
    node = replace_all(node, "52:54:00:b4:87:0f", "52:54:00:b4:87:0" + d);
    write_file(dir(n) / "node.xml", node);
    const std::string k = name(n), ip = std::to_string(8 * n + 2), gw = std::to_string(8 * n + 1);
    yaml += "  " + k + ":\n    uri: test:" + k + "/node.xml\n    files: dir:" + k +
            "/host\n    nics:\n      em1: {config: host, mac: \"18:66:da:9f:9" + d +
            ":d6\"}\n      em2: {config: unconfigured, mac: \"18:66:da:9f:9" + d +
            ":d7\"}\n    guests:\n      web" + d + ":\n        guest_files: dir:" + k +
            "/guest-web" + d +
            "\n        activate: reboot\n        interfaces:\n"
            "          - name: eth0\n            network: default\n            ipv4: dhcp\n"
            "            defroute: false\n            peerdns: false\n"
            "          - name: ens9\n            direct: {dev: em2, mode: private}\n"
            "            mac: \"52:54:00:5d:9c:3" + d + "\"\n            ipv4: {address: 192.0.2." + ip +
            "/29, gateway: 192.0.2." + gw + "}\n            defroute: true\n            peerdns: false\n";
    hosts.push_back(n);
  }
  // A host that cannot be reached: `uri` as given (a closed port on loopback, or a test
  // node file that does not exist for in-process tests, which pass no guard).
  void add_unreachable(int n, const std::string& uri) {
    yaml += "  " + name(n) + ":\n    uri: " + uri + "\n    files: none\n";
  }
  fs::path spec() const {
    write_file(base / "fleet.yaml", yaml);
    return base / "fleet.yaml";
  }
  Topology topology() const {
    auto r = spec::load({spec().string()});
    for (const auto& d : r.diagnostics.items()) INFO(d.message);
    REQUIRE_FALSE(r.diagnostics.has_errors());
    return r.topology;
  }
  std::vector<std::string> args(std::vector<std::string> a) const {
    std::vector<std::string> out{"--state-dir", state.string(), "--color", "never"};
    out.insert(out.end(), a.begin(), a.end());
    out.push_back("-f");
    out.push_back(spec().string());
    return out;
  }
  // The files of host N (host root and guest root).
  Tree files(int n) const {
    Tree out;
    for (auto& [k, v] : snapshot_tree(dir(n) / "host")) out["host/" + k] = v;
    for (auto& [k, v] : snapshot_tree(dir(n) / ("guest-web" + std::to_string(n)))) out["guest/" + k] = v;
    return out;
  }
  std::string guest_file(int n, const std::string& f) const {
    return read_file(dir(n) / ("guest-web" + std::to_string(n)) / ifcfg::kDir / f);
  }
  bool has_guest_file(int n, const std::string& f) const {
    return fs::exists(dir(n) / ("guest-web" + std::to_string(n)) / ifcfg::kDir / f);
  }
};

// A FAKE around the real test:/// connection, for what the test driver cannot do on its own:
// fail in the middle of an apply (`fail_define`: the FIRST define_xml throws a LibvirtError,
// as a daemon refusing the new definition would; the file steps before it have run, and the
// rollback's own define of the old definition goes through), or answer
// slowly (`delay` before every call, as a remote host over a slow link). Every call is
// otherwise the real driver's.
class FlakyHypervisor : public Hypervisor {
 public:
  template <class F>
  auto slow(F f) -> decltype(f()) {
    wait();
    return f();
  }
  FlakyHypervisor(std::unique_ptr<Hypervisor> real, bool fail_define,
                  std::chrono::milliseconds delay)
      : real_(std::move(real)), fail_define_(fail_define), delay_(delay) {}
  std::string uri() const override { return real_->uri(); }
  std::vector<DomainSummary> list_domains() override { return slow([&] { return real_->list_domains(); }); }
  std::optional<std::string> domain_xml(const std::string& n, bool inactive) override {
    return slow([&] { return real_->domain_xml(n, inactive); });
  }
  void define_xml(const std::string& xml) override {
    wait();
    if (fail_define_) {
      fail_define_ = false;
      throw LibvirtError("injected: the daemon refused the definition", 1);
    }
    real_->define_xml(xml);
  }
  void attach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    wait();
    real_->attach_device(d, x, l, c);
  }
  void detach_device(const std::string& d, const std::string& x, bool l, bool c) override {
    wait();
    real_->detach_device(d, x, l, c);
  }
  void update_device(const std::string& d, const std::string& x, bool l, bool c) override {
    wait();
    real_->update_device(d, x, l, c);
  }
  void start(const std::string& d) override { wait(); real_->start(d); }
  void shutdown(const std::string& d) override { wait(); real_->shutdown(d); }
  void destroy(const std::string& d) override { wait(); real_->destroy(d); }
  void reboot(const std::string& d) override { wait(); real_->reboot(d); }
  std::string agent_command(const std::string& d, const std::string& j, std::chrono::seconds t) override {
    return slow([&] { return real_->agent_command(d, j, t); });
  }
  std::optional<std::vector<HostNicState>> host_interfaces() override {
    return slow([&] { return real_->host_interfaces(); });
  }
  bool supports_hotplug() const override { return real_->supports_hotplug(); }

 private:
  void wait() const {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
  }
  std::unique_ptr<Hypervisor> real_;
  bool fail_define_;
  std::chrono::milliseconds delay_;
};

// A LiveSession whose connections are the real test driver's, wrapped for the hosts named.
apply::LiveSession session(const Fleet& f, const std::string& failing = {},
                           const std::string& slow = {}) {
  Topology topo = f.topology();
  std::map<std::string, std::string> uri_of;
  for (const auto& [n, h] : topo.hosts) uri_of[h.uri] = n;
  apply::LiveSessionOptions lo;
  lo.hypervisor = [uri_of, failing, slow](const std::string& uri) -> std::unique_ptr<Hypervisor> {
    auto real = LibvirtHypervisor::connect(uri, false);
    const std::string host = uri_of.count(uri) ? uri_of.at(uri) : "";
    if (host != failing && host != slow) return real;
    return std::make_unique<FlakyHypervisor>(std::move(real), host == failing,
                                             host == slow ? std::chrono::milliseconds(20)
                                                          : std::chrono::milliseconds(0));
  };
  return apply::LiveSession(std::move(topo), "digest", std::move(lo));
}

apply::ApplyOptions options(const Fleet& f, apply::LiveSession& live) {
  apply::ApplyOptions o;
  o.state_dir = f.state;
  o.verify_attempts = 1;
  o.verify_interval = std::chrono::milliseconds(0);
  o.replan_host = [&live](const std::string& h) { return live.replan(h); };
  return o;
}

const apply::HostResult& outcome(const apply::FleetResult& r, const std::string& host) {
  for (const auto& h : r.hosts)
    if (h.host == host) return h;
  FAIL("no outcome for host " << host);
  return r.hosts.front();
}

// The domain's interfaces as the session sees them (persistent definition).
std::string inactive_xml(apply::LiveSession& live, const std::string& host, const std::string& guest) {
  auto x = live.backends().at(host).hypervisor->domain_xml(guest, true);
  REQUIRE(x);
  return *x;
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("fleet: two hosts with pending changes are applied in one run, each verified, and "
          "re-plan empty" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  auto live = session(f);
  REQUIRE(live.unreachable().empty());
  const plan::Plan p = live.plan_of(live.changes());
  std::set<std::string> planned;
  for (const auto& s : p.steps) planned.insert(s.host);
  REQUIRE(planned == std::set<std::string>{"kvm1", "kvm2"});

  std::vector<std::string> order;  // the hosts in the order they were done
  auto o = options(f, live);
  o.host_done = [&](const apply::HostResult& h) { order.push_back(h.host); };
  int replans = 0;
  o.replan_host = [&](const std::string& h) {
    ++replans;
    // Each verification re-plans its own host only: kvm1's must not see kvm2's pending
    // changes (the bug of issue 13: kvm1 was rolled back because kvm2 was not applied yet).
    auto again = live.replan(h);
    for (const auto& s : again.steps) CHECK(s.host == h);
    return again;
  };
  apply::ApplySession s(live.backends(), o);
  const auto r = s.apply_hosts(p);
  s.commit();
  CHECK(r.ok());
  CHECK(order == std::vector<std::string>{"kvm1", "kvm2"});
  CHECK(replans == 2);
  for (const char* h : {"kvm1", "kvm2"}) {
    CAPTURE(h);
    const auto& hr = outcome(r, h);
    INFO(hr.result.error);
    CHECK(hr.outcome == apply::HostOutcome::Applied);
    // No guest checks in this session: the line does not say "verified" (issue 16).
    CHECK(apply::outcome_line(hr) ==
          std::string(h) + ": applied 6 steps, re-plan clean; guest checks: not run (not verified live)");
    // Its own journal, holding only its own steps, committed.
    auto jn = apply::read_host_journal(f.state, h);
    REQUIRE(jn);
    CHECK(jn->status == "applied");
    CHECK(jn->steps.size() == 6);
    for (const auto& st : jn->steps) CHECK(st.host == h);
  }
  // Both hosts hold the spec's state now, and the re-plan of everything is empty.
  CHECK(f.guest_file(1, "ifcfg-ens9").find("IPADDR=192.0.2.10") != std::string::npos);
  CHECK(f.guest_file(2, "ifcfg-ens9").find("IPADDR=192.0.2.18") != std::string::npos);
  CHECK(inactive_xml(live, "kvm1", "web1").find("52:54:00:5d:9c:31") != std::string::npos);
  CHECK(inactive_xml(live, "kvm2", "web2").find("52:54:00:5d:9c:32") != std::string::npos);
  CHECK_FALSE(live.replan().has_changes());
}

TEST_CASE("fleet cli: two hosts applied in one run, summary per host, exit 0" *
          doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  const auto r = run_tool_env(f.args({"apply", "--yes"}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("\nSummary:\n  kvm1: " + kApplied6 + "\n  kvm2: " + kApplied6 + "\n") !=
        std::string::npos);
  // Host blocks in order of name, each verified.
  const auto b1 = r.out.find("\nHost kvm1:\n"), b2 = r.out.find("\nHost kvm2:\n");
  REQUIRE(b1 != std::string::npos);
  REQUIRE(b2 != std::string::npos);
  CHECK(b1 < b2);
  // dir: guests: the guest checks are skipped, and said so (never "verified", issue 16).
  CHECK(count(r.out, "the re-plan matches the spec, but 1 guest check was skipped") == 2);
  CHECK(r.err.find("error") == std::string::npos);
  CHECK(f.guest_file(1, "ifcfg-ens9").find("GATEWAY=192.0.2.9") != std::string::npos);
  CHECK(f.guest_file(2, "ifcfg-ens9").find("GATEWAY=192.0.2.17") != std::string::npos);
  CHECK(apply::read_host_journal(f.state, "kvm1")->status == "applied");
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "applied");
}

TEST_CASE("fleet cli: an unreachable host is named with URI and libvirt's message, never "
          "touched, the others are applied, exit 1" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  // A closed port on loopback: libvirt's remote driver cannot connect.
  f.add_unreachable(3, "qemu+tcp://127.0.0.1:1/system");
  const auto r = run_tool_env(f.args({"apply", "--yes"}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host kvm3 could not be observed; it is not applied:\n"
                   "  uri:   qemu+tcp://127.0.0.1:1/system\n  error: cannot connect to "
                   "qemu+tcp://127.0.0.1:1/system: ") != std::string::npos);
  CHECK(r.err.find("Connection refused") != std::string::npos);
  CHECK(r.out.find("  kvm1: " + kApplied6 + "\n  kvm2: " + kApplied6 + "\n"
                   "  kvm3: not applied: not observed (qemu+tcp://127.0.0.1:1/system): cannot "
                   "connect to") != std::string::npos);
  // kvm3: no lock, no journal; kvm1 and kvm2: applied.
  CHECK_FALSE(fs::exists(f.state / "kvm3.lock"));
  CHECK_FALSE(fs::exists(f.state / "kvm3.journal"));
  CHECK(apply::read_host_journal(f.state, "kvm1")->status == "applied");
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "applied");
  CHECK(f.has_guest_file(1, "ifcfg-ens9"));
  CHECK(f.has_guest_file(2, "ifcfg-ens9"));
}

TEST_CASE("fleet cli: a hung host (connection opens, no reply) is cut at --host-timeout while "
          "connecting, never touched, the others are applied, exit 1" *
          doctest::test_suite("apply")) {
  mvt::test::HungListener hung;
  const std::string uri = "qemu+tcp://127.0.0.1:" + std::to_string(hung.port()) + "/system";
  Fleet f;
  f.add(1);
  f.add(2);
  f.add_unreachable(3, uri);
  std::vector<std::string> a = f.args({"apply", "--yes"});
  a.insert(a.begin(), {"--host-timeout", "1"});
  const auto r = run_tool_env(a);
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("host kvm3 could not be observed; it is not applied:\n  uri:   " + uri +
                   "\n  error: timed out after 1 s connecting\n") != std::string::npos);
  CHECK(r.out.find("  kvm1: " + kApplied6 + "\n  kvm2: " + kApplied6 + "\n  kvm3: not applied: " +
                   "not observed (" + uri + "): timed out after 1 s connecting\n") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(f.state / "kvm3.lock"));
  CHECK_FALSE(fs::exists(f.state / "kvm3.journal"));
  CHECK(apply::read_host_journal(f.state, "kvm1")->status == "applied");
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "applied");
}

TEST_CASE("fleet: an unreachable host (a node file that does not exist) is recorded, not "
          "thrown, the others are planned and applied" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add_unreachable(2, "test://" + (f.base / "kvm2" / "missing-node.xml").string());
  Topology topo = f.topology();  // the loader does not open the URI
  apply::LiveSession live(std::move(topo), "digest");
  REQUIRE(live.unreachable().count("kvm2"));
  CHECK_FALSE(live.unreachable().at("kvm2").observed);
  CHECK(live.unreachable().at("kvm2").uri.find("missing-node.xml") != std::string::npos);
  CHECK_FALSE(live.unreachable().at("kvm2").error.empty());
  CHECK_FALSE(live.backends().count("kvm2"));
  const auto cs = live.changes();
  // Its status is in the change set, not a diagnostic refusing every host.
  CHECK_FALSE(cs.diagnostics.has_errors());
  REQUIRE(cs.hosts.count("kvm2"));
  CHECK_FALSE(cs.hosts.at("kvm2").observed);
  const plan::Plan p = live.plan_of(cs);
  CHECK(p.unobserved_hosts() == std::vector<std::string>{"kvm2"});
  for (const auto& s : p.steps) CHECK(s.host == "kvm1");
  // Its re-plan fails (naming the host): a verification there could not be trusted.
  CHECK_THROWS_WITH_AS(live.replan("kvm2"), doctest::Contains("host kvm2 could not be observed"),
                       Error);

  auto o = options(f, live);
  apply::ApplySession s(live.backends(), o);
  const auto r = s.apply_hosts(p);
  s.commit();
  CHECK_FALSE(r.ok());
  CHECK(outcome(r, "kvm1").outcome == apply::HostOutcome::Applied);
  const auto& h2 = outcome(r, "kvm2");
  CHECK(h2.outcome == apply::HostOutcome::Unobserved);
  CHECK(apply::outcome_line(h2).rfind("kvm2: not applied: not observed (test://", 0) == 0);
  CHECK_FALSE(fs::exists(f.state / "kvm2.lock"));
  CHECK_FALSE(fs::exists(f.state / "kvm2.journal"));
  CHECK_FALSE(live.replan("kvm1").has_changes());
}

TEST_CASE("fleet: a host failing mid-apply is rolled back alone, the host before it stays "
          "applied, the host after it still runs" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  f.add(3);
  const Tree before2 = f.files(2);
  auto live = session(f, /*failing=*/"kvm2");
  const std::string xml2_before = inactive_xml(live, "kvm2", "web2");
  const plan::Plan p = live.plan_of(live.changes());
  apply::ApplySession s(live.backends(), options(f, live));
  const auto r = s.apply_hosts(p);
  s.commit();
  CHECK_FALSE(r.ok());
  CHECK(outcome(r, "kvm1").outcome == apply::HostOutcome::Applied);
  CHECK(outcome(r, "kvm3").outcome == apply::HostOutcome::Applied);
  const auto& h2 = outcome(r, "kvm2");
  REQUIRE(h2.outcome == apply::HostOutcome::Failed);
  // It failed in the middle: its three file steps ran, the define failed, all were undone.
  CHECK(h2.result.steps_done == 3);
  CHECK(h2.result.failed_step.find("guest/web2/interface/ens9") != std::string::npos);
  CHECK(h2.result.error.find("injected: the daemon refused the definition") != std::string::npos);
  REQUIRE(h2.result.rollback);
  CHECK(h2.result.rollback->ok());
  CHECK(apply::outcome_line(h2) == "kvm2: FAILED at step " + h2.result.failed_step +
                                       ": " + h2.result.error + "; rolled back (4 steps undone)");
  // kvm2 is back where it was, byte for byte; its journal says rolled back.
  CHECK(f.files(2) == before2);
  CHECK(inactive_xml(live, "kvm2", "web2") == xml2_before);
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "rolled-back");
  // kvm1 and kvm3 keep their changes, committed, re-plan empty; kvm2 still has its changes.
  for (const char* h : {"kvm1", "kvm3"}) {
    CAPTURE(h);
    CHECK(apply::read_host_journal(f.state, h)->status == "applied");
    CHECK_FALSE(live.replan(h).has_changes());
  }
  CHECK(f.has_guest_file(1, "ifcfg-ens9"));
  CHECK(f.has_guest_file(3, "ifcfg-ens9"));
  CHECK(live.replan("kvm2").has_changes());
}

TEST_CASE("fleet: a slow host (every libvirt call of it delayed) is still applied, verified and "
          "re-planned empty" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  auto live = session(f, /*failing=*/"", /*slow=*/"kvm1");
  const plan::Plan p = live.plan_of(live.changes());
  apply::ApplySession s(live.backends(), options(f, live));
  const auto r = s.apply_hosts(p);
  s.commit();
  CHECK(r.ok());
  CHECK(outcome(r, "kvm1").outcome == apply::HostOutcome::Applied);
  CHECK(outcome(r, "kvm2").outcome == apply::HostOutcome::Applied);
  CHECK(inactive_xml(live, "kvm1", "web1").find("52:54:00:5d:9c:31") != std::string::npos);
  CHECK(f.guest_file(1, "ifcfg-ens9").find("IPADDR=192.0.2.10") != std::string::npos);
  CHECK_FALSE(live.replan().has_changes());
}

TEST_CASE("fleet: a host whose lock is held fails with nothing run, the other host is applied" *
          doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  const Tree before1 = f.files(1);
  auto live = session(f);
  const plan::Plan p = live.plan_of(live.changes());
  apply::HostLock held(f.state, "kvm1");
  apply::ApplySession s(live.backends(), options(f, live));
  const auto r = s.apply_hosts(p);
  s.commit();
  const auto& h1 = outcome(r, "kvm1");
  CHECK(h1.outcome == apply::HostOutcome::Failed);
  CHECK(h1.result.nothing_ran);
  CHECK(apply::outcome_line(h1).find("kvm1: FAILED, nothing ran: ") == 0);
  CHECK(apply::outcome_line(h1).find("locked by another apply") != std::string::npos);
  CHECK(f.files(1) == before1);
  CHECK(outcome(r, "kvm2").outcome == apply::HostOutcome::Applied);
  CHECK_FALSE(live.replan("kvm2").has_changes());
}

TEST_CASE("fleet cli: --try over two hosts, only one confirmed: it keeps its changes, the "
          "other is rolled back alone, exit 1" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  const Tree before1 = f.files(1), before2 = f.files(2);
  test::ProcResult applied;
  std::thread applier([&] { applied = run_tool_env(f.args({"apply", "--yes", "--try=8"})); });
  bool sent = false;
  for (int i = 0; i < 300 && !sent; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    sent = run_tool_env({"--state-dir", f.state.string(), "--host", "kvm1", "confirm"})
               .exit_code == 0;
  }
  applier.join();
  REQUIRE(sent);
  INFO(applied.out, applied.err);
  CHECK(applied.exit_code == 1);
  CHECK(applied.out.find("Confirmed: host kvm1 keeps its changes.") != std::string::npos);
  CHECK(applied.err.find("No confirmation in time: host kvm2: rolling back.") != std::string::npos);
  CHECK(applied.out.find("  kvm1: " + kApplied6 + ", confirmed\n  kvm2: " + kApplied6 +
                         ", not confirmed: rolled back (6 steps undone)\n") !=
        std::string::npos);
  CHECK(f.files(1) != before1);
  CHECK(f.files(2) == before2);
  CHECK(apply::read_host_journal(f.state, "kvm1")->status == "applied");
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "rolled-back");

  // `--host kvm2 confirm` with no try waiting names the host and fails.
  const auto none = run_tool_env({"--state-dir", f.state.string(), "--host", "kvm2", "confirm"});
  CHECK(none.exit_code == 1);
  CHECK(none.err.find("nothing to confirm on host kvm2") != std::string::npos);
}

TEST_CASE("fleet cli: rollback per host (--host) and for all, one host's failure does not stop "
          "the others" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  f.add(3);
  const Tree before1 = f.files(1), before2 = f.files(2), before3 = f.files(3);
  const auto a = run_tool_env(f.args({"apply", "--yes"}));
  INFO(a.out, a.err);
  REQUIRE(a.exit_code == 0);
  REQUIRE(f.files(2) != before2);

  // --host kvm2: only kvm2 is rolled back.
  auto one = run_tool_env({"--state-dir", f.state.string(), "--host", "kvm2", "rollback"});
  INFO(one.out, one.err);
  CHECK(one.exit_code == 0);
  CHECK(one.out.find("host kvm2: rolled back apply") != std::string::npos);
  CHECK(one.out.find("kvm1") == std::string::npos);
  CHECK(f.files(2) == before2);
  CHECK(f.files(1) != before1);
  CHECK(f.files(3) != before3);

  // All: kvm1's lock is held (its rollback fails, named), kvm3 is still rolled back, exit 1.
  {
    apply::HostLock held(f.state, "kvm1");
    auto all = run_tool_env({"--state-dir", f.state.string(), "rollback"});
    INFO(all.out, all.err);
    CHECK(all.exit_code == 1);
    CHECK(all.err.find("macvtapctl: error: host kvm1: ") != std::string::npos);
    CHECK(all.err.find("locked by another apply") != std::string::npos);
    CHECK(all.out.find("host kvm2: nothing to roll back") != std::string::npos);
    CHECK(all.out.find("host kvm3: rolled back apply") != std::string::npos);
    CHECK(f.files(3) == before3);
    CHECK(f.files(1) != before1);
  }
  auto rest = run_tool_env({"--state-dir", f.state.string(), "rollback"});
  INFO(rest.out, rest.err);
  CHECK(rest.exit_code == 0);
  CHECK(f.files(1) == before1);
}

// The failing host through the binary: kvm2's guest root is a read-only bind mount (a real
// EROFS from the kernel; as root, permissions would not stop a write). Its host file step
// runs, its first guest file write fails, it is rolled back alone; kvm1 and kvm3 are applied.
TEST_CASE("fleet cli: a host failing mid-apply is rolled back alone, the others applied, "
          "summary per host, exit 1" * doctest::test_suite("apply")) {
  Fleet f;
  f.add(1);
  f.add(2);
  f.add(3);
  const fs::path ro = f.dir(2) / "guest-web2";
  if (::geteuid() != 0 ||
      test::run_argv_env({"mount", "--bind", ro.string(), ro.string()}).exit_code != 0) {
    MESSAGE("SKIPPED: needs root and mount(8) for a read-only bind mount");
    return;
  }
  struct Umount {
    fs::path p;
    ~Umount() { test::run_argv_env({"umount", p.string()}); }
  } um{ro};
  REQUIRE(test::run_argv_env({"mount", "-o", "remount,bind,ro", ro.string()}).exit_code == 0);
  const Tree before2 = f.files(2);
  const auto r = run_tool_env(f.args({"apply", "--yes"}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("macvtapctl: error: host kvm2: apply failed at step s08 "
                   "guest/web2/file/ifcfg-ens9: ") != std::string::npos);
  CHECK(r.err.find("Read-only file system") != std::string::npos);
  CHECK(r.err.find("Rolled back: 2 steps undone; the previous state is restored.") !=
        std::string::npos);
  CHECK(r.out.find("\nSummary:\n  kvm1: " + kApplied6 + "\n  kvm2: FAILED at step s08 "
                   "guest/web2/file/ifcfg-ens9: ") != std::string::npos);
  CHECK(r.out.find("; rolled back (2 steps undone)\n  kvm3: " + kApplied6 + "\n") !=
        std::string::npos);
  CHECK(f.files(2) == before2);  // the host file step was undone, byte for byte
  CHECK(apply::read_host_journal(f.state, "kvm2")->status == "rolled-back");
  CHECK(apply::read_host_journal(f.state, "kvm1")->status == "applied");
  CHECK(apply::read_host_journal(f.state, "kvm3")->status == "applied");
  CHECK(f.has_guest_file(1, "ifcfg-ens9"));
  CHECK(f.has_guest_file(3, "ifcfg-ens9"));
}

// The live guest checks of a host cover the guests the apply touched there. kvm1 gets a
// second guest db1 (eth0 only). The first apply changes a host file (all guests are
// checked); the second, in a new process, finds web1's domain back in the test driver's
// fixture (a define step again) while the files are in place and db1 has nothing to do:
// only web1 is checked.
TEST_CASE("fleet cli: the guest checks cover the guests this apply touched, all of them when a "
          "host file changed" * doctest::test_suite("verify")) {
  Fleet f;
  f.add(1);
  std::string node = read_file(f.dir(1) / "node.xml");
  const auto at = node.find("  <network>");
  REQUIRE(at != std::string::npos);
  node.insert(at,
              "  <domain type='test'>\n    <name>db1</name>\n"
              "    <uuid>6c2f3a2c-8d4e-4f6a-9b7c-0d1e2f3a4b01</uuid>\n"
              "    <memory unit='KiB'>1048576</memory>\n    <vcpu>1</vcpu>\n"
              "    <os>\n      <type>hvm</type>\n    </os>\n    <devices>\n"
              "      <interface type='network'>\n        <mac address='52:54:00:b4:88:01'/>\n"
              "        <source network='default'/>\n        <model type='virtio'/>\n"
              "      </interface>\n    </devices>\n  </domain>\n");
  write_file(f.dir(1) / "node.xml", node);
  fs::copy(f.dir(1) / "guest-web1", f.dir(1) / "guest-db1", fs::copy_options::recursive);
  f.yaml += "      db1:\n        guest_files: dir:kvm1/guest-db1\n        activate: reboot\n"
            "        interfaces:\n          - name: eth0\n            network: default\n"
            "            mac: \"52:54:00:b4:88:01\"\n            ipv4: dhcp\n"
            "            defroute: true\n            peerdns: false\n";
  const auto first = run_tool_env(f.args({"apply", "--yes"}));
  INFO(first.out, first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("host/kvm1/nic/em2") != std::string::npos);
  CHECK(first.out.find("  verify guest db1: skipped") != std::string::npos);
  CHECK(first.out.find("  verify guest web1: skipped") != std::string::npos);

  const auto second = run_tool_env(f.args({"apply", "--yes"}));
  INFO(second.out, second.err);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("guest/web1/interface/ens9") != std::string::npos);
  CHECK(second.out.find("guest/db1/") == std::string::npos);       // db1: nothing to do
  CHECK(second.out.find("host/kvm1/nic") == std::string::npos);    // no host file
  CHECK(second.out.find("  verify guest web1: skipped") != std::string::npos);
  CHECK(second.out.find("verify guest db1") == std::string::npos);  // not touched: not checked
}

TEST_CASE("fleet cli: nothing to do on the hosts observed but one host unreachable: exit 1, "
          "the summary names both" * doctest::test_suite("apply")) {
  Fleet f;
  // kvm1: the lab's node with nothing declared (no NIC, no guest): nothing to do.
  fs::create_directories(f.dir(1));
  fs::copy_file(test::source_dir() / "specs" / "lab" / "node.xml", f.dir(1) / "node.xml");
  f.yaml += "  kvm1:\n    uri: test:kvm1/node.xml\n    files: none\n";
  f.add_unreachable(2, "qemu+tcp://127.0.0.1:1/system");
  const auto r = run_tool_env(f.args({"apply", "--yes"}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("No changes on the hosts observed; 1 host could not be observed.\n") !=
        std::string::npos);
  CHECK(r.out.find("\nSummary:\n  kvm1: no changes\n  kvm2: not applied: not observed "
                   "(qemu+tcp://127.0.0.1:1/system): cannot connect to") != std::string::npos);
  CHECK(r.err.find("host kvm2 could not be observed; it is not applied:") != std::string::npos);
  CHECK_FALSE(fs::exists(f.state));  // nothing locked, nothing journaled
}
