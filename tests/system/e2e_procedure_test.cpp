// The procedure end to end on a running lab guest (issue 6, items 4 and 5): from the BEFORE
// state (one interface on an internal network, configured by its ifcfg file), `apply` the
// lab seed spec with guest_files: agent and activate: restart-network, then verify as the
// procedure's Verification section does — the guest's interfaces carry the MACs of the
// host's macvtapN@em2 / macvtapN@em1 (names from the live XML, facts from `ip -j -d link`),
// the guest's routing table is the one the spec implies, the lab namespace pings the guest's
// macvtap addresses — and `apply` itself prints the same verification (lib/apply/verify.hpp:
// MAC equality per interface, routing table match, gateways pinged from inside the guest)
// and exits 0. Then a spec that cuts the guest off (wrong address) applied with --try=20 and
// no confirm: its verification passes (the gateway still answers the guest), nobody
// confirms, the tool rolls back through the agent by itself and the ping works again. Last,
// a spec with a wrong gateway, --try=20: apply's own verification fails (the gateway does not
// answer, nothing else differs), which rolls back at once, exit 1. Then a NIC model change
// (cold restart) on the running guest: apply waits for the restarted guest's agent and its
// verification passes, exit 0; the same restart with a wrong gateway fails verification and
// its own rollback restores the guest's files through the agent and restarts it back. One
// booted guest for the whole TEST_CASE (one process), with a persist disk (system_support.hpp)
// so that its files survive the restarts.
// IPv6 (issue 14): ens9 also gets an RFC 3849 address, an IPv6 default route and a route6 to
// the namespace's far network, with `trust_guest_rx_filters: true` (without it the
// namespace's neighbour solicitations for the guest's address never reach the guest: the
// macvtap device's multicast filter does not know the guest's solicited-node group). The
// first apply's verification compares the IPv6 table ("routes6") and pings the IPv6 gateway
// (`ping -6`); the namespace pings the guest's IPv6 address (its neighbour entry flushed
// first: neighbour discovery itself is exercised) and the guest reaches the far network
// through the route6.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "e2e_lab.hpp"

using namespace std::chrono_literals;
namespace lab = mvt::test::lab;

namespace {

const std::string kNs = "etc/sysconfig/network-scripts";
const std::string kBeforeEns3 =
    "TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=203.0.113.10\nPREFIX=25\nDEFROUTE=yes\n"
    "NAME=ens3\nDEVICE=ens3\nONBOOT=yes\n";

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += "  " + x + "\n";
  return out;
}

}  // namespace

