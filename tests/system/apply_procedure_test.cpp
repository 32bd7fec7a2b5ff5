// The procedure applied to a shut-off guest on the real libvirtd (issue 9, items 2-3):
// define the BEFORE guest (shut off), `apply` the lab seed spec (guest files in a dir: root,
// no activation), re-plan empty, the persistent XML valid against libvirt's RelaxNG schema;
// start the guest and check as the procedure's Verification does, from the kernel
// (`ip -j -d link`): macvtapN@em2 / macvtapN@em1 (names from the live XML) carry the guest's
// MACs, differ from the NIC's MAC, mode private. Then, on the running guest: a mode change
// private -> vepa (replaced live) changes the host device's mode; a model change is
// disruptive, applied, live afterwards; `rollback` after each restores the inactive XML.
// Hot-plug of new interfaces into a running guest is the e2e test's (e2e_procedure_test.cpp);
// hot-unplug is not covered yet.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <optional>

#include "e2e_lab.hpp"
#include "files/process.hpp"

using namespace std::chrono_literals;
namespace lab = mvt::test::lab;
namespace fs = std::filesystem;

namespace {

// virt-xml-validate on the persistent XML of `guest`: "" when valid, else its message.
std::string validate_inactive(mvt::Hypervisor& hv, const std::string& guest, const fs::path& dir) {
  const auto xml = hv.domain_xml(guest, true);
  if (!xml) return "no persistent XML";
  const auto f = dir / "inactive.xml";
  std::ofstream(f) << *xml;
  const auto r = mvt::run_process({"virt-xml-validate", f.string(), "domain"}, 60s);
  return r.exit_code == 0 ? "" : r.out + r.err;
}

// The taps are matched to NICs by their lower device (a replaced interface moves to the end
// of the live XML's interface list).
void check_host_macvtaps(lab::LabGuest& guest, const std::string& mode9) {
  const auto taps = guest.macvtap_devices();
  REQUIRE(taps.size() == 2);
  const auto em2 = lab::host_link("em2"), em1 = lab::host_link("em1");
  REQUIRE(em2);
  REQUIRE(em1);
  std::optional<lab::HostLink> t9, t8;
  for (const auto& t : taps) {
    auto h = lab::host_link(t);
    REQUIRE_MESSAGE(h, "the live XML names " << t << " but the kernel has no such link");
    (h->lower == "em2" ? t9 : t8) = h;
  }
  REQUIRE(t9);
  REQUIRE(t8);
  CHECK(t9->kind == "macvtap");
  CHECK(t9->mac == lab::mac9());
  CHECK(t9->mac != em2->mac);
  CHECK(t9->mode == mode9);
  CHECK(t8->kind == "macvtap");
  CHECK(t8->lower == "em1");
  CHECK(t8->mac == lab::mac8());
  CHECK(t8->mac != em1->mac);
  CHECK(t8->mode == "private");
}

std::string live_model(mvt::Hypervisor& hv, const std::string& guest, const std::string& mac) {
  const auto xml = hv.domain_xml(guest, false);
  if (!xml) return "";
  const auto at = xml->find(mac);
  if (at == std::string::npos) return "";
  const auto m = xml->find("<model type='", at);
  if (m == std::string::npos) return "";
  const auto b = m + 13;
  return xml->substr(b, xml->find('\'', b) - b);
}

}  // namespace

