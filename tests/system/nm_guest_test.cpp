// The NetworkManager lab guest (tests/system/guest-nm/): a real Debian 12 with systemd and
// NetworkManager, booted under TCG. A keyfile profile written through the agent (as
// lib/files/agent_source.cpp writes any guest file: guest-file-open/write/close, then mode
// 0600 through guest-exec) is read by the real NetworkManager (`nmcli connection reload`,
// `nmcli connection up <uuid>`); the guest's kernel then has the address and routes, the lab
// namespace reaches the guest over macvtap, and NetworkManager's own view agrees. The profile
// survives a shutdown and start of the domain (copy-on-write root disk), and NetworkManager
// activates it by itself at boot.
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "nm_guest_support.hpp"
#include "system_support.hpp"

namespace lab = mvt::test::lab;
using namespace std::chrono_literals;

namespace {

// This process's addresses on em2's side (suites may run side by side): 192.0.2.56-75 and
// 2001:db8:0:2::4:56-75, which no other lab test uses.
const unsigned kHost = 56 + unsigned(getpid()) % 20;
std::string guest_ip4() { return "192.0.2." + std::to_string(kHost); }
std::string guest_ip6() { return "2001:db8:0:2::4:" + std::to_string(kHost); }

// A UUID for the profile, random per run (the kernel's generator, on the host).
std::string new_uuid() {
  std::FILE* f = std::fopen("/proc/sys/kernel/random/uuid", "r");
  REQUIRE(f != nullptr);
  char buf[64] = {};
  const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  REQUIRE(ok);
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Runs argv in the guest; the whole result is in the failure message.
lab::GuestRun must_run(lab::LabGuest& g, const std::vector<std::string>& argv,
                       std::chrono::milliseconds timeout = 60s) {
  const auto r = lab::guest_run(g, argv, timeout);
  std::string cmd;
  for (const auto& a : argv) cmd += a + " ";
  INFO("guest: " << cmd << "-> exit " << r.exit_code << "\nstdout: " << r.out
                 << "\nstderr: " << r.err);
  CHECK(r.exit_code == 0);
  return r;
}

nlohmann::json guest_json(lab::LabGuest& g, const std::vector<std::string>& argv) {
  const auto r = must_run(g, argv);
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  INFO("not JSON: " << r.out);
  REQUIRE(j.is_array());
  return j;
}

// Whether `ip -j addr show dev DEV` lists `local`/`prefix`.
bool has_address(const nlohmann::json& links, const std::string& local, int prefix) {
  for (const auto& l : links)
    for (const auto& a : l.value("addr_info", nlohmann::json::array()))
      if (a.value("local", "") == local && a.value("prefixlen", -1) == prefix) return true;
  return false;
}

// The route to `dst` in `ip -j route` output, or null.
nlohmann::json route_to(const nlohmann::json& routes, const std::string& dst) {
  for (const auto& r : routes)
    if (r.value("dst", "") == dst) return r;
  return nullptr;
}

// Whether the lab namespace's em2p has an address in 2001:db8:0:2::/64 (the lab may give it
// one; without it the IPv6 side is checked inside the guest only).
bool lab_has_ipv6_on_em2() {
  const auto r = lab::in_netns({"ip", "-j", "-6", "addr", "show", "dev", "em2p"});
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.exit_code != 0 || !j.is_array()) return false;
  for (const auto& l : j)
    for (const auto& a : l.value("addr_info", nlohmann::json::array()))
      if (a.value("local", "").rfind("2001:db8:0:2::", 0) == 0 && a.value("prefixlen", 0) == 64)
        return true;
  return false;
}

// The keyfile the test writes: ens9 (em2 side) by MAC and name, static IPv4 with gateway and
// a route with metric, static IPv6; autoconnect so that NetworkManager brings it up at boot.
std::string keyfile(const std::string& uuid) {
  return "# written by macvtapctl's nm_guest_test through the guest agent\n"
         "[connection]\n"
         "id=mvt-ens9\n"
         "uuid=" + uuid + "\n"
         "type=ethernet\n"
         "interface-name=ens9\n"
         "autoconnect=true\n"
         "\n"
         "[ethernet]\n"
         "mac-address=" + lab::test_mac(9) + "\n"
         "\n"
         "[ipv4]\n"
         "method=manual\n"
         "address1=" + guest_ip4() + "/24\n"
         "gateway=192.0.2.1\n"
         "route1=203.0.113.0/24,192.0.2.1,7\n"
         "\n"
         "[ipv6]\n"
         "method=manual\n"
         "address1=" + guest_ip6() + "/64\n";
}

// The guest's kernel has what the profile says, on ens9.
void check_kernel_state(lab::LabGuest& g) {
  const auto addrs = guest_json(g, {"ip", "-j", "addr", "show", "dev", "ens9"});
  INFO("ip -j addr show dev ens9: " << addrs.dump());
  CHECK(has_address(addrs, guest_ip4(), 24));
  CHECK(has_address(addrs, guest_ip6(), 64));
  REQUIRE(!addrs.empty());
  CHECK(addrs[0].value("address", "") == lab::test_mac(9));
  CHECK(addrs[0].value("operstate", "") == "UP");

  const auto routes = guest_json(g, {"ip", "-j", "route", "show", "dev", "ens9"});
  INFO("ip -j route show dev ens9: " << routes.dump());
  const auto def = route_to(routes, "default");
  REQUIRE(def.is_object());
  CHECK(def.value("gateway", "") == "192.0.2.1");
  const auto r7 = route_to(routes, "203.0.113.0/24");
  REQUIRE(r7.is_object());
  CHECK(r7.value("gateway", "") == "192.0.2.1");
  CHECK(r7.value("metric", -1) == 7);
  CHECK(route_to(routes, "192.0.2.0/24").is_object());

  const auto routes6 = guest_json(g, {"ip", "-j", "-6", "route", "show", "dev", "ens9"});
  INFO("ip -j -6 route show dev ens9: " << routes6.dump());
  CHECK(route_to(routes6, "2001:db8:0:2::/64").is_object());
}

// NetworkManager's own view of the profile agrees with the file and the kernel.
void check_nm_view(lab::LabGuest& g, const std::string& uuid) {
  const auto list = must_run(g, {"nmcli", "-t", "-f", "UUID,NAME,TYPE,DEVICE,ACTIVE,FILENAME",
                                 "connection", "show"});
  INFO("nmcli connection show: " << list.out);
  CHECK(list.out.find(uuid + ":mvt-ens9:802-3-ethernet:ens9:yes:"
                      "/etc/NetworkManager/system-connections/mvt-ens9.nmconnection") !=
        std::string::npos);
  // Only the test's profile: no-auto-default=* keeps NM from making "Wired connection 1".
  CHECK(list.out.find("Wired connection") == std::string::npos);

  // One field's value; nmcli -g escapes ':' and '\\' with a backslash: undone here.
  const auto get = [&](const std::string& field) {
    const auto r = must_run(g, {"nmcli", "-g", field, "connection", "show", uuid});
    std::string s;
    for (std::size_t i = 0; i < r.out.size(); ++i) {
      if (r.out[i] == '\\' && i + 1 < r.out.size()) ++i;
      s += r.out[i];
    }
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  CHECK(get("GENERAL.STATE") == "activated");
  CHECK(get("ipv4.method") == "manual");
  CHECK(get("ipv4.addresses") == guest_ip4() + "/24");
  CHECK(get("ipv4.gateway") == "192.0.2.1");
  CHECK(get("ipv4.routes") == "203.0.113.0/24 192.0.2.1 7");
  CHECK(get("ipv6.method") == "manual");
  CHECK(get("ipv6.addresses") == guest_ip6() + "/64");
  // nmcli writes the MAC in capitals.
  std::string mac = get("802-3-ethernet.mac-address");
  for (auto& c : mac) c = char(std::tolower(static_cast<unsigned char>(c)));
  CHECK(mac == lab::test_mac(9));
  // The device's live state (IP4.* of the active connection) has the address too.
  CHECK(get("IP4.ADDRESS").find(guest_ip4() + "/24") != std::string::npos);
}

void check_ping_from_lab() {
  const auto p4 = lab::netns_ping(guest_ip4(), {"-c", "3", "-w", "15"}, 20s);
  INFO("ping " << guest_ip4() << " from netns " << std::string(lab::kNetns) << ": " << p4.out << p4.err);
  CHECK(p4.exit_code == 0);
  if (lab_has_ipv6_on_em2()) {
    const auto p6 = lab::netns_ping(guest_ip6(), {"-6", "-c", "3", "-w", "15"}, 20s);
    INFO("ping " << guest_ip6() << ": " << p6.out << p6.err);
    CHECK(p6.exit_code == 0);
  } else {
    MESSAGE("em2p has no 2001:db8:0:2::/64 address in the lab: IPv6 checked inside the guest "
            "only (no ping)");
  }
}

long long ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t)
      .count();
}

}  // namespace

