// apply's verification, the orchestration (lib/apply/verify.hpp) and its place in the
// executor: a fake Hypervisor answers the guest agent's protocol (guest-ping,
// guest-network-get-interfaces, guest-exec, guest-exec-status) with the JSON captured from the
// lab (tests/fixtures/verify), the host's links come from the captured `ip -j -d link show`.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "stub_hypervisor.hpp"
#include "apply/base64.hpp"
#include "apply/executor.hpp"
#include "apply/verify.hpp"
#include "apply_test_support.hpp"
#include "files/agent_source.hpp"
#include "files/dir_source.hpp"
#include "test_support.hpp"
#include "verify_fixtures.hpp"
#include "util/errors.hpp"

using namespace mvt;
using namespace mvt::apply;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

using test::verify_fixture;

// A hypervisor with one domain whose guest agent answers from canned replies.
class FakeAgentHv : public mvt::test::StubHypervisor {
 public:
  bool running = true;
  bool channel = true;
  bool refuse_exec = false;
  std::string routes = verify_fixture("guest-ip-route.json");
  std::string nics = verify_fixture("guest-network-get-interfaces.json");
  std::set<std::string> unreachable;  // ping targets that do not answer
  std::vector<std::vector<std::string>> execs;  // argv of every guest-exec

  std::vector<DomainSummary> list_domains() override {
    return {{"mvt-capture-apply", "uuid", running, running ? "running" : "shut off"}};
  }

  std::string agent_command(const std::string&, const std::string& text,
                            std::chrono::seconds) override {
    if (!running) throw LibvirtError("Requested operation is not valid: domain is not running", 55);
    if (!channel) throw LibvirtError("argument unsupported: QEMU guest agent is not configured", 0);
    const json req = json::parse(text);
    const std::string cmd = req.at("execute");
    if (cmd == "guest-ping") return R"({"return":{}})";
    if (cmd == "guest-network-get-interfaces") return R"({"return":)" + nics + "}";
    if (cmd == "guest-exec") {
      if (refuse_exec)
        throw LibvirtError("internal error: unable to execute QEMU agent command 'guest-exec': "
                           "Command guest-exec has been disabled",
                           1);
      std::vector<std::string> argv{req["arguments"]["path"]};
      for (const auto& a : req["arguments"]["arg"]) argv.push_back(a);
      execs.push_back(argv);
      return R"({"return":{"pid":)" + std::to_string(execs.size()) + "}}";
    }
    if (cmd == "guest-exec-status") {
      const auto& argv = execs.at(req["arguments"]["pid"].get<std::size_t>() - 1);
      json st = {{"exited", true}, {"exitcode", 0}};
      if (argv[0] == "ip") st["out-data"] = base64_encode(routes);
      if (argv[0] == "ping" && unreachable.count(argv.back())) st["exitcode"] = 1;
      return json{{"return", st}}.dump();
    }
    throw LibvirtError("unexpected agent command " + cmd, 0);
  }
};

Host captured_host() {
  Host h;
  h.name = "kvm1";
  h.uri = "qemu:///system";
  const Guest g = test::captured_guest();
  h.guests[g.name] = g;
  return h;
}

struct Rig {
  FakeAgentHv hv;
  AgentSource agent{hv, "mvt-capture-apply"};
  Host spec = captured_host();
  HostBackends b;
  VerifyOptions o;
  Rig() {
    b.hypervisor = &hv;
    b.guest_files["mvt-capture-apply"] = &agent;
    b.sources.uri = "qemu:///system";
    o.attempts = 2;
    o.interval = std::chrono::milliseconds(1);
    o.agent_wait = std::chrono::milliseconds(10);
    o.host_links = [](std::string&) -> std::optional<std::string> {
      return verify_fixture("host-ip-link.json");
    };
  }
  std::vector<std::string> run() {
    std::vector<std::string> out;
    for (const auto& l : verify_guests(spec, b, o).lines) out.push_back(l.str());
    return out;
  }
};

