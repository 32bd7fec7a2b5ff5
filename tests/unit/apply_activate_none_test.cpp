// Issue 13.4 on the embedded lab (a temp copy of specs/lab over libvirt's test:/// driver;
// web1 runs): `apply` of a guest with `activate: none` succeeds. Its files are written and
// its persistent definition replaced; the executor's re-plan (which must come back empty)
// does not count the live differences the spec itself leaves for later - a NIC model change
// waits for the guest's next cold restart: the planner plans no step for it under
// `activate: none`, only a warning - so nothing is rolled back. (The guest checks of
// verify.hpp are skipped here: web1's files are dir:, not agent; the real guest run is
// tests/system/e2e_activate_none_test.cpp.)
#include <doctest/doctest.h>

#include <filesystem>

#include "apply_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

const std::string kNs = "etc/sysconfig/network-scripts";

using mvt::test::contains;

}  // namespace

TEST_CASE("apply: activate: none with a NIC model change left for the next cold restart -> "
          "applied, re-plan empty, nothing rolled back" * doctest::test_suite("apply")) {
  test::TempDir t;
  const fs::path lab = t.path() / "lab";
  fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
  // web1 already runs ens9 on em2, as virtio; the spec (specs/seed.yaml) wants rtl8139.
  std::string node = test::read_file(lab / "node.xml");
  const std::string anchor = "      <channel type='unix'>";
  const auto at = node.find(anchor);
  REQUIRE(at != std::string::npos);
  node.insert(at,
              "      <interface type='direct'>\n"
              "        <mac address='52:54:00:5d:9c:33'/>\n"
              "        <source dev='em2' mode='private'/>\n"
              "        <model type='virtio'/>\n"
              "      </interface>\n");
  test::write_file(lab / "node.xml", node);
  test::write_file(lab / "activate-none.yaml",
                   "version: 1\nhosts:\n  kvm1:\n    uri: test:node.xml\n    guests:\n"
                   "      web1:\n        activate: none\n");
  const std::vector<std::string> specs{
      "-f", (test::source_dir() / "specs" / "seed.yaml").string(), "-f",
      (lab / "seed-lab.yaml").string(), "-f", (lab / "activate-none.yaml").string()};
  auto args = [&](std::vector<std::string> a) {
    std::vector<std::string> out{"--state-dir", (t.path() / "state").string(), "--color", "never"};
    out.insert(out.end(), a.begin(), a.end());
    out.insert(out.end(), specs.begin(), specs.end());
    return out;
  };
  const auto guest_before = test::snapshot_tree(lab / "guest-web1");

  const auto plan = test::run_tool_env(args({"plan"}));
  INFO("plan:\n" << plan.out << plan.err);
  REQUIRE(plan.exit_code == 0);
  CHECK_FALSE(contains(plan.out, "guest/web1/activation"));
  CHECK(contains(plan.out, "guest web1 has `activate: none`: its device changes need a cold "
                           "restart"));

  const auto r = test::run_tool_env(args({"apply", "--yes"}));
  INFO("apply:\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "\nApplied "));
  CHECK_FALSE(contains(r.err, "verification failed"));
  CHECK_FALSE(contains(r.err, "Rolled back"));
  // The files were written (and kept): ens9's and ens8's ifcfg are new, eth0's is edited.
  const auto guest_after = test::snapshot_tree(lab / "guest-web1");
  CHECK(guest_after.count(kNs + "/ifcfg-ens9") == 1);
  CHECK(guest_after.count(kNs + "/ifcfg-ens8") == 1);
  CHECK(guest_before.count(kNs + "/ifcfg-ens9") == 0);
  CHECK(guest_after.at(kNs + "/ifcfg-eth0") != guest_before.at(kNs + "/ifcfg-eth0"));
  CHECK(contains(guest_after.at(kNs + "/ifcfg-ens9").bytes, "IPADDR=104.50.201.84\n"));
}