TEST_CASE("nm guest: a keyfile written through the agent is activated by NetworkManager" *
          doctest::test_suite("system")) {
  MVT_REQUIRE_LAB();
  std::string why;
  const auto image = lab::nm_guest_image(&why);
  if (!image) {
    MESSAGE("SKIPPED (system test): " << why);
    return;
  }
  auto hv = lab::connect();
  lab::LabDomainOptions o;
  o.what = "nm";
  lab::NmLabGuest nm(*hv, o, *image);
  REQUIRE_MESSAGE(nm.wait_for_agent(), "the NM guest's agent did not answer within 240 s");
  const auto agent_up = std::chrono::steady_clock::now();
  MESSAGE("NM lab guest " << nm.name() << ": start to first guest-ping "
                          << nm.guest().boot_to_ping()->count() << " ms");
  REQUIRE_MESSAGE(nm.wait_for_network_manager(), "NetworkManager did not run within 120 s");
  MESSAGE("NM lab guest: NetworkManager running "
          << nm.guest().boot_to_ping()->count() + ms_since(agent_up) << " ms after the start");
  auto& g = nm.guest();

  // A Debian 12 guest with NetworkManager's keyfile plugin only and no profiles of its own.
  CHECK(must_run(g, {"cat", "/etc/debian_version"}).out.rfind("12.", 0) == 0);
  const auto conf = must_run(g, {"NetworkManager", "--print-config"});
  CHECK(conf.out.find("plugins=keyfile\n") != std::string::npos);
  // ens9 is there and has no connection (its state may still be "unavailable" this early).
  CHECK(must_run(g, {"nmcli", "-t", "-f", "DEVICE,CONNECTION", "device"}).out.find("ens9:\n") !=
        std::string::npos);

  const auto uuid = new_uuid();
  const std::string path = "etc/NetworkManager/system-connections/mvt-ens9.nmconnection";
  {
    auto agent = g.agent();
    agent.write_atomic(path, keyfile(uuid), 0600);  // guest-file-open/write/close + chmod
  }
  CHECK(must_run(g, {"stat", "-c", "%a %U:%G", "/" + path}).out == "600 root:root\n");

  const auto t0 = std::chrono::steady_clock::now();
  must_run(g, {"nmcli", "connection", "reload"});
  must_run(g, {"nmcli", "-w", "60", "connection", "up", uuid}, 90s);
  MESSAGE("nmcli connection reload + up: " << ms_since(t0) << " ms");
  check_kernel_state(g);
  check_nm_view(g, uuid);
  check_ping_from_lab();

  // The disk keeps the profile across a shutdown and start (not a reboot: a new QEMU
  // process), and NetworkManager activates it at boot by itself (autoconnect).
  const auto t1 = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(nm.shutdown(), "the NM guest did not shut off within 180 s of guest-shutdown");
  MESSAGE("NM lab guest: guest-shutdown to shut off " << ms_since(t1) << " ms");
  nm.guest().start();
  REQUIRE_MESSAGE(nm.wait_for_agent(), "the NM guest's agent did not answer after the restart");
  MESSAGE("NM lab guest restarted: start to first guest-ping "
          << nm.guest().boot_to_ping()->count() << " ms");
  REQUIRE(nm.wait_for_network_manager());
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    state = lab::guest_run(g, {"nmcli", "-g", "GENERAL.STATE", "connection", "show", uuid}).out;
    if (state == "activated\n") break;
    std::this_thread::sleep_for(500ms);
  }
  CHECK(state == "activated\n");
  check_kernel_state(g);
  check_nm_view(g, uuid);
  check_ping_from_lab();
}