bool has(const std::vector<std::string>& lines, const std::string& needle) {
  for (const auto& l : lines)
    if (l.find(needle) != std::string::npos) return true;
  return false;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

}  // namespace

TEST_CASE("verify_guests: the captured lab guest passes MAC, routes and reachability" *
          doctest::test_suite("verify")) {
  Rig r;
  const auto rep = verify_guests(r.spec, r.b, r.o);
  std::vector<std::string> lines;
  for (const auto& l : rep.lines) lines.push_back(l.str());
  INFO(dump(lines));
  CHECK(rep.ok());
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] ==
        "verify guest mvt-capture-apply ens9: mac ok: host macvtap0@em2 52:54:00:c0:ff:09 (mode "
        "private; em2 has 46:a4:49:a4:1f:25) = guest ens9 52:54:00:c0:ff:09");
  CHECK(lines[1].find("ens8: mac ok: host macvtap1@em1 52:54:00:c0:ff:08") != std::string::npos);
  CHECK(lines[2] ==
        "verify guest mvt-capture-apply: routes ok: 4 routes match the spec: 192.0.2.0/24 dev "
        "ens9; default via 192.0.2.1 dev ens9; 198.51.100.0/24 dev ens8; 203.0.113.128/25 via "
        "198.51.100.1 dev ens8");
  CHECK(lines[3].find("ens9: reach ok: gateway 192.0.2.1 answered a ping sent from inside the "
                      "guest") != std::string::npos);
  CHECK(lines[4].find("ens8: reach ok: gateway 198.51.100.1") != std::string::npos);
  // What ran in the guest: argv vectors, never a shell.
  CHECK(r.hv.execs[0] == std::vector<std::string>{"ip", "-j", "-4", "route", "show", "table", "main"});
  CHECK(r.hv.execs[1] == std::vector<std::string>{"ping", "-c", "1", "-W", "2", "192.0.2.1"});
}

TEST_CASE("verify_guests: wrong gateway -> routes and reachability fail with expected/found" *
          doctest::test_suite("verify")) {
  Rig r;
  r.spec.guests.begin()->second.interfaces[0].ipv4->gateway = Ipv4::parse("192.0.2.254");
  r.hv.unreachable = {"192.0.2.254"};
  const auto rep = verify_guests(r.spec, r.b, r.o);
  CHECK_FALSE(rep.ok());
  const auto f = rep.failures();
  INFO(dump(f));
  REQUIRE(f.size() == 2);
  CHECK(f[0] ==
        "verify guest mvt-capture-apply: routes FAILED: expected 192.0.2.0/24 dev ens9; default "
        "via 192.0.2.254 dev ens9; 198.51.100.0/24 dev ens8; 203.0.113.128/25 via 198.51.100.1 "
        "dev ens8; found missing: default via 192.0.2.254 dev ens9; unexpected: default via "
        "192.0.2.1 dev ens9");
  CHECK(f[1] ==
        "verify guest mvt-capture-apply ens9: reach FAILED: expected gateway 192.0.2.254 answers "
        "a ping; found ping 192.0.2.254 from inside the guest: no answer (ping exited 1)");
  // Re-checked `attempts` times before giving up (one route read and two pings each).
  CHECK(r.hv.execs.size() == 6);
}

TEST_CASE("verify_guests: MAC failures name the interface, the host device and the guest" *
          doctest::test_suite("verify")) {
  Rig r;
  auto& g = r.spec.guests.begin()->second;
  g.interfaces[0].mode = MacvtapMode::Vepa;
  // The guest sees ens8's MAC under another name (eth0/eth1 instability).
  auto nics = json::parse(r.hv.nics);
  nics[1]["name"] = "eth1";
  r.hv.nics = nics.dump();
  const auto lines = r.run();
  INFO(dump(lines));
  CHECK(has(lines, "verify guest mvt-capture-apply ens9: mac FAILED: expected a macvtap device on "
                   "em2 with MAC 52:54:00:c0:ff:09, mode vepa; found macvtap0@em2 is in mode "
                   "private"));
  CHECK(has(lines, "ens8: mac FAILED: expected guest interface ens8 with MAC 52:54:00:c0:ff:08; "
                   "found MAC 52:54:00:c0:ff:08 is on guest eth1"));
}