TEST_CASE("e2e: the procedure applied through the guest agent, verified, cut off and rolled "
          "back by itself" * doctest::test_suite("system") * doctest::timeout(900)) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
  lab::LabNetwork net;
  auto hv = lab::connect();
  // persist_disk: the guest keeps its network-scripts across the cold restart at the end.
  auto dom = lab::before_domain("e2e", net.name());
  dom.persist_disk = true;
  lab::LabGuest guest(*hv, dom, *image);
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the lab guest's agent did not answer in 120 s");
  MESSAGE("BEFORE guest " << guest.name() << " up in " << guest.boot_to_ping()->count() << " ms");

  // The BEFORE state inside the guest: ens3 configured from its ifcfg file.
  {
    auto a = guest.agent();
    a.write_atomic(kNs + "/ifcfg-ens3", kBeforeEns3);
    const auto r = lab::guest_run(guest, {"/etc/init.d/network", "restart"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }

  lab::LabWorkspace w;
  lab::LabSpecParams p;
  p.guest = guest.name();
  p.network = net.name();
  std::tie(p.slot9, p.slot8) = lab::free_slots(*hv, guest.name());
  p.address9_v6 = lab::address9_v6();
  p.trust9 = true;
  const std::string ens9 = "ens" + std::to_string(p.slot9), ens8 = "ens" + std::to_string(p.slot8);
  MESSAGE("the em2 interface becomes " << ens9 << ", the em1 one " << ens8);
  const auto spec = w.write_spec(p);

  // ---- 6.4: apply the procedure ----
  auto plan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("plan:\n" << plan.out << plan.err);
  REQUIRE(plan.exit_code == 2);
  auto applied = lab::tool(w, {"apply", "-f", spec.string(), "--yes"});
  MESSAGE("apply (" << applied.elapsed.count() << " ms):\n" << applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  // apply prints its own verification (issue 6.4: part of apply, not only of the test).
  {
    const std::string v = "verify guest " + guest.name() + " ";
    CHECK(contains(applied.out, "\nVerification:\n"));
    CHECK(contains(applied.out, v + ens9 + ": mac ok: host macvtap"));
    CHECK(contains(applied.out, "@em2 " + lab::mac9() + " (mode private; em2 has "));
    CHECK(contains(applied.out, "= guest " + ens9 + " " + lab::mac9() + "\n"));
    CHECK(contains(applied.out, v + ens8 + ": mac ok: host macvtap"));
    CHECK(contains(applied.out, "@em1 " + lab::mac8() + " (mode private; em1 has "));
    CHECK(contains(applied.out, "= guest " + ens8 + " " + lab::mac8() + "\n"));
    CHECK(contains(applied.out, v + "ens3: mac ok: guest ens3 " + lab::net_mac() +
                                    " (network interface: no macvtap device)"));
    CHECK(contains(applied.out, "verify guest " + guest.name() + ": routes ok: 5 routes match "
                                "the spec: "));
    CHECK(contains(applied.out, "default via " + p.gateway9 + " dev " + ens9));
    CHECK(contains(applied.out, "203.0.113.128/25 via 198.51.100.1 dev " + ens8));
    CHECK(contains(applied.out, v + ens9 + ": reach ok: gateway " + p.gateway9 +
                                    " answered a ping sent from inside the guest"));
    CHECK(contains(applied.out, v + ens8 + ": reach ok: gateway 198.51.100.1 answered"));
    // IPv6: the table compared, the gateway pinged with ping -6 from inside the guest.
    CHECK(contains(applied.out, "verify guest " + guest.name() + ": routes6 ok: 3 routes match "
                                "the spec: 2001:db8:0:2::/64 dev " + ens9 + "; default via " +
                                lab::kGateway9v6 + " dev " + ens9 + "; " + lab::kFar6Net +
                                " via " + lab::kGateway9v6 + " dev " + ens9 + "\n"));
    CHECK(contains(applied.out, v + ens9 + ": reach ok: gateway " + lab::kGateway9v6 +
                                    " answered a ping sent from inside the guest"));
    CHECK_FALSE(contains(applied.out, "FAILED"));
  }
  // IPv6 end to end: the guest's IPv6 table is the spec's, the namespace reaches the guest's
  // IPv6 address (neighbour discovery included), the guest reaches the far network through
  // its route6.
  {
    const auto routes6 = lab::guest_routes6(guest);
    const auto want6 = lab::expected_routes6(p);
    INFO("guest IPv6 routes:\n" << join(routes6) << "spec implies:\n" << join(want6));
    CHECK(routes6 == want6);
    const auto ns6 = lab::netns_ping(lab::host_part(p.address9_v6), {"-6", "-c", "1", "-W", "2"});
    INFO("ip netns exec mvtlab ping -6 -c 1 -W 2 " << lab::host_part(p.address9_v6) << ":\n"
                                                   << ns6.out << ns6.err);
    CHECK(ns6.exit_code == 0);
    const auto far = lab::guest_run(guest, {"ping", "-6", "-c", "1", "-W", "2", lab::kFar6Host});
    INFO("guest: ping -6 " << lab::kFar6Host << ":\n" << far.out << far.err);
    CHECK(far.exit_code == 0);
  }

  // The host side, read from the kernel, names from the live XML (not by globbing).
  const auto taps = guest.macvtap_devices();
  REQUIRE(taps.size() == 2);
  const auto em2 = lab::host_link("em2"), em1 = lab::host_link("em1");
  REQUIRE(em2);
  REQUIRE(em1);
  const struct {
    std::string tap, lower, mac, name, lower_mac;
  } expect[] = {{taps[0], "em2", lab::mac9(), ens9, em2->mac},
                {taps[1], "em1", lab::mac8(), ens8, em1->mac}};
  auto a = guest.agent();
  const auto nics = a.network_interfaces();
  for (const auto& e : expect) {
    CAPTURE(e.tap);
    const auto h = lab::host_link(e.tap);
    REQUIRE(h);
    CHECK(h->kind == "macvtap");
    CHECK(h->lower == e.lower);
    CHECK(h->mode == "private");
    CHECK(h->mac == e.mac);
    CHECK(h->mac != e.lower_mac);
    auto g = std::find_if(nics.begin(), nics.end(), [&](auto& n) { return n.name == e.name; });
    REQUIRE_MESSAGE(g != nics.end(), "guest has no " << e.name);
    REQUIRE(g->mac);
    CHECK(g->mac->str() == h->mac);
  }
  const auto routes = lab::guest_routes(guest);
  const auto want = lab::expected_routes(p);
  INFO("guest routes:\n" << join(routes) << "spec implies:\n" << join(want));
  CHECK(routes == want);
  CHECK(lab::answers_ping(lab::host_part(p.address9)));
  CHECK(lab::answers_ping(lab::host_part(p.address8)));
  const auto replan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("re-plan:\n" << replan.out << replan.err);
  CHECK(replan.exit_code == 0);
  const auto ens9_after = a.read(kNs + "/ifcfg-" + ens9);
  REQUIRE(ens9_after);

  // ---- 6.5: a spec that cuts ens9 off, --try=20, nobody confirms ----
  lab::LabSpecParams cut = p;
  cut.address9 = lab::address9(40);
  const auto cut_spec = w.write_spec(cut, "cut.yaml");
  auto running = std::async(std::launch::async, [&] {
    return lab::tool(w, {"apply", "-f", cut_spec.string(), "--yes", "--try=20"}, 300s);
  });
  // While the tool waits for a confirmation, the new address answers (the cut happened).
  bool saw_cut = false;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline &&
         running.wait_for(0s) != std::future_status::ready) {
    if (lab::netns_ping(lab::host_part(cut.address9), {"-c", "1", "-W", "1"}, 5s).exit_code == 0) {
      saw_cut = true;
      break;
    }
    std::this_thread::sleep_for(500ms);
  }
  const auto r = running.get();
  MESSAGE("apply --try=20 of the cutting spec (" << r.elapsed.count() << " ms, exit "
                                                 << r.exit_code << "):\n" << r.out << r.err);
  CHECK(saw_cut);
  CHECK(r.exit_code == 1);
  // Restored through the agent: files byte for byte, routes, reachability.
  const auto restored = a.read(kNs + "/ifcfg-" + ens9);
  REQUIRE(restored);
  CHECK(restored->bytes == ens9_after->bytes);
  const auto routes_back = lab::guest_routes(guest);
  INFO("guest routes after the rollback:\n" << join(routes_back));
  CHECK(routes_back == want);
  CHECK(lab::answers_ping(lab::host_part(p.address9)));
  const auto replan2 = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("re-plan after the rollback:\n" << replan2.out << replan2.err);
  CHECK(replan2.exit_code == 0);
  // The cut spec's own verification passed (its gateway still answers the guest): what
  // rolled it back was the missing confirmation.
  CHECK(contains(r.out, "verify guest " + guest.name() + " " + ens9 + ": reach ok"));
  CHECK(contains(r.err, "No confirmation in time"));

  // ---- a wrong gateway, --try=20: apply's verification fails and rolls back by itself ----
  lab::LabSpecParams wrong = p;
  wrong.gateway9 = "192.0.2.253";  // in ens9's subnet; nothing in the lab answers it
  const auto wrong_spec = w.write_spec(wrong, "wrong-gateway.yaml");
  const auto wr = lab::tool(w, {"apply", "-f", wrong_spec.string(), "--yes", "--try=20"}, 300s);
  MESSAGE("apply --try=20 of the wrong-gateway spec (" << wr.elapsed.count() << " ms, exit "
                                                       << wr.exit_code << "):\n" << wr.out << wr.err);
  CHECK(wr.exit_code == 1);
  const std::string v = "verify guest " + guest.name();
  // The routing table is what that spec implies; only the reachability check fails.
  CHECK(contains(wr.out, v + ": routes ok: 5 routes match the spec"));
  CHECK(contains(wr.out, "default via 192.0.2.253 dev " + ens9));
  CHECK(contains(wr.out, v + " " + ens9 + ": reach FAILED: expected gateway 192.0.2.253 answers "
                             "a ping; found ping 192.0.2.253 from inside the guest: no answer"));
  CHECK(contains(wr.out, v + " " + ens8 + ": reach ok"));
  CHECK(contains(wr.err, "apply failed at step"));
  CHECK(contains(wr.err, "/verify: verification failed:"));
  CHECK(contains(wr.err, "Rolled back:"));
  CHECK_FALSE(contains(wr.out, "Waiting 20 s"));  // rolled back at once, not after the wait
  const auto restored_gw = a.read(kNs + "/ifcfg-" + ens9);
  REQUIRE(restored_gw);
  CHECK(restored_gw->bytes == ens9_after->bytes);
  const auto routes_gw = lab::guest_routes(guest);
  INFO("guest routes after the wrong-gateway rollback:\n" << join(routes_gw));
  CHECK(routes_gw == want);
  CHECK(lab::answers_ping(lab::host_part(p.address9)));

  // ---- a NIC model change on the running agent-sourced guest: cold restart, then apply's
  // verification re-plans through the agent of the rebooted guest. The tool waits (bounded,
  // agent_wait.hpp) for the agent before it re-plans: without the wait, the re-plan failed at
  // once ("agent not connected, still booting?") and the rollback could not restore the
  // guest's files. virtio -> virtio-non-transitional: a different QEMU device the lab image's
  // virtio_net still drives (it carries no other NIC driver), so the guest keeps ens9. ----
  lab::LabSpecParams model = p;
  model.model9 = "virtio-non-transitional";
  const auto model_spec = w.write_spec(model, "model.yaml");
  const auto mplan = lab::tool(w, {"plan", "-f", model_spec.string()});
  INFO("plan of the model change:\n" << mplan.out << mplan.err);
  CHECK(contains(mplan.out, "(activate: cold-restart) [disruptive]"));
  CHECK(contains(mplan.out, "the NIC model changes on " + ens9 +
                                " (virtio -> virtio-non-transitional)"));
  const int id_before = lab::live_domain_id(*hv, guest.name());
  const auto mr = lab::tool(w, {"-v", "apply", "-f", model_spec.string(), "--yes"}, 600s);
  MESSAGE("apply of the model change with a cold restart (" << mr.elapsed.count() << " ms, exit "
                                                            << mr.exit_code << "):\n"
                                                            << mr.out << mr.err);
  CHECK(mr.exit_code == 0);
  CHECK(lab::live_domain_id(*hv, guest.name()) != id_before);  // a new QEMU process
  // The wait was needed and reported: the agent of the restarted guest answered after a
  // while, and the verification passed on the restarted guest.
  CHECK(contains(mr.err, "waiting up to 120.0 s for the guest agent of " + guest.name() +
                             " on kvm1 (after cold-restart"));
  CHECK(contains(mr.err, "guest agent of " + guest.name() + " on kvm1 answered after "));
  CHECK(contains(mr.out, "\nVerification:\n"));
  CHECK(contains(mr.out, v + " " + ens9 + ": mac ok: host macvtap"));
  CHECK(contains(mr.out, v + ": routes ok: 5 routes match the spec"));
  CHECK(contains(mr.out, v + " " + ens9 + ": reach ok"));
  CHECK(contains(mr.out, v + " " + ens8 + ": reach ok"));
  CHECK_FALSE(contains(mr.out, "FAILED"));
  CHECK_FALSE(contains(mr.err, "ignored the shutdown request"));  // shut down through the agent
  const auto replan3 = lab::tool(w, {"plan", "-f", model_spec.string(), "--detailed-exitcode"});
  INFO("re-plan after the model change:\n" << replan3.out << replan3.err);
  CHECK(replan3.exit_code == 0);

  // ---- the same restart with a wrong gateway: the verification after the restart fails,
  // and apply's own rollback restores the guest's files through the agent of the restarted
  // guest, restarts it cold again into its previous definition and waits for it again ----
  lab::LabSpecParams both = model;
  both.model9 = "virtio";
  both.gateway9 = "192.0.2.253";  // nothing in the lab answers it
  const auto both_spec = w.write_spec(both, "model-wrong-gateway.yaml");
  const auto br = lab::tool(w, {"-v", "apply", "-f", both_spec.string(), "--yes"}, 600s);
  MESSAGE("apply of a model change with a wrong gateway (" << br.elapsed.count() << " ms, exit "
                                                           << br.exit_code << "):\n"
                                                           << br.out << br.err);
  CHECK(br.exit_code == 1);
  CHECK(contains(br.out, v + " " + ens9 + ": reach FAILED"));
  CHECK(contains(br.err, "Rolled back:"));
  CHECK_FALSE(contains(br.err, "Rollback incomplete"));
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the guest's agent did not answer after rollback");
  const auto restored_model = a.read(kNs + "/ifcfg-" + ens9);
  REQUIRE(restored_model);
  CHECK(restored_model->bytes == ens9_after->bytes);
  // The lab guest's agent answers before its boot-time network start has run: poll the
  // routes (bounded) as apply's own verification does.
  auto routes_model = lab::guest_routes(guest);
  for (int i = 0; i < 60 && routes_model != want; ++i) {
    std::this_thread::sleep_for(1s);
    routes_model = lab::guest_routes(guest);
  }
  INFO("guest routes after the rollback of the restart:\n" << join(routes_model));
  CHECK(routes_model == want);
  CHECK(lab::answers_ping(lab::host_part(p.address9)));
  const auto replan4 = lab::tool(w, {"plan", "-f", model_spec.string(), "--detailed-exitcode"});
  INFO("re-plan after the rollback of the restart:\n" << replan4.out << replan4.err);
  CHECK(replan4.exit_code == 0);
}
