// apply's verification, the orchestration (lib/apply/verify.hpp) and its place in the
// executor: a fake Hypervisor answers the guest agent's protocol (guest-ping,
// guest-network-get-interfaces, guest-exec, guest-exec-status) with the JSON captured from the
// lab (tests/fixtures/verify), the host's links come from the captured `ip -j -d link show`.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "fake_agent_hv.hpp"
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

using test::FakeAgentHv;
using Rig = test::VerifyRig;

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
  r.spec.guests.begin()->second.interfaces[0].ip.ipv4->gateway = Ipv4::parse("192.0.2.254");
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

TEST_CASE("verify_guests: a guest with IPv6 gets its IPv6 table compared and ping -6" *
          doctest::test_suite("verify")) {
  Rig r;
  auto& ens9 = r.spec.guests.begin()->second.interfaces[0];
  ens9.ip.ipv6 = Ipv6Config{Ipv6Method::Static, {*IpPrefix::parse("2001:db8:0:2::84/64")},
                            *IpAddress::parse("2001:db8:0:2::1")};
  ens9.ip.ipv6_defroute = true;
  ens9.ip.routes = std::vector<Route>{
      {*IpPrefix::parse("2001:db8:100::/48"), *IpAddress::parse("2001:db8:0:2::1")}};
  auto rep = verify_guests(r.spec, r.b, r.o);
  std::vector<std::string> lines;
  for (const auto& l : rep.lines) lines.push_back(l.str());
  INFO(dump(lines));
  CHECK(rep.ok());
  CHECK(has(lines, "verify guest mvt-capture-apply: routes6 ok: 3 routes match the spec: "
                   "2001:db8:0:2::/64 dev ens9; default via 2001:db8:0:2::1 dev ens9; "
                   "2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"));
  CHECK(has(lines, "verify guest mvt-capture-apply ens9: reach ok: gateway 2001:db8:0:2::1 "
                   "answered a ping sent from inside the guest"));
  const std::vector<std::string> ip6{"ip", "-j", "-6", "route", "show", "table", "main"};
  const std::vector<std::string> ping6{"ping", "-6", "-c", "1", "-W", "2", "2001:db8:0:2::1"};
  CHECK(std::find(r.hv.execs.begin(), r.hv.execs.end(), ip6) != r.hv.execs.end());
  CHECK(std::find(r.hv.execs.begin(), r.hv.execs.end(), ping6) != r.hv.execs.end());

  // The route6 missing in the guest, the IPv6 gateway silent: the same wording as IPv4.
  Rig bad;
  bad.spec = r.spec;
  bad.hv.routes6 = verify_fixture("guest-ip6-route-extras.json");
  bad.hv.unreachable = {"2001:db8:0:2::1"};
  const auto f = verify_guests(bad.spec, bad.b, bad.o).failures();
  INFO(dump(f));
  REQUIRE(f.size() == 2);
  CHECK(f[0] ==
        "verify guest mvt-capture-apply: routes6 FAILED: expected 2001:db8:0:2::/64 dev ens9; "
        "default via 2001:db8:0:2::1 dev ens9; 2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9; "
        "found missing: 2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9; unexpected: "
        "2001:db8:0:3::/64 dev ens9; 2001:db8:0:9::5/128 dev ens9; default via fe80::1 dev ens9");
  CHECK(f[1] ==
        "verify guest mvt-capture-apply ens9: reach FAILED: expected gateway 2001:db8:0:2::1 "
        "answers a ping; found ping -6 2001:db8:0:2::1 from inside the guest: no answer (ping "
        "exited 1)");

  // A guest whose spec has no IPv6: `ip -6 route` never runs.
  Rig v4;
  verify_guests(v4.spec, v4.b, v4.o);
  CHECK(std::find(v4.hv.execs.begin(), v4.hv.execs.end(), ip6) == v4.hv.execs.end());
}
