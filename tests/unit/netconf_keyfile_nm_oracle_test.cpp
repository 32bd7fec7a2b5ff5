// Issue 15, point 1: NetworkManager's own parser is the oracle for what the keyfile format
// writes. Profiles the tool creates and edits are loaded by a real NetworkManager, isolated in
// its own network and mount namespaces (tests/data/keyfile/generate.sh --check: no device,
// no packet, nothing of the machine touched); every property the tool wrote must read back
// as the spec says. Skips loudly where NetworkManager cannot run (not root, not installed).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_format.hpp"
#include "netconf_keyfile_support.hpp"

using namespace mvt;

namespace {

// generate.sh --check output: file -> property -> value.
std::map<std::string, std::map<std::string, std::string>> parse(const std::string& out) {
  std::map<std::string, std::map<std::string, std::string>> r;
  std::istringstream in(out);
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line.rfind("== ", 0) == 0) {
      cur = line.substr(3);
      r[cur];
    } else if (auto c = line.find(':'); c != std::string::npos && !cur.empty()) {
      r[cur][line.substr(0, c)] = line.substr(c + 1);
    }
  }
  return r;
}

}  // namespace

TEST_CASE("netconf keyfile: NetworkManager 1.42 loads every profile the tool writes with the "
          "values of the spec" * doctest::test_suite("netconf")) {
  const auto script = test::keyfile_fixture_dir() / "generate.sh";
  test::TempDir tmp;
  const auto& dir = tmp.path();

  InterfaceConfig full;
  full.ipv4 = Ipv4Config::make_static(*Cidr::parse("192.0.2.84/24"), *Ipv4::parse("192.0.2.1"));
  full.ipv4->addresses.push_back(*Cidr::parse("192.0.2.85/24"));
  full.ipv6 = Ipv6Config{Ipv6Method::Static, {*IpPrefix::parse("2001:db8:0:9::84/64")},
                         *IpAddress::parse("2001:db8:0:9::1")};
  full.defroute = true;
  full.ipv6_defroute = true;
  full.peerdns = false;
  full.dns = std::vector<IpAddress>{*IpAddress::parse("192.0.2.53"), *IpAddress::parse("2001:db8::53")};
  full.routes = std::vector<Route>{
      Route(*IpPrefix::parse("198.51.100.0/24"), *IpAddress::parse("192.0.2.1"), 100),
      Route(*IpPrefix::parse("2001:db8:100::/48"), *IpAddress::parse("2001:db8:0:9::1"))};
  full.mtu = 9000;
  InterfaceConfig dhcp;
  dhcp.ipv4 = Ipv4Config::make_dhcp();
  dhcp.ipv6 = Ipv6Config{Ipv6Method::Auto, {}, std::nullopt};
  Diagnostics d;
  const netconf::Format& kf = keyfile::format();
  auto write = [&](const netconf::GuestWant& gw, const NetworkScripts& files, const netconf::DeviceConfig* have) {
    auto e = kf.guest_edits(gw, have, files, "", d);
    REQUIRE(e.size() == 1);
    test::write_file(dir / e[0].name, e[0].after);
    return e[0];
  };
  write({"h", "g", "ens9", *MacAddress::parse("52:54:00:5d:9c:33"), true, &full}, {}, nullptr);
  write({"h", "g", "ens10", *MacAddress::parse("52:54:00:5d:9c:34"), true, &dhcp}, {}, nullptr);
  // An edit of a NetworkManager-made, hand-commented profile: DHCP now, another route.
  const std::string name = "static-v4v6-commented.nmconnection";
  NetworkScripts files;
  files[name] = test::keyfile_state(name, test::keyfile_fixtures().at(name));
  const auto have = kf.read(files, "", d);
  REQUIRE(have.size() == 1);
  InterfaceConfig edit;
  edit.ipv4 = Ipv4Config::make_dhcp();
  edit.routes = std::vector<Route>{Route(*IpPrefix::parse("203.0.113.0/24"), *IpAddress::parse("192.0.2.254"), 7)};
  edit.ipv6_defroute = false;
  write({"h", "g", "ens9", *have[0].mac, true, &edit}, files, &have[0]);
  CHECK_FALSE(d.has_errors());

  const auto r = test::run({"/bin/bash", script.string(), "--check", dir.string()});
  if (r.exit_code == 77) {
    MESSAGE("SKIPPED: NetworkManager cannot run isolated here: " << r.err);
    return;
  }
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto nm = parse(r.out);
  REQUIRE_MESSAGE(nm.size() == 3, r.out);  // a profile NetworkManager refused would be missing

  const auto& a = nm.at("ens9.nmconnection");
  CHECK(a.at("connection.interface-name") == "ens9");
  CHECK(a.at("connection.uuid") == ifcfg::guest_interface_uuid("h", "g", "ens9"));
  CHECK(a.at("802-3-ethernet.mac-address") == "52:54:00:5D:9C:33");
  CHECK(a.at("802-3-ethernet.mtu") == "9000");
  CHECK(a.at("ipv4.method") == "manual");
  CHECK(a.at("ipv4.addresses") == "192.0.2.84/24, 192.0.2.85/24");
  CHECK(a.at("ipv4.gateway") == "192.0.2.1");
  CHECK(a.at("ipv4.dns") == "192.0.2.53");
  CHECK(a.at("ipv4.routes") == "198.51.100.0/24 192.0.2.1 100");
  CHECK(a.at("ipv4.never-default") == "no");
  CHECK(a.at("ipv4.ignore-auto-dns") == "yes");
  CHECK(a.at("ipv4.may-fail") == "no");
  CHECK(a.at("ipv6.method") == "manual");
  CHECK(a.at("ipv6.addresses") == "2001:db8:0:9::84/64");
  CHECK(a.at("ipv6.gateway") == "2001:db8:0:9::1");
  CHECK(a.at("ipv6.dns") == "2001:db8::53");
  CHECK(a.at("ipv6.routes") == "2001:db8:100::/48 2001:db8:0:9::1");
  CHECK(a.at("ipv6.never-default") == "no");

  const auto& b = nm.at("ens10.nmconnection");
  CHECK(b.at("802-3-ethernet.mac-address") == "52:54:00:5D:9C:34");
  CHECK(b.at("ipv4.method") == "auto");
  CHECK(b.at("ipv6.method") == "auto");
  CHECK(b.at("ipv6.never-default") == "yes");  // IPv6 default route only when declared

  const auto& c = nm.at(name);
  CHECK(c.at("connection.id") == "static-v4v6-commented");
  CHECK(c.at("ipv4.method") == "auto");
  CHECK(c.at("ipv4.addresses").empty());  // `ipv4: dhcp` without addresses: the static ones go
  CHECK(c.at("ipv4.gateway").empty());
  CHECK(c.at("ipv4.routes") == "203.0.113.0/24 192.0.2.254 7");
  CHECK(c.at("ipv6.never-default") == "yes");
  CHECK(c.at("802-3-ethernet.mtu") == "9000");  // "mtu = 9000", untouched
}
