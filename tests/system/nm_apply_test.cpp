// Issue 15, points 3 and 6: the NetworkManager lab guest (tests/system/guest-nm/, a real
// Debian 12 with NetworkManager's keyfile plugin, booted under TCG) driven through the tool
// with `guest_files: agent` and `config_format` auto (the guest has no ifcfg file at all, so
// keyfile). Before: an operator's profile for ens9 (another address). Then:
//  - plan shows the keyfile edits and NetworkManager's activation;
//  - apply writes the profiles (0600), runs `nmcli connection reload` and `nmcli connection
//    up uuid` for each, and its own verification passes (MACs, routes, gateway pings); the
//    lab namespace pings the new addresses; NetworkManager's view agrees; re-plan is empty;
//  - show imports the guest as `config_format: keyfile` and the plan of that is empty;
//  - rollback restores the operator's profile byte for byte, removes the created one, and
//    NetworkManager brings the old profile up again (the old address answers);
//  - apply --try=20 that nobody confirms is rolled back the same way.
// One booted guest, about 3 minutes under TCG.
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <yaml-cpp/yaml.h>

#include "e2e_lab.hpp"
#include "nm_guest_support.hpp"
#include "../unit/test_support.hpp"

namespace lab = mvt::test::lab;
using namespace std::chrono_literals;
using mvt::test::contains;

namespace {

// Serial with the other system tests (RUN_SERIAL): the NM guest's own range, as nm_guest_test.
const unsigned kHost = 56 + unsigned(getpid()) % 20;
std::string ip9(unsigned off = 0) { return "192.0.2." + std::to_string(kHost + off); }
std::string ip8() { return "198.51.100." + std::to_string(kHost); }
std::string ip6() { return "2001:db8:0:2::4:" + std::to_string(kHost); }
const std::string kKf = "etc/NetworkManager/system-connections/";
const std::string kOldUuid = "0b5e7c1d-2f3a-4b6c-8d9e-a1b2c3d4e5f6";

// The operator's profile before the tool: static, another address, its own comment.
std::string operator_profile() {
  return "# the operator's ens9 profile\n"
         "[connection]\n"
         "id=ens9\n"
         "uuid=" + kOldUuid + "\n"
         "type=ethernet\n"
         "interface-name=ens9\n"
         "\n"
         "[ethernet]\n"
         "mac-address=" + lab::test_mac(9) + "\n"
         "\n"
         "[ipv4]\n"
         "address1=" + ip9(40) + "/24\n"
         "method=manual\n"
         "\n"
         "[ipv6]\n"
         "method=disabled\n";
}

std::string spec(const std::string& guest, const std::string& address9) {
  return "version: 1\n"
         "hosts:\n"
         "  kvm1:\n"
         "    uri: qemu:///system\n"
         "    nics:\n"
         "      em1: {config: host}\n"
         "      em2: {config: host}\n"
         "    guests:\n"
         "      " + guest + ":\n"
         "        guest_files: agent\n"
         "        activate: restart-network\n"
         "        interfaces:\n"
         "          - name: ens8\n"
         "            direct: {dev: em1, mode: private, trust_guest_rx_filters: true}\n"
         "            mac: \"" + lab::test_mac(8) + "\"\n"
         "            model: virtio\n"
         "            ipv4: {address: " + ip8() + "/24}\n"
         "            defroute: false\n"
         "            peerdns: false\n"
         "          - name: ens9\n"
         "            direct: {dev: em2, mode: private, trust_guest_rx_filters: true}\n"
         "            mac: \"" + lab::test_mac(9) + "\"\n"
         "            model: virtio\n"
         "            ipv4: {address: " + address9 + "/24, gateway: 192.0.2.1}\n"
         "            defroute: true\n"
         "            peerdns: false\n"
         "            ipv6: {method: static, addresses: [\"" + ip6() + "/64\"]}\n"
         "            ipv6_defroute: false\n"
         "            routes: [{to: 203.0.113.0/24, via: 192.0.2.1, metric: 7}]\n";
}

lab::GuestRun run(lab::LabGuest& g, const std::vector<std::string>& argv) {
  const auto r = lab::guest_run(g, argv, 60s);
  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  INFO("guest: " << cmd << "-> exit " << r.exit_code << "\n" << r.out << r.err);
  CHECK(r.exit_code == 0);
  return r;
}

// "UUID:DEVICE:STATE" lines of NetworkManager's profiles.
std::string nm_connections(lab::LabGuest& g) {
  return run(g, {"nmcli", "-t", "-f", "UUID,DEVICE,ACTIVE,FILENAME", "connection", "show"}).out;
}

bool ens9_has(lab::LabGuest& g, const std::string& addr) {
  const auto r = lab::guest_run(g, {"ip", "-j", "addr", "show", "dev", "ens9"}, 30s);
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return false;
  for (const auto& l : j)
    for (const auto& a : l.value("addr_info", nlohmann::json::array()))
      if (a.value("local", "") == addr) return true;
  return false;
}

// NetworkManager settles asynchronously after `up`/reload: bounded wait for ens9's address.
bool wait_ens9(lab::LabGuest& g, const std::string& addr, bool present) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ens9_has(g, addr) == present) return true;
    std::this_thread::sleep_for(500ms);
  }
  return false;
}

