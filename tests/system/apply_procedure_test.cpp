// The procedure applied to a shut-off guest on the real libvirtd (issue 9, items 2-3):
// define the BEFORE guest (shut off), `apply` the lab seed spec (guest files in a dir: root,
// no activation), re-plan empty, the persistent XML valid against libvirt's RelaxNG schema;
// start the guest and check as the procedure's Verification does, from the kernel
// (`ip -j -d link`): macvtapN@em2 / macvtapN@em1 (names from the live XML) carry the guest's
// MACs, differ from the NIC's MAC, mode private. Then, on the running guest (one boot shared
// by the whole test case, restarted only by the model change):
//  - mode private -> vepa: replaced live (detach + attach), the host device changes mode;
//  - hot-unplug: the em1 interface removed from the spec is detached from the running guest,
//    its macvtap device leaves the kernel; rollback plugs it back in;
//  - model virtio -> e1000: the plan asks for a cold restart (never a live swap), apply does
//    it, the new model is live and the host's macvtap device is back; rollback restarts the
//    guest with virtio again;
//  - `rollback` after each restores the inactive XML (modulo volatile fields).
// Hot-plug of new interfaces into a running guest is the e2e test's (e2e_procedure_test.cpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <thread>

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

// The spec text without the interface `name` (its list item up to the next item or the end).
std::string without_interface(const std::string& spec, const std::string& name) {
  const std::string item = "          - name: ";
  const auto a = spec.find(item + name + "\n");
  REQUIRE(a != std::string::npos);
  const auto b = spec.find(item, a + item.size());
  return spec.substr(0, a) + (b == std::string::npos ? "" : spec.substr(b));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Polls `done` every 200 ms until it holds or `timeout` passes.
template <class F>
bool wait_until(F done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace

TEST_CASE("apply: the procedure on a shut-off guest, started and checked from the kernel: "
          "mode change, hot-unplug, model change by cold restart, rollback restores the "
          "inactive XML" *
          doctest::test_suite("system") * doctest::timeout(900)) {
  MVT_REQUIRE_LAB_TOOL_AND_IMAGE(image);
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

  // ---- hot-unplug: the em1 interface leaves the spec; detached from the running guest ----
  {
    const std::string ens8 = "ens" + std::to_string(p.slot8);
    const auto unplug_spec = w.dir / "unplug.yaml";
    std::ofstream(unplug_spec) << without_interface(slurp(spec), ens8);
    auto plan = lab::tool(w, {"plan", "-f", unplug_spec.string()});
    INFO("plan of the unplug:\n" << plan.out << plan.err);
    CHECK(plan.out.find("(live detach)") != std::string::npos);
    CHECK(plan.out.find("(live attach)") == std::string::npos);
    const auto taps = lab::host_links_with_mac(lab::mac8());
    REQUIRE(taps.size() == 1);
    CHECK(taps[0].lower == "em1");
    r = lab::tool(w, {"apply", "-f", unplug_spec.string(), "--yes"});
    MESSAGE("apply the unplug (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    // Gone from the live XML (the guest acknowledged the unplug) and from the kernel.
    CHECK(lab::live_has_interface(*hv, guest.name(), lab::mac8()) == false);
    CHECK(guest.macvtap_devices().size() == 1);
    CHECK(lab::host_links_with_mac(lab::mac8()).empty());
    const auto old_tap = lab::host_link(taps[0].name);  // the name may be reused by another
    CHECK((!old_tap || old_tap->mac != lab::mac8()));   // guest, never with this MAC
    CHECK(lab::host_links_with_mac(lab::mac9()).size() == 1);  // the other one stays
    const auto unplugged = lab::stable_inactive_xml(*hv, guest.name());
    CHECK(unplugged.find(lab::mac8()) == std::string::npos);
    r = lab::tool(w, {"plan", "-f", unplug_spec.string(), "--detailed-exitcode"});
    CHECK(r.exit_code == 0);
    // Rollback plugs it back in: persistent and live, a macvtap device on em1 again.
    r = lab::tool(w, {"rollback"});
    MESSAGE("rollback of the unplug (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(lab::stable_inactive_xml(*hv, guest.name()) == applied_xml);
    CHECK(lab::live_has_interface(*hv, guest.name(), lab::mac8()));
    std::vector<lab::HostLink> back;
    CHECK(wait_until([&] { return (back = lab::host_links_with_mac(lab::mac8())).size() == 1; },
                     10s));
    if (back.size() == 1) {
      CHECK(back[0].kind == "macvtap");
      CHECK(back[0].lower == "em1");
      CHECK(back[0].mode == "private");
    }
    check_host_macvtaps(guest, "private");
  }

  // ---- model virtio -> e1000: not swapped live; the plan asks for a cold restart ----
  lab::LabSpecParams model = p;
  model.model9 = "e1000";
  model.activate = "restart-network";  // the lab's activation, raised to cold-restart
  const auto model_spec = w.write_spec(model, "model.yaml");
  const std::string ens9 = "ens" + std::to_string(p.slot9);
  auto plan = lab::tool(w, {"plan", "-f", model_spec.string()});
  INFO("plan of the model change:\n" << plan.out << plan.err);
  CHECK(plan.out.find("(activate: cold-restart) [disruptive]") != std::string::npos);
  CHECK(plan.out.find("the NIC model changes on " + ens9 + " (virtio -> e1000)") !=
        std::string::npos);
  CHECK(plan.out.find("(live detach)") == std::string::npos);
  CHECK(plan.out.find("(live attach)") == std::string::npos);
  CHECK(plan.out.find("(replace in persistent config)") != std::string::npos);
  const int id_before = lab::live_domain_id(*hv, guest.name());
  r = lab::tool(w, {"apply", "-f", model_spec.string(), "--yes"});
  const auto restarted_at = std::chrono::steady_clock::now();
  MESSAGE("apply model e1000 with a cold restart (" << r.elapsed.count() << " ms):\n"
                                                    << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(lab::is_running(*hv, guest.name()));
  CHECK(lab::live_domain_id(*hv, guest.name()) != id_before);  // a new QEMU process
  CHECK(live_model(*hv, guest.name(), lab::mac9()) == "e1000");
  CHECK(validate_inactive(*hv, guest.name(), w.dir) == "");
  // The restarted guest's macvtap devices, from the kernel (new names: new QEMU process).
  check_host_macvtaps(guest, "private");
  r = lab::tool(w, {"plan", "-f", model_spec.string(), "--detailed-exitcode"});
  CHECK(r.exit_code == 0);
  // Rollback restarts the guest cold again (the journaled activation): it must be up to
  // honour the shutdown request.
  REQUIRE_MESSAGE(guest.wait_for_agent(120s), "the restarted guest's agent did not answer");
  MESSAGE("end of the cold-restarting apply to first guest-ping: "
          << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - restarted_at)
                 .count()
          << " ms");
  r = lab::tool(w, {"rollback"});
  MESSAGE("rollback of the model change (" << r.elapsed.count() << " ms):\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(lab::stable_inactive_xml(*hv, guest.name()) == applied_xml);
  CHECK(live_model(*hv, guest.name(), lab::mac9()) == "virtio");
}
