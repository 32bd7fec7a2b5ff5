// Issue 13.4 and 13.8 on the real booted lab guest: the procedure applied through the guest
// agent with `activate: none`. The tool writes the guest's files and hot-plugs the two
// macvtap interfaces but restarts nothing; its verification checks what is live (the MAC of
// each hot-plugged device, host and guest side) and reports routes and gateway reachability
// as "pending activation" instead of failing (before issue 13 they FAILED and the whole
// apply rolled back). Apply exits 0, nothing is rolled back, the re-plan is empty (the
// persistent state matches the spec). Then the operator activates by hand (the guest's
// network restart): the routing table becomes the one the spec implies and the guest's
// addresses answer - what was pending was right. One booted guest (TCG, about 2 minutes in
// all).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "e2e_lab.hpp"
#include "../unit/test_support.hpp"

using namespace std::chrono_literals;
namespace lab = mvt::test::lab;

namespace {

const std::string kNs = "etc/sysconfig/network-scripts";
const std::string kBeforeEns3 =
    "TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=203.0.113.10\nPREFIX=25\nDEFROUTE=yes\n"
    "NAME=ens3\nDEVICE=ens3\nONBOOT=yes\n";

using mvt::test::contains;

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += "  " + x + "\n";
  return out;
}

}  // namespace

TEST_CASE("e2e activate none: applied through the guest agent, checks pending activation, "
          "nothing rolled back" * doctest::test_suite("system") * doctest::timeout(600)) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  lab::LabNetwork net;
  auto hv = lab::connect();
  lab::LabGuest guest(*hv, lab::before_domain("e2e-none", net.name()), *image);
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the lab guest's agent did not answer in 120 s");
  MESSAGE("BEFORE guest " << guest.name() << " up in " << guest.boot_to_ping()->count() << " ms");
  auto a = guest.agent();
  {
    a.write_atomic(kNs + "/ifcfg-ens3", kBeforeEns3);
    const auto r = lab::guest_run(guest, {"/etc/init.d/network", "restart"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  const auto routes_before = lab::guest_routes(guest);

  lab::LabWorkspace w;
  lab::LabSpecParams p;
  p.guest = guest.name();
  p.network = net.name();
  p.activate = "none";
  std::tie(p.slot9, p.slot8) = lab::free_slots(*hv, guest.name());
  const std::string ens9 = "ens" + std::to_string(p.slot9), ens8 = "ens" + std::to_string(p.slot8);
  const auto spec = w.write_spec(p);

  const auto plan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("plan:\n" << plan.out << plan.err);
  REQUIRE(plan.exit_code == 2);
  CHECK_FALSE(contains(plan.out, "/activation"));  // the spec activates nothing

  const auto applied = lab::tool(w, {"apply", "-f", spec.string(), "--yes"});
  MESSAGE("apply with activate: none (" << applied.elapsed.count() << " ms):\n"
                                        << applied.out << applied.err);
  CHECK(applied.exit_code == 0);
  const std::string v = "verify guest " + guest.name();
  const std::string why =
      "(activate: none: the guest reads its new network configuration at its next network "
      "restart or boot)";
  CHECK(contains(applied.out, "\nVerification:\n"));
  // Live already: the hot-plugged devices, host side (macvtap on em2/em1) and guest side.
  CHECK(contains(applied.out, v + " " + ens9 + ": mac ok: host macvtap"));
  CHECK(contains(applied.out, "@em2 " + lab::mac9() + " (mode private; em2 has "));
  CHECK(contains(applied.out, "= guest " + ens9 + " " + lab::mac9() + "\n"));
  CHECK(contains(applied.out, v + " " + ens8 + ": mac ok: host macvtap"));
  CHECK(contains(applied.out, v + " ens3: mac ok: guest ens3 " + lab::net_mac()));
  // Waiting for the guest's network restart the spec leaves to the operator.
  CHECK(contains(applied.out, v + ": routes pending activation " + why + ": expected "));
  CHECK(contains(applied.out, "found missing: "));
  CHECK(contains(applied.out, "default via " + p.gateway9 + " dev " + ens9));
  CHECK(contains(applied.out, v + " " + ens9 + ": reach pending activation " + why +
                                  ": expected gateway " + p.gateway9 + " answers a ping"));
  CHECK(contains(applied.out, v + " " + ens8 + ": reach pending activation " + why));
  CHECK(contains(applied.out, "; verified: the persistent state matches the spec; 3 live "
                              "checks pending activation (activate: none).\n"));
  CHECK_FALSE(contains(applied.out, "FAILED"));
  CHECK_FALSE(contains(applied.err, "apply failed"));
  CHECK_FALSE(contains(applied.err, "Rolled back"));

  // Kept: the files in the guest, the devices in the running domain; nothing restarted.
  const auto f9 = a.read(kNs + "/ifcfg-" + ens9);
  REQUIRE(f9);
  CHECK(contains(f9->bytes, "IPADDR=" + lab::host_part(p.address9) + "\n"));
  CHECK(contains(f9->bytes, "HWADDR=" + lab::mac9() + "\n"));
  const auto f8 = a.read(kNs + "/ifcfg-" + ens8);
  REQUIRE(f8);
  CHECK(contains(f8->bytes, "IPADDR=" + lab::host_part(p.address8) + "\n"));
  const auto route8 = a.read(kNs + "/route-" + ens8);
  REQUIRE(route8);
  const auto f3 = a.read(kNs + "/ifcfg-ens3");
  REQUIRE(f3);
  CHECK(contains(f3->bytes, "DEFROUTE=no\n"));
  CHECK(lab::live_has_interface(*hv, guest.name(), lab::mac9()));
  CHECK(lab::live_has_interface(*hv, guest.name(), lab::mac8()));
  CHECK(lab::guest_routes(guest) == routes_before);  // the tool restarted nothing
  const auto replan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("re-plan:\n" << replan.out << replan.err);
  CHECK(replan.exit_code == 0);

  // The operator activates: what was pending now holds.
  const auto restart = lab::guest_run(guest, {"/etc/init.d/network", "restart"});
  INFO(restart.out << restart.err);
  CHECK(restart.exit_code == 0);
  const auto want = lab::expected_routes(p);
  auto routes = lab::guest_routes(guest);
  for (int i = 0; i < 20 && routes != want; ++i) {
    std::this_thread::sleep_for(1s);
    routes = lab::guest_routes(guest);
  }
  INFO("guest routes after the network restart:\n" << join(routes) << "spec implies:\n"
                                                    << join(want));
  CHECK(routes == want);
  CHECK(lab::answers_ping(lab::host_part(p.address9)));
  CHECK(lab::answers_ping(lab::host_part(p.address8)));
}
