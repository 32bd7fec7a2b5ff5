#include "e2e_lab.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "files/process.hpp"

namespace mvt::test::lab {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

std::string net_mac() { return test_mac(0x0f); }
std::string mac9() { return test_mac(0x33); }
std::string mac8() { return test_mac(0x34); }
std::string address9(int offset) {
  return "192.0.2." + std::to_string(10 + getpid() % 40 + offset) + "/24";
}
std::string address8() { return "198.51.100." + std::to_string(20 + getpid() % 80) + "/24"; }
std::string host_part(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }
std::string address9_v6() {
  return "2001:db8:0:2::" + std::to_string(10 + getpid() % 40) + "/64";
}

LabDomainOptions before_domain(const std::string& what, const std::string& network) {
  LabDomainOptions o;
  o.what = what;
  LabNic eth0;
  eth0.type = "network";
  eth0.network = network;
  eth0.mac = net_mac();
  eth0.pci_slot = 3;
  o.nics.push_back(eth0);
  return o;
}

std::pair<int, int> free_slots(Hypervisor& hv, const std::string& guest) {
  const auto used = used_pci_slots(hv, guest);
  std::vector<int> free;
  for (int s = 1; s < 32 && free.size() < 2; ++s)
    if (std::find(used.begin(), used.end(), s) == used.end()) free.push_back(s);
  return {free.at(0), free.at(1)};
}

LabWorkspace::LabWorkspace() {
  static std::atomic<int> n{0};
  dir = fs::temp_directory_path() /
        ("mvt-e2e-" + std::to_string(getpid()) + "-" + std::to_string(n++));
  fs::remove_all(dir);
  fs::create_directories(dir / "guest/etc/sysconfig/network-scripts");
  fs::copy(fs::path(MVT_SOURCE_DIR) / "specs/lab/host", dir / "host", fs::copy_options::recursive);
}

LabWorkspace::~LabWorkspace() {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

fs::path LabWorkspace::write_spec(const LabSpecParams& p, const std::string& file) {
  std::string s = slurp(fs::path(MVT_SOURCE_DIR) / "tests/system/specs/lab-seed.yaml.in");
  replace_all(s, "@GUEST@", p.guest);
  replace_all(s, "@NETWORK@", p.network);
  replace_all(s, "@SLOT9@", std::to_string(p.slot9));
  replace_all(s, "@SLOT8@", std::to_string(p.slot8));
  replace_all(s, "@GUEST_FILES@", p.guest_files);
  replace_all(s, "@ACTIVATE@", p.activate);
  replace_all(s, "@MODE9@", p.mode9);
  replace_all(s, "@GATEWAY9@", p.gateway9);
  replace_all(s, "@ADDRESS9@", p.address9);
  replace_all(s, "@MODEL9@", p.model9);
  replace_all(s, "@DIRECT9@", p.trust9 ? ", trust_guest_rx_filters: true" : "");
  const std::string ind = "            ";
  replace_all(s, ind + "@EXTRA9@\n",
              p.address9_v6.empty()
                  ? std::string()
                  : ind + "ipv6: {addresses: [\"" + p.address9_v6 + "\"], gateway: \"" +
                        kGateway9v6 + "\"}\n" + ind + "ipv6_defroute: true\n" + ind +
                        "routes: [{to: \"" + kFar6Net + "\", via: \"" + kGateway9v6 + "\"}]\n");
  replace_all(s, "@ADDRESS8@", p.address8);
  replace_all(s, "@NETMAC@", net_mac());
  replace_all(s, "@MAC9@", mac9());
  replace_all(s, "@MAC8@", mac8());
  const auto out = dir / file;
  std::ofstream(out, std::ios::binary) << s;
  return out;
}

std::set<std::string> guest_routes(LabGuest& guest) {
  std::set<std::string> out;
  const auto r = guest_run(guest, {"ip", "-j", "-4", "route", "show", "table", "main"});
  if (r.exit_code != 0) return out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j)
    out.insert(e.value("dst", "?") + "|" + e.value("gateway", "-") + "|" + e.value("dev", "?"));
  return out;
}

std::set<std::string> expected_routes(const LabSpecParams& p) {
  const std::string e9 = "ens" + std::to_string(p.slot9), e8 = "ens" + std::to_string(p.slot8);
  std::string net9 = p.address9;  // 192.0.2.84/24 -> 192.0.2.0/24 (the lab's /24s only)
  net9 = net9.substr(0, net9.rfind('.')) + ".0" + net9.substr(net9.find('/'));
  return {"default|" + p.gateway9 + "|" + e9,
          net9 + "|-|" + e9,
          "198.51.100.0/24|-|" + e8,
          "203.0.113.0/25|-|ens3",
          "203.0.113.128/25|198.51.100.1|" + e8};
}

std::set<std::string> guest_routes6(LabGuest& guest) {
  std::set<std::string> out;
  const auto r = guest_run(guest, {"ip", "-j", "-6", "route", "show", "table", "main"});
  if (r.exit_code != 0) return out;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    const std::string dst = e.value("dst", "?");
    if (dst.rfind("fe80:", 0) == 0) continue;
    out.insert(dst + "|" + e.value("gateway", "-") + "|" + e.value("dev", "?"));
  }
  return out;
}

std::set<std::string> expected_routes6(const LabSpecParams& p) {
  if (p.address9_v6.empty()) return {};
  const std::string e9 = "ens" + std::to_string(p.slot9);
  return {"2001:db8:0:2::/64|-|" + e9, "default|" + kGateway9v6 + "|" + e9,
          kFar6Net + "|" + kGateway9v6 + "|" + e9};
}

ToolResult tool(const LabWorkspace& w, std::vector<std::string> args,
                std::chrono::milliseconds timeout, const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), {"--state-dir", w.state().string(), "--color", "never"});
  return run_macvtapctl(args, timeout, env);
}

std::string tool_unavailable_reason() {
  for (const char* cmd : {"plan", "apply"}) {
    const auto r = run_macvtapctl({cmd, "--help"}, 30s);
    if (r.exit_code != 0 || r.out.find("not available") != std::string::npos)
      return std::string("macvtapctl ") + cmd + " is not available in this build";
  }
  return "";
}

bool answers_ping(const std::string& addr) {
  return lab::netns_ping(addr, {"-c", "3", "-i", "0.3", "-W", "2"}, 20s).exit_code == 0;
}

}  // namespace mvt::test::lab
