// Issue 13.4: apply's verification follows the activation policy (lib/apply/verify.hpp).
// A guest with `activate: none` whose apply changed it: the checks that wait for the guest's
// network restart (routes, reach, names of devices not hot-plugged) or its next cold restart
// (a device defined but not hot-plugged) are "pending activation" and do not fail; what is
// live already (a hot-plugged device) is still checked. `verify: {reach: true|warn|false}`
// per guest and interface. The guest agent is FakeAgentHv (fake_agent_hv.hpp: replies
// captured from the lab guest; a unit test cannot boot one); the real guest run is
// tests/system/e2e_activate_none_test.cpp.
#include <doctest/doctest.h>

#include <filesystem>

#include "apply/executor.hpp"
#include "apply_test_support.hpp"
#include "fake_agent_hv.hpp"
#include "files/dir_source.hpp"
#include "test_support.hpp"

using namespace mvt;
using namespace mvt::apply;
namespace fs = std::filesystem;

namespace {

using Rig = test::VerifyRig;

const char* const kGuest = "mvt-capture-apply";
const char* const kMac9 = "52:54:00:c0:ff:09";
const char* const kMac8 = "52:54:00:c0:ff:08";
const std::string kNetworkWhy =
    "activate: none: the guest reads its new network configuration at its next network "
    "restart or boot";
const std::string kDeviceWhy =
    "activate: none: the running device keeps its old settings until the guest's next cold "
    "restart (shut down, start)";

// The guest before its network restart: only the internal network's route, no address on
// the new interfaces, so neither gateway answers.
const char* const kRoutesNotActivated =
    R"([{"dst":"203.0.113.0/25","dev":"ens3","protocol":"kernel","scope":"link","prefsrc":"203.0.113.10"}])";

Guest& guest(Rig& r) { return r.spec.guests.at(kGuest); }

void not_activated(Rig& r) {
  r.hv.routes = kRoutesNotActivated;
  r.hv.unreachable = {"192.0.2.1", "198.51.100.1"};
}

plan::Step step(plan::OpKind k, const std::string& guest_name, const std::string& mac = "") {
  plan::Step s;
  s.host = "kvm1";
  s.op.kind = k;
  s.op.guest = guest_name;
  s.op.mac = mac;
  s.op.scope = plan::FileScope::Guest;
  return s;
}

std::vector<std::string> strs(const VerifyReport& rep) {
  std::vector<std::string> out;
  for (const auto& l : rep.lines) out.push_back(l.str());
  return out;
}

std::string dump(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

const VerifyLine* find(const VerifyReport& rep, const std::string& iface, const std::string& check) {
  for (const auto& l : rep.lines)
    if (l.interface == iface && l.check == check) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("verify: activate: none -> routes and reach pending activation, the report passes" *
          doctest::test_suite("verify")) {
  Rig r;
  guest(r).activate = Activate::None;
  not_activated(r);
  const auto rep = verify_guests(r.spec, r.b, r.o);
  const auto lines = strs(rep);
  INFO(dump(lines));
  CHECK(rep.ok());
  CHECK(rep.failures().empty());
  CHECK(rep.pending() == 3);
  REQUIRE(lines.size() == 5);
  // The devices are live (hot-plugged): their MACs are checked and pass.
  CHECK(lines[0].find("ens9: mac ok: host macvtap0@em2 52:54:00:c0:ff:09") != std::string::npos);
  CHECK(lines[1].find("ens8: mac ok: host macvtap1@em1 52:54:00:c0:ff:08") != std::string::npos);
  CHECK(lines[2] == "verify guest mvt-capture-apply: routes pending activation (" + kNetworkWhy +
                        "): expected 192.0.2.0/24 dev ens9; default via 192.0.2.1 dev ens9; "
                        "198.51.100.0/24 dev ens8; 203.0.113.128/25 via 198.51.100.1 dev ens8; "
                        "found missing: 192.0.2.0/24 dev ens9; default via 192.0.2.1 dev ens9; "
                        "198.51.100.0/24 dev ens8; 203.0.113.128/25 via 198.51.100.1 dev ens8");
  CHECK(lines[3] == "verify guest mvt-capture-apply ens9: reach pending activation (" +
                        kNetworkWhy + "): expected gateway 192.0.2.1 answers a ping; found ping "
                        "192.0.2.1 from inside the guest: no answer (ping exited 1)");
  CHECK(lines[4].find("ens8: reach pending activation (activate: none: ") != std::string::npos);
  // Pending is not a failure: no second attempt (one route read, two pings).
  CHECK(r.hv.execs.size() == 3);

  SUBCASE("the same live state under activate: restart-network fails") {
    Rig f;
    guest(f).activate = Activate::RestartNetwork;
    not_activated(f);
    const auto frep = verify_guests(f.spec, f.b, f.o);
    INFO(dump(strs(frep)));
    CHECK_FALSE(frep.ok());
    CHECK(frep.pending() == 0);
    REQUIRE(frep.failures().size() == 3);
    CHECK(frep.failures()[0].find("routes FAILED: expected ") != std::string::npos);
  }
}

TEST_CASE("verify: activate: none with the applied plan - what is live is checked, the rest is "
          "pending" * doctest::test_suite("verify")) {
  Rig r;
  guest(r).activate = Activate::None;
  not_activated(r);
  // The spec wants both devices in vepa mode; they run in private mode.
  for (auto& i : guest(r).interfaces) i.mode = MacvtapMode::Vepa;
  plan::Plan applied;
  applied.steps.push_back(step(plan::OpKind::WriteFile, kGuest));
  // ens9 was replaced live (hot-plugged): its device is live, so its MAC check is too.
  applied.steps.push_back(step(plan::OpKind::DefineInterface, kGuest, kMac9));
  applied.steps.push_back(step(plan::OpKind::LiveDetach, kGuest, kMac9));
  applied.steps.push_back(step(plan::OpKind::LiveAttach, kGuest, kMac9));
  // ens8 only in the persistent definition: the old device stays until a cold restart.
  applied.steps.push_back(step(plan::OpKind::DefineInterface, kGuest, kMac8));
  r.o.applied = &applied;
  const auto rep = verify_guests(r.spec, r.b, r.o);
  const auto lines = strs(rep);
  INFO(dump(lines));
  const VerifyLine* m9 = find(rep, "ens9", "mac");
  const VerifyLine* m8 = find(rep, "ens8", "mac");
  REQUIRE(m9);
  REQUIRE(m8);
  CHECK(m9->status == CheckStatus::Failed);
  CHECK(m9->str() == "verify guest mvt-capture-apply ens9: mac FAILED: expected a macvtap device on "
                     "em2 with MAC 52:54:00:c0:ff:09, mode vepa; found macvtap0@em2 is in mode "
                     "private");
  CHECK(m8->status == CheckStatus::Pending);
  CHECK(m8->str() == "verify guest mvt-capture-apply ens8: mac pending activation (" + kDeviceWhy +
                         "): expected a macvtap device on em1 with MAC 52:54:00:c0:ff:08, mode "
                         "vepa; found macvtap1@em1 is in mode private");
  CHECK(find(rep, "", "routes")->status == CheckStatus::Pending);
  CHECK_FALSE(rep.ok());
  REQUIRE(rep.failures().size() == 1);
  CHECK(rep.failures()[0] == m9->str());

  SUBCASE("a guest name: live for a hot-plugged device, pending for one that was not") {
    Rig g;
    guest(g).activate = Activate::None;
    not_activated(g);
    auto nics = nlohmann::json::parse(g.hv.nics);
    nics[2]["name"] = "eth9";  // ens9's MAC
    nics[1]["name"] = "eth8";  // ens8's MAC
    g.hv.nics = nics.dump();
    plan::Plan a;
    a.steps.push_back(step(plan::OpKind::WriteFile, kGuest));
    a.steps.push_back(step(plan::OpKind::LiveAttach, kGuest, kMac9));
    g.o.applied = &a;
    const auto grep = verify_guests(g.spec, g.b, g.o);
    INFO(dump(strs(grep)));
    CHECK(find(grep, "ens9", "mac")->status == CheckStatus::Failed);
    CHECK(find(grep, "ens9", "mac")->str().find("found MAC 52:54:00:c0:ff:09 is on guest eth9") !=
          std::string::npos);
    CHECK(find(grep, "ens8", "mac")->status == CheckStatus::Pending);
    CHECK(find(grep, "ens8", "mac")->why == kNetworkWhy);
  }
}

TEST_CASE("verify: activate: none, but this apply did not change the guest -> checks are live" *
          doctest::test_suite("verify")) {
  Rig r;
  guest(r).activate = Activate::None;
  not_activated(r);
  plan::Plan applied;
  applied.steps.push_back(step(plan::OpKind::WriteFile, "db1"));  // another guest
  applied.steps.push_back(step(plan::OpKind::WriteFile, ""));     // a host file, not a guest's
  applied.steps.back().op.scope = plan::FileScope::Host;
  r.o.applied = &applied;
  const auto rep = verify_guests(r.spec, r.b, r.o);
  INFO(dump(strs(rep)));
  CHECK_FALSE(rep.ok());
  CHECK(rep.pending() == 0);
  CHECK(rep.failures().size() == 3);  // routes and both gateways
}

TEST_CASE("verify: verify.reach false skips the ping and says where the spec said so" *
          doctest::test_suite("verify")) {
  SUBCASE("guest-wide") {
    Rig r;
    guest(r).verify.reach = ReachPolicy::Skip;
    r.hv.unreachable = {"192.0.2.1", "198.51.100.1"};
    const auto rep = verify_guests(r.spec, r.b, r.o);
    const auto lines = strs(rep);
    INFO(dump(lines));
    CHECK(rep.ok());
    REQUIRE(lines.size() == 5);
    CHECK(lines[3] == "verify guest mvt-capture-apply ens9: reach skipped: verify.reach is false "
                      "for guest mvt-capture-apply (spec): gateway 192.0.2.1 is not pinged");
    CHECK(lines[4] == "verify guest mvt-capture-apply ens8: reach skipped: verify.reach is false "
                      "for guest mvt-capture-apply (spec): gateway 198.51.100.1 is not pinged");
    REQUIRE(r.hv.execs.size() == 1);  // the route read only: no ping ran
    CHECK(r.hv.execs[0][0] == "ip");
  }
  SUBCASE("one interface; the interface's `true` overrides the guest's `false`") {
    Rig r;
    guest(r).verify.reach = ReachPolicy::Skip;
    guest(r).interfaces[1].verify.reach = ReachPolicy::Check;  // ens8
    r.hv.unreachable = {"198.51.100.1"};
    const auto rep = verify_guests(r.spec, r.b, r.o);
    INFO(dump(strs(rep)));
    CHECK(find(rep, "ens9", "reach")->status == CheckStatus::Skipped);
    REQUIRE(rep.failures().size() == 1);
    CHECK(rep.failures()[0] ==
          "verify guest mvt-capture-apply ens8: reach FAILED: expected gateway 198.51.100.1 "
          "answers a ping; found ping 198.51.100.1 from inside the guest: no answer (ping "
          "exited 1)");
  }
  SUBCASE("on the interface itself") {
    Rig r;
    guest(r).interfaces[0].verify.reach = ReachPolicy::Skip;  // ens9
    const auto rep = verify_guests(r.spec, r.b, r.o);
    CHECK(find(rep, "ens9", "reach")->str() ==
          "verify guest mvt-capture-apply ens9: reach skipped: verify.reach is false for ens9 "
          "(spec): gateway 192.0.2.1 is not pinged");
    CHECK(find(rep, "ens8", "reach")->status == CheckStatus::Ok);
  }
}

TEST_CASE("verify: verify.reach warn turns a silent gateway into a warning, true keeps it a "
          "failure" * doctest::test_suite("verify")) {
  Rig r;
  guest(r).interfaces[0].verify.reach = ReachPolicy::Warn;  // ens9
  r.hv.unreachable = {"192.0.2.1"};
  const auto rep = verify_guests(r.spec, r.b, r.o);
  INFO(dump(strs(rep)));
  CHECK(rep.ok());
  const VerifyLine* w = find(rep, "ens9", "reach");
  REQUIRE(w);
  CHECK(w->status == CheckStatus::Warning);
  CHECK(w->str() == "verify guest mvt-capture-apply ens9: reach WARNING (verify.reach: warn): "
                    "expected gateway 192.0.2.1 answers a ping; found ping 192.0.2.1 from "
                    "inside the guest: no answer (ping exited 1)");
  CHECK(r.hv.execs.size() == 3);  // a warning is not retried

  SUBCASE("a gateway that answers is ok under warn") {
    Rig a;
    guest(a).verify.reach = ReachPolicy::Warn;
    const auto arep = verify_guests(a.spec, a.b, a.o);
    CHECK(find(arep, "ens9", "reach")->status == CheckStatus::Ok);
    CHECK(find(arep, "ens8", "reach")->status == CheckStatus::Ok);
  }
  SUBCASE("explicit true on the interface overrides the guest's warn") {
    Rig t;
    guest(t).verify.reach = ReachPolicy::Warn;
    guest(t).interfaces[0].verify.reach = ReachPolicy::Check;
    t.hv.unreachable = {"192.0.2.1"};
    const auto trep = verify_guests(t.spec, t.b, t.o);
    INFO(dump(strs(trep)));
    CHECK_FALSE(trep.ok());
    CHECK(find(trep, "ens9", "reach")->status == CheckStatus::Failed);
  }
}

TEST_CASE("apply: pending and warned checks do not fail the Verify step, nothing is rolled back" *
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
  auto line = [](CheckStatus st, const std::string& check, const std::string& why) {
    VerifyLine l;
    l.host = "kvm1";
    l.guest = "web1";
    l.interface = check == "routes" ? "" : "ens9";
    l.check = check;
    l.status = st;
    l.expected = "what the spec implies";
    l.found = "the old state";
    l.why = why;
    return l;
  };
  ApplyOptions o;
  o.state_dir = tmp.path() / "state";
  o.replan = [] { return plan::Plan{}; };
  o.verify_guests = [&](const std::string&) {
    return VerifyReport{{line(CheckStatus::Pending, "routes", kNetworkWhy),
                         line(CheckStatus::Warning, "reach", "verify.reach: warn")}};
  };
  ApplySession s({{"kvm1", hb}}, o);
  const auto r = s.apply(p);
  INFO(r.failed_step, ": ", r.error);
  CHECK(r.ok);
  CHECK_FALSE(r.rollback);
  REQUIRE(r.verification.size() == 2);
  CHECK(r.verification[0].status == CheckStatus::Pending);
  CHECK(r.verification[1].str() == "verify guest web1 ens9: reach WARNING (verify.reach: warn): "
                                   "expected what the spec implies; found the old state");
  s.commit();
  CHECK(test::read_file(root / ns / "ifcfg-ens9") == "DEVICE=ens9\nGATEWAY=192.0.2.254\n");
}