std::string uuid_in(const std::string& profile) {
  const auto at = profile.find("\nuuid=");
  REQUIRE(at != std::string::npos);
  return profile.substr(at + 6, 36);
}

}  // namespace

TEST_CASE("nm apply: a NetworkManager guest planned, applied, verified, shown and rolled back "
          "through the tool" * doctest::test_suite("system") * doctest::timeout(1200)) {
  MVT_REQUIRE_LAB();
  if (const auto why = lab::tool_unavailable_reason(); !why.empty()) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  std::string why;
  const auto image = lab::nm_guest_image(&why);
  if (!image) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  auto hv = lab::connect();
  lab::LabDomainOptions o;
  o.what = "nm-apply";
  lab::NmLabGuest nm(*hv, o, *image);
  REQUIRE_MESSAGE(nm.wait_for_agent(), "the NM guest's agent did not answer within 240 s");
  REQUIRE_MESSAGE(nm.wait_for_network_manager(), "NetworkManager did not run within 120 s");
  MESSAGE("NM lab guest " << nm.name() << " (TCG): start to first guest-ping "
                          << nm.guest().boot_to_ping()->count() << " ms");
  auto& g = nm.guest();
  auto a = g.agent();

  // The operator's profile, active with the old address.
  a.write_atomic(kKf + "ens9.nmconnection", operator_profile(), 0600);
  run(g, {"nmcli", "connection", "reload"});
  run(g, {"nmcli", "-w", "60", "connection", "up", "uuid", kOldUuid});
  REQUIRE(wait_ens9(g, ip9(40), true));
  const std::string before = a.read(kKf + "ens9.nmconnection")->bytes;

  lab::LabWorkspace w;
  const auto spec_path = w.dir / "nm.yaml";
  mvt::test::write_file(spec_path, spec(nm.name(), ip9()));

  // ---- plan ----
  const auto plan = lab::tool(w, {"plan", "-f", spec_path.string(), "--detailed-exitcode"});
  INFO("plan:\n" << plan.out << plan.err);
  REQUIRE(plan.exit_code == 2);
  CHECK(contains(plan.out, "guest/" + nm.name() + "/file/ens9.nmconnection  (update file)"));
  CHECK(contains(plan.out, "guest/" + nm.name() + "/file/ens8.nmconnection  (create file)"));
  CHECK(contains(plan.out, "NetworkManager reloads its profiles"));
  CHECK_FALSE(contains(plan.out, "ifcfg-"));

  // ---- apply ----
  const auto applied = lab::tool(w, {"apply", "-f", spec_path.string(), "--yes"}, 600s);
  MESSAGE("apply (" << applied.elapsed.count() << " ms):\n" << applied.out << applied.err);
  REQUIRE(applied.exit_code == 0);
  const std::string v = "verify guest " + nm.name();
  CHECK(contains(applied.out, v + ": routes ok"));
  CHECK(contains(applied.out, v + " ens9: reach ok"));
  CHECK(contains(applied.out, v + " ens9: mac ok"));
  CHECK_FALSE(contains(applied.out, "FAILED"));
  const auto f9 = a.read(kKf + "ens9.nmconnection");
  REQUIRE(f9);
  CHECK(contains(f9->bytes, "# the operator's ens9 profile\n"));
  CHECK(contains(f9->bytes, "address1=" + ip9() + "/24\n"));
  CHECK(contains(f9->bytes, "gateway=192.0.2.1\n"));
  CHECK(uuid_in(f9->bytes) == kOldUuid);
  const auto f8 = a.read(kKf + "ens8.nmconnection");
  REQUIRE(f8);
  const std::string u8 = uuid_in(f8->bytes);
  CHECK(run(g, {"stat", "-c", "%a %U", "/" + kKf + "ens8.nmconnection"}).out == "600 root\n");
  const auto conns = nm_connections(g);
  INFO("nmcli connection show:\n" << conns);
  CHECK(contains(conns, kOldUuid + ":ens9:yes:/" + kKf + "ens9.nmconnection"));
  CHECK(contains(conns, u8 + ":ens8:yes:/" + kKf + "ens8.nmconnection"));
  CHECK(ens9_has(g, ip9()));
  CHECK(ens9_has(g, ip6()));
  CHECK_FALSE(ens9_has(g, ip9(40)));
  CHECK(lab::answers_ping(ip9()));
  CHECK(lab::answers_ping(ip8()));
  const auto replan = lab::tool(w, {"plan", "-f", spec_path.string(), "--detailed-exitcode"});
  INFO("re-plan:\n" << replan.out << replan.err);
  CHECK(replan.exit_code == 0);

  // ---- show: the guest as a keyfile guest; the plan of it is empty ----
  const auto shown = lab::tool(w, {"show", "--connect", "qemu:///system", "--host", "kvm1",
                                   "--guest-files", nm.name() + "=agent"});
  INFO("show:\n" << shown.out << shown.err);
  REQUIRE(shown.exit_code == 0);
  const YAML::Node all = YAML::Load(shown.out);
  YAML::Node mine = all["hosts"]["kvm1"]["guests"][nm.name()];
  REQUIRE(mine.IsMap());
  CHECK(mine["config_format"].as<std::string>() == "keyfile");
  // Read through the read-only agent, mode and owner are unknown: no warning about them.
  CHECK_FALSE(contains(shown.err, "keyfile.ignored-by-nm"));
  // The shown guest alone (other test domains may run on the lab), as show wrote it: its
  // lines cut out of the output (YAML re-emitted by another writer would unquote MACs).
  std::string block;
  {
    std::istringstream in(shown.out);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
      if (line == "      " + nm.name() + ":") inside = true;
      else if (inside && line.size() > 0 && line.find_first_not_of(' ') <= 6) break;
      if (inside) block += line + "\n";
    }
  }
  REQUIRE_FALSE(block.empty());
  const std::string one = "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    nics:\n"
                          "      em1: {config: host}\n      em2: {config: host}\n    guests:\n" +
                          block;
  mvt::test::write_file(w.dir / "shown.yaml", one);
  const auto shown_plan =
      lab::tool(w, {"plan", "-f", (w.dir / "shown.yaml").string(), "--detailed-exitcode"});
  INFO("shown spec:\n" << one << "\nits plan:\n" << shown_plan.out << shown_plan.err);
  CHECK(shown_plan.exit_code == 0);

  // ---- rollback: the operator's profile and NetworkManager's state come back ----
  const auto rolled = lab::tool(w, {"rollback"}, 600s);
  MESSAGE("rollback (" << rolled.elapsed.count() << " ms):\n" << rolled.out << rolled.err);
  CHECK(rolled.exit_code == 0);
  CHECK(a.read(kKf + "ens9.nmconnection")->bytes == before);
  CHECK_FALSE(a.read(kKf + "ens8.nmconnection").has_value());
  CHECK(wait_ens9(g, ip9(40), true));
  CHECK_FALSE(ens9_has(g, ip9()));
  const auto conns_back = nm_connections(g);
  INFO("nmcli connection show after the rollback:\n" << conns_back);
  CHECK(contains(conns_back, kOldUuid + ":ens9:yes:"));
  CHECK_FALSE(contains(conns_back, u8));
  CHECK(lab::answers_ping(ip9(40)));

  // ---- apply --try=20, nobody confirms: rolled back the same way ----
  const auto tried = lab::tool(w, {"apply", "-f", spec_path.string(), "--yes", "--try=20"}, 600s);
  MESSAGE("apply --try=20 (" << tried.elapsed.count() << " ms, exit " << tried.exit_code << "):\n"
                             << tried.out << tried.err);
  CHECK(tried.exit_code == 1);
  CHECK(contains(tried.out, v + " ens9: reach ok"));  // applied and verified, then not confirmed
  CHECK(contains(tried.err, "No confirmation in time"));
  CHECK(a.read(kKf + "ens9.nmconnection")->bytes == before);
  CHECK_FALSE(a.read(kKf + "ens8.nmconnection").has_value());
  CHECK(wait_ens9(g, ip9(40), true));
  CHECK(lab::answers_ping(ip9(40)));
}