TEST_CASE("verify_guests: skipped with a reason, not failed" * doctest::test_suite("verify")) {
  SUBCASE("shut off") {
    Rig r;
    r.hv.running = false;
    const auto rep = verify_guests(r.spec, r.b, r.o);
    CHECK(rep.ok());
    REQUIRE(rep.lines.size() == 1);
    CHECK(rep.lines[0].str() ==
          "verify guest mvt-capture-apply: skipped: not running: checked when it runs");
  }
  SUBCASE("no agent channel") {
    Rig r;
    r.hv.channel = false;
    const auto rep = verify_guests(r.spec, r.b, r.o);
    CHECK(rep.ok());
    REQUIRE(rep.lines.size() == 1);
    CHECK(rep.lines[0].status == CheckStatus::Skipped);
    CHECK(rep.lines[0].str().find("has no guest agent channel") != std::string::npos);
  }
  SUBCASE("files not through the agent") {
    Rig r;
    r.spec.guests.begin()->second.guest_files = *FileSourceSpec::parse("dir:/srv/web1");
    const auto lines = r.run();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "verify guest mvt-capture-apply: skipped: guest_files is dir:/srv/web1, not "
                      "agent: its live interfaces and routes are read only through the guest "
                      "agent");
    CHECK(r.hv.execs.empty());
  }
  SUBCASE("guest-exec refused by the agent's allow list") {
    Rig r;
    r.hv.refuse_exec = true;
    const auto rep = verify_guests(r.spec, r.b, r.o);
    CHECK(rep.ok());
    std::vector<std::string> lines;
    for (const auto& l : rep.lines) lines.push_back(l.str());
    INFO(dump(lines));
    CHECK(has(lines, "ens9: mac ok"));  // guest-network-get-interfaces still allowed
    CHECK(has(lines, "routes skipped: guest agent of mvt-capture-apply refuses guest-exec"));
    CHECK(has(lines, "BLACKLIST_RPC"));
  }
  SUBCASE("host links unreadable: guest side still checked") {
    Rig r;
    r.o.host_links = [](std::string& why) -> std::optional<std::string> {
      why = "libvirt's test driver has no host devices";
      return std::nullopt;
    };
    const auto lines = r.run();
    INFO(dump(lines));
    CHECK(has(lines, "ens9: mac ok: guest ens9 52:54:00:c0:ff:09 (host side not checked: "
                     "libvirt's test driver has no host devices)"));
  }
}

TEST_CASE("verify_guests: the test:/// driver's host links are not read" *
          doctest::test_suite("verify")) {
  std::string why;
  CHECK_FALSE(host_links_reader("test:///default", nullptr)(why));
  CHECK(why == "libvirt's test driver has no host devices");
  CHECK_FALSE(host_links_reader("qemu+ssh://root@kvm1/system", nullptr)(why));
  CHECK(why.find("is remote") != std::string::npos);
}

