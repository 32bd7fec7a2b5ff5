// Faults on the real daemon (issue 9, item 3), on a shut-off BEFORE guest with dir: guest
// files (no boot needed):
//  - libvirtd not answering before a plan -> a clear error, exit 1. The shared lab's
//    libvirtd is not stopped (other suites use it side by side): the same connection failure
//    is produced with --connect to qemu:///system on a socket where no daemon listens.
//  - the tool dies mid-apply (MVT_FAULT_AFTER_STEP, after the domain step) -> `rollback`
//    converges to the BEFORE definition; a crash followed by a new `apply` converges too.
//  - a domain changed by someone else between `plan -o` and `apply PLANFILE` -> refused as
//    stale, nothing changed.
#include <doctest/doctest.h>


#include "e2e_lab.hpp"
#include "files/process.hpp"

using namespace std::chrono_literals;
namespace lab = mvt::test::lab;

TEST_CASE("fault: libvirtd unreachable, tool killed mid-apply, stale plan file" *
          doctest::test_suite("system") * doctest::timeout(600)) {
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
  lab::LabGuest guest(*hv, lab::before_domain("fault", net.name()), *image, /*start=*/false);
  const auto before = lab::stable_inactive_xml(*hv, guest.name());
  lab::LabWorkspace w;
  lab::LabSpecParams p;
  p.guest = guest.name();
  p.network = net.name();
  p.guest_files = "dir:guest";
  p.activate = "none";
  std::tie(p.slot9, p.slot8) = lab::free_slots(*hv, guest.name());
  const auto spec = w.write_spec(p);

  SUBCASE("libvirtd not answering: plan says so and exits 1") {
    const std::string dead = "qemu:///system?socket=" + (w.dir / "no-libvirtd.sock").string();
    auto r = lab::tool(w, {"--connect", dead, "--allow-uri", dead, "plan", "-f", spec.string()},
                       60s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("no-libvirtd.sock") != std::string::npos);
  }

  SUBCASE("killed mid-apply: rollback converges; a new apply converges") {
    // The domain step is the 2nd-last before verify in the shut-off plan; die after each of
    // the first steps in turn until the domain moved, then roll back.
    bool domain_moved = false;
    for (int k = 1; k <= 8 && !domain_moved; ++k) {
      CAPTURE(k);
      auto r = lab::tool(w, {"apply", "-f", spec.string(), "--yes"}, 120s,
                         {{"MVT_FAULT_AFTER_STEP", std::to_string(k)}});
      INFO(r.out << r.err);
      REQUIRE(r.exit_code == 99);
      domain_moved = lab::stable_inactive_xml(*hv, guest.name()) != before;
      r = lab::tool(w, {"rollback"}, 120s);
      INFO("rollback: " << r.out << r.err);
      CHECK(r.exit_code == 0);
      CHECK(lab::stable_inactive_xml(*hv, guest.name()) == before);
    }
    CHECK(domain_moved);
    auto r = lab::tool(w, {"apply", "-f", spec.string(), "--yes"}, 120s,
                       {{"MVT_FAULT_AFTER_STEP", "6"}});
    CHECK(r.exit_code == 99);
    r = lab::tool(w, {"apply", "-f", spec.string(), "--yes"}, 120s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    r = lab::tool(w, {"plan", "-f", spec.string(), "--detailed-exitcode"}, 120s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }

  SUBCASE("a domain changed between plan -o and apply PLANFILE: refused as stale") {
    const auto planfile = (w.dir / "plan.json").string();
    auto r = lab::tool(w, {"plan", "-f", spec.string(), "-o", planfile});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    // Someone else changes the guest's definition: its interface moves to another network
    // model.
    auto xml = *hv->domain_xml(guest.name(), true);
    const auto at = xml.find("<model type='virtio'/>");
    REQUIRE(at != std::string::npos);
    xml.replace(at, 22, "<model type='e1000'/>");
    hv->define_xml(xml);
    const auto moved = lab::stable_inactive_xml(*hv, guest.name());
    r = lab::tool(w, {"apply", "-f", spec.string(), "--yes", planfile});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("stale") != std::string::npos);
    CHECK(lab::stable_inactive_xml(*hv, guest.name()) == moved);
  }
}