TEST_CASE("apply: the procedure on a shut-off guest, started and checked from the kernel: "
          "mode and model changes, rollback restores the inactive XML" *
          doctest::test_suite("system") * doctest::timeout(900)) {
  MVT_REQUIRE_LAB();
  if (const auto t = lab::tool_unavailable_reason(); !t.empty()) {
    MESSAGE("SKIPPED (system test): " << t);
    return;
  }
  std::string why;
  auto image = lab::guest_image(&why);
  if (!image) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  lab::LabNetwork net;
  auto hv = lab::connect();
  lab::LabGuest guest(*hv, lab::before_domain("apply", net.name()), *image, /*start=*/false);
  const auto before = lab::stable_inactive_xml(*hv, guest.name());
  lab::LabWorkspace w;
  lab::LabSpecParams p;
  p.guest = guest.name();
  p.network = net.name();
  p.guest_files = "dir:guest";
  p.activate = "none";
  std::tie(p.slot9, p.slot8) = lab::free_slots(*hv, guest.name());
  const auto spec = w.write_spec(p);

  // ---- 9.2: apply to the shut-off guest, re-plan empty, schema-valid ----
  auto r = lab::tool(w, {"apply", "-f", spec.string(), "--yes"});
  MESSAGE("apply to the shut-off guest (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto replan = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"});
  INFO("re-plan:\n" << replan.out << replan.err);
  CHECK(replan.exit_code == 0);
  CHECK(validate_inactive(*hv, guest.name(), w.dir) == "");
  const auto applied_xml = lab::stable_inactive_xml(*hv, guest.name());
  CHECK(applied_xml != before);
  // `rollback` undoes the last apply (one level): the BEFORE definition; then again.
  r = lab::tool(w, {"rollback"});
  MESSAGE("rollback of the procedure:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == before);
  r = lab::tool(w, {"apply", "-f", spec.string(), "--yes"});
  REQUIRE(r.exit_code == 0);
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == applied_xml);

  // Started: the host's macvtap devices as the procedure checks them.
  guest.start();
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the guest's agent did not answer in 120 s");
  check_host_macvtaps(guest, "private");
  {
    auto a = guest.agent();
    const auto nics = a.network_interfaces();
    for (const auto& [name, mac] : {std::pair{"ens" + std::to_string(p.slot9), lab::mac9()},
                                    std::pair{"ens" + std::to_string(p.slot8), lab::mac8()}}) {
      CAPTURE(name);
      auto g = std::find_if(nics.begin(), nics.end(), [&](auto& n) { return n.name == name; });
      REQUIRE(g != nics.end());
      REQUIRE(g->mac);
      CHECK(g->mac->str() == mac);
    }
  }

  // ---- mode private -> vepa on the running guest: the host device changes mode ----
  lab::LabSpecParams vepa = p;
  vepa.mode9 = "vepa";
  const auto vepa_spec = w.write_spec(vepa, "vepa.yaml");
  r = lab::tool(w, {"apply", "-f", vepa_spec.string(), "--yes"});
  MESSAGE("apply mode vepa (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  check_host_macvtaps(guest, "vepa");
  CHECK(validate_inactive(*hv, guest.name(), w.dir) == "");
  r = lab::tool(w, {"rollback"});
  MESSAGE("rollback of the mode change:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == applied_xml);

  // ---- model virtio -> e1000: a disruptive change (the device is replaced, or the guest
  // cold-restarted), applied, the new model live afterwards ----
  lab::LabSpecParams model = p;
  model.model9 = "e1000";
  const auto model_spec = w.write_spec(model, "model.yaml");
  auto plan = lab::tool(w, {"plan", "-f", model_spec.string()});
  INFO("plan of the model change:\n" << plan.out << plan.err);
  CHECK(plan.out.find("[disruptive]") != std::string::npos);
  const std::string how = plan.out.find("cold") != std::string::npos
                              ? "asks for a cold restart"
                              : "replaces the device live (detach + attach), no cold restart";
  MESSAGE("the planner " << how << " for a model change");
  r = lab::tool(w, {"apply", "-f", model_spec.string(), "--yes"});
  MESSAGE("apply model e1000 (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(live_model(*hv, guest.name(), lab::mac9()) == "e1000");
  CHECK(validate_inactive(*hv, guest.name(), w.dir) == "");
  r = lab::tool(w, {"rollback"});
  MESSAGE("rollback of the model change:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == applied_xml);
}