TEST_CASE("apply: a failed guest verification fails the Verify step and rolls back" *
          doctest::test_suite("verify")) {
  test::TempDir tmp;
  const fs::path root = tmp.path() / "web1";
  const std::string ns = "etc/sysconfig/network-scripts";
  fs::create_directories(root / ns);
  test::write_file(root / ns / "ifcfg-ens9", "DEVICE=ens9\nGATEWAY=192.0.2.1\n");
  DirSource files(root);
  HostBackends hb;
  hb.guest_files["web1"] = &files;
  hb.sources.uri = "test:///default";
  hb.sources.guest_files["web1"] = "dir:" + root.string();
  plan::Plan p;
  p.spec_digest = "digest";
  p.steps.push_back(test::write_step("s01", "kvm1", "web1", ns + "/ifcfg-ens9",
                                     "DEVICE=ens9\nGATEWAY=192.0.2.254\n",
                                     "DEVICE=ens9\nGATEWAY=192.0.2.1\n"));
  p.steps.push_back(test::verify_step("s02", "kvm1"));

  auto options = [&](bool pass, std::string guest = "web1") {
    ApplyOptions o;
    o.state_dir = tmp.path() / "state";
    o.replan = [] { return plan::Plan{}; };
    o.verify_guests = [pass, guest](const std::string& host) {
      VerifyLine l;
      l.host = host;
      l.guest = guest;
      l.interface = "ens9";
      l.check = "reach";
      l.status = pass ? CheckStatus::Ok : CheckStatus::Failed;
      l.detail = "gateway answered";
      l.expected = "gateway 192.0.2.254 answers a ping";
      l.found = "no answer";
      return VerifyReport{{l}};
    };
    return o;
  };
  {
    ApplySession s({{"kvm1", hb}}, options(false));
    const auto r = s.apply(p);
    CHECK_FALSE(r.ok);
    CHECK(r.failed_step == "s02 host/kvm1");
    CHECK(r.error ==
          "verification failed:\n  verify guest web1 ens9: reach FAILED: expected gateway "
          "192.0.2.254 answers a ping; found no answer");
    REQUIRE(r.verification.size() == 1);
    REQUIRE(r.rollback);
    CHECK(r.rollback->ok());
    CHECK(test::read_file(root / ns / "ifcfg-ens9") == "DEVICE=ens9\nGATEWAY=192.0.2.1\n");
  }
  {
    ApplySession s({{"kvm1", hb}}, options(true));
    const auto r = s.apply(p);
    CHECK(r.ok);
    REQUIRE(r.verification.size() == 1);
    CHECK(r.verification[0].str() == "verify guest web1 ens9: reach ok: gateway answered");
    s.commit();
    CHECK(test::read_file(root / ns / "ifcfg-ens9") == "DEVICE=ens9\nGATEWAY=192.0.2.254\n");
  }
  {
    // A guest the plan did not change fails a check: a warning, no rollback of web1's change.
    ApplySession s({{"kvm1", hb}}, options(false, "db1"));
    test::write_file(root / ns / "ifcfg-ens9", "DEVICE=ens9\nGATEWAY=192.0.2.1\n");
    const auto r = s.apply(p);
    CHECK(r.ok);
    CHECK_FALSE(r.rollback);
    REQUIRE(r.verification.size() == 1);
    CHECK(r.verification[0].status == CheckStatus::Warning);
    CHECK(r.verification[0].str() ==
          "verify guest db1 ens9: reach WARNING (not changed by this apply): expected gateway "
          "192.0.2.254 answers a ping; found no answer");
    s.commit();
  }
  {
    // ...unless a host file changed: that can cut every guest of the host.
    const fs::path host_root = tmp.path() / "host";
    fs::create_directories(host_root / ns);
    test::write_file(root / ns / "ifcfg-ens9", "DEVICE=ens9\nGATEWAY=192.0.2.1\n");
    DirSource host_files(host_root);
    HostBackends hb2 = hb;
    hb2.host_files = &host_files;
    hb2.sources.host_files = "dir:" + host_root.string();
    plan::Plan p2 = p;
    p2.steps.insert(p2.steps.begin(), test::write_step("s00", "kvm1", "", ns + "/ifcfg-em2",
                                                       "DEVICE=em2\nONBOOT=no\n", std::nullopt,
                                                       plan::FileScope::Host));
    ApplySession s({{"kvm1", hb2}}, options(false, "db1"));
    const auto r = s.apply(p2);
    CHECK_FALSE(r.ok);
    REQUIRE(r.rollback);
    CHECK(r.verification.at(0).status == CheckStatus::Failed);
    CHECK_FALSE(fs::exists(host_root / ns / "ifcfg-em2"));
    CHECK(test::read_file(root / ns / "ifcfg-ens9") == "DEVICE=ens9\nGATEWAY=192.0.2.1\n");
  }
}
