// apply's verification, the pure half (lib/apply/verify_checks.hpp), on JSON captured from the
// lab (tests/fixtures/verify/README.md): MAC equality from `ip -j -d link show` and the
// guest agent, routing tables from `ip -j -4 route show table main`.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "apply/verify_checks.hpp"
#include "test_support.hpp"
#include "verify_fixtures.hpp"
#include "util/errors.hpp"

using namespace mvt;
using namespace mvt::apply;

namespace {

using test::captured_direct;
using test::captured_guest;
using test::mac;
using test::verify_fixture;

Ipv4 ip(const char* s) {
  return *Ipv4::parse(s);
}

std::vector<std::string> strs(const std::vector<RouteEntry>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.str());
  return out;
}

std::vector<GuestNic> guest_nics() {
  std::vector<GuestNic> out;
  for (const auto& i : nlohmann::json::parse(verify_fixture("guest-network-get-interfaces.json"))) {
    GuestNic n;
    n.name = i.at("name").get<std::string>();
    n.mac = MacAddress::parse(i.value("hardware-address", ""));
    out.push_back(n);
  }
  return out;
}

}  // namespace

TEST_CASE("verify: ip -j -d link (captured) -> macvtap devices with lower NIC, mode, MAC" *
          doctest::test_suite("verify")) {
  const auto links = parse_ip_links(verify_fixture("host-ip-link.json"));
  auto find = [&](const std::string& n) {
    return std::find_if(links.begin(), links.end(), [&](const HostLink& l) { return l.name == n; });
  };
  REQUIRE(find("macvtap0") != links.end());
  CHECK(find("macvtap0")->kind == "macvtap");
  CHECK(find("macvtap0")->lower == "em2");
  CHECK(find("macvtap0")->mode == "private");
  CHECK(find("macvtap0")->mac == mac("52:54:00:c0:ff:09"));
  CHECK(find("macvtap1")->lower == "em1");
  REQUIRE(find("em2") != links.end());
  CHECK(find("em2")->kind == "veth");
  CHECK(find("em2")->lower.empty());
  CHECK(find("lo")->kind.empty());
  CHECK_THROWS_AS(parse_ip_links("{\"not\": \"an array\"}"), Error);
  CHECK_THROWS_AS(parse_ip_links("Device \"x\" does not exist."), Error);
}

TEST_CASE("verify: host side of MAC equality finds exactly the spec's macvtap device" *
          doctest::test_suite("verify")) {
  const auto links = parse_ip_links(verify_fixture("host-ip-link.json"));
  const auto ok = check_host_macvtap(links, "em2", mac("52:54:00:c0:ff:09"), MacvtapMode::Private);
  CHECK(ok.ok);
  CHECK(ok.detail.find("macvtap0@em2 52:54:00:c0:ff:09") != std::string::npos);
  CHECK(ok.detail.find("em2 has 46:a4:49:a4:1f:25") != std::string::npos);

  const auto mode = check_host_macvtap(links, "em2", mac("52:54:00:c0:ff:09"), MacvtapMode::Bridge);
  CHECK_FALSE(mode.ok);
  CHECK(mode.expected.find("mode bridge") != std::string::npos);
  CHECK(mode.found == "macvtap0@em2 is in mode private");

  // The MAC exists, but on the other NIC's macvtap.
  const auto other = check_host_macvtap(links, "em1", mac("52:54:00:c0:ff:09"), MacvtapMode::Private);
  CHECK_FALSE(other.ok);
  CHECK(other.found == "MAC 52:54:00:c0:ff:09 is on macvtap0@em2, not on em1");

  const auto none = check_host_macvtap(links, "em2", mac("52:54:00:00:00:77"), MacvtapMode::Private);
  CHECK_FALSE(none.ok);
  CHECK(none.found ==
        "no macvtap device on em2 has MAC 52:54:00:00:00:77 (on em2: macvtap0 52:54:00:c0:ff:09)");

  CHECK(check_host_macvtap(links, "eth0", mac("52:54:00:c0:ff:09"), MacvtapMode::Private).found ==
        "MAC 52:54:00:c0:ff:09 is on macvtap0@em2, not on eth0");
}

TEST_CASE("verify: a macvtap MAC equal to its NIC's own MAC fails, except in passthrough" *
          doctest::test_suite("verify")) {
  std::vector<HostLink> links{{"em2", "veth", "", "", mac("52:54:00:c0:ff:09")},
                              {"macvtap5", "macvtap", "em2", "private", mac("52:54:00:c0:ff:09")}};
  const auto o = check_host_macvtap(links, "em2", mac("52:54:00:c0:ff:09"), MacvtapMode::Private);
  CHECK_FALSE(o.ok);
  CHECK(o.expected == "macvtap5@em2's MAC different from em2's own MAC");
  CHECK(o.found == "both are 52:54:00:c0:ff:09");
  links[1].mode = "passthru";  // the kernel's spelling of libvirt's "passthrough"
  CHECK(check_host_macvtap(links, "em2", mac("52:54:00:c0:ff:09"), MacvtapMode::Passthrough).ok);
}

TEST_CASE("verify: guest side of MAC equality (guest-network-get-interfaces, captured)" *
          doctest::test_suite("verify")) {
  const auto nics = guest_nics();
  const auto ok = check_guest_mac(nics, mac("52:54:00:c0:ff:09"), "ens9");
  CHECK(ok.ok);
  CHECK(ok.detail == "guest ens9 52:54:00:c0:ff:09");
  // The procedure's eth0/eth1 instability: the MAC is on another name than the spec says.
  const auto moved = check_guest_mac(nics, mac("52:54:00:c0:ff:09"), "ens8");
  CHECK_FALSE(moved.ok);
  CHECK(moved.found.find("is on guest ens9") != std::string::npos);
  const auto absent = check_guest_mac(nics, mac("52:54:00:00:00:77"), "ens9");
  CHECK_FALSE(absent.ok);
  CHECK(absent.found ==
        "no guest interface has MAC 52:54:00:00:00:77 (guest: lo 00:00:00:00:00:00 ens8 "
        "52:54:00:c0:ff:08 ens9 52:54:00:c0:ff:09)");
}

TEST_CASE("verify: ip -j route (captured) parses to destination, gateway, device" *
          doctest::test_suite("verify")) {
  CHECK(strs(parse_ip_routes(verify_fixture("guest-ip-route.json"))) ==
        std::vector<std::string>{"default via 192.0.2.1 dev ens9", "192.0.2.0/24 dev ens9",
                                 "198.51.100.0/24 dev ens8",
                                 "203.0.113.128/25 via 198.51.100.1 dev ens8"});
  // Host route without a prefix, metrics, proto static: normalised / ignored.
  CHECK(strs(parse_ip_routes(verify_fixture("guest-ip-route-extras.json"))) ==
        std::vector<std::string>{"default via 192.0.2.1 dev ens9", "192.0.2.0/24 dev ens9",
                                 "203.0.113.5/32 dev ens9",
                                 "203.0.113.64/26 via 192.0.2.1 dev ens9"});
  // Non-unicast entries are not routes to compare.
  CHECK(parse_ip_routes(R"([{"type":"blackhole","dst":"203.0.113.0/24","flags":[]},
                            {"type":"unicast","dst":"0.0.0.0/0","gateway":"192.0.2.1","dev":"e"}])")
            .size() == 1);
  CHECK(parse_ip_routes(R"([{"dst":"0.0.0.0/0","gateway":"192.0.2.1","dev":"e"}])")[0].dst ==
        "default");
  CHECK_THROWS_AS(parse_ip_routes("Error: ipv4: FIB table does not exist."), Error);
}

TEST_CASE("verify: the routes the spec implies (procedure's Verification table)" *
          doctest::test_suite("verify")) {
  CHECK(strs(implied_routes(captured_guest())) ==
        std::vector<std::string>{"192.0.2.0/24 dev ens9", "default via 192.0.2.1 dev ens9",
                                 "198.51.100.0/24 dev ens8",
                                 "203.0.113.128/25 via 198.51.100.1 dev ens8"});
  Guest g;
  GuestInterface eth0;
  eth0.name = "eth0";
  eth0.kind = InterfaceKind::Network;
  eth0.ip.ipv4 = Ipv4Config::make_dhcp();
  eth0.ip.defroute = true;
  g.interfaces.push_back(eth0);
  g.interfaces.push_back(captured_direct("ens9", "em2", "52:54:00:c0:ff:09", "192.0.2.84/32", "192.0.2.1",
                                false));
  // DHCP default: any gateway; a /32 has no connected route; no defroute -> no default.
  CHECK(strs(implied_routes(g)) == std::vector<std::string>{"default via (DHCP's gateway) dev eth0"});
  // defroute unset with a static gateway: initscripts' DEFROUTE defaults to yes.
  g.interfaces[1].ip.defroute.reset();
  CHECK(strs(implied_routes(g)).back() == "default via 192.0.2.1 dev ens9");
}

TEST_CASE("verify: the captured routing table matches the spec, differences are named" *
          doctest::test_suite("verify")) {
  const Guest g = captured_guest();
  const auto same = compare_routes(g, parse_ip_routes(verify_fixture("guest-ip-route.json")));
  CHECK(same.ok());
  CHECK(same.matched.size() == 4);

  // A spec with another gateway (the --try wrong-gateway case): the default differs.
  Guest wrong = g;
  wrong.interfaces[0].ip.ipv4->gateway = ip("192.0.2.254");
  const auto gw = compare_routes(wrong, parse_ip_routes(verify_fixture("guest-ip-route.json")));
  CHECK_FALSE(gw.ok());
  CHECK(strs(gw.missing) == std::vector<std::string>{"default via 192.0.2.254 dev ens9"});
  CHECK(strs(gw.extra) == std::vector<std::string>{"default via 192.0.2.1 dev ens9"});

  // Extra routes on a managed device, and ens8's routes gone.
  const auto ex = compare_routes(g, parse_ip_routes(verify_fixture("guest-ip-route-extras.json")));
  CHECK(strs(ex.missing) == std::vector<std::string>{"198.51.100.0/24 dev ens8",
                                                     "203.0.113.128/25 via 198.51.100.1 dev ens8"});
  CHECK(strs(ex.extra) == std::vector<std::string>{"203.0.113.5/32 dev ens9",
                                                   "203.0.113.64/26 via 192.0.2.1 dev ens9"});
}

TEST_CASE("verify: routes the comparison leaves alone, and a second default it does not" *
          doctest::test_suite("verify")) {
  Guest g = captured_guest();
  GuestInterface eth0;
  eth0.name = "eth0";
  eth0.kind = InterfaceKind::Network;
  eth0.ip.ipv4 = Ipv4Config::make_dhcp();
  eth0.ip.defroute = false;
  g.interfaces.insert(g.interfaces.begin(), eth0);
  auto live = parse_ip_routes(verify_fixture("guest-ip-route.json"));
  // DHCP's connected route and a device the spec does not name: not compared.
  live.push_back({"192.168.122.0/24", std::nullopt, false, "eth0"});
  live.push_back({"10.9.0.0/16", std::nullopt, false, "docker0"});
  // The same route twice (two metrics) is one fact.
  live.push_back({"192.0.2.0/24", std::nullopt, false, "ens9"});
  CHECK(compare_routes(g, live).ok());
  // DHCP on eth0 also set a default route: the procedure's DEFROUTE=no is not in effect.
  live.push_back({"default", ip("192.168.122.1"), false, "eth0"});
  const auto c = compare_routes(g, live);
  CHECK_FALSE(c.ok());
  CHECK(strs(c.extra) == std::vector<std::string>{"default via 192.168.122.1 dev eth0"});
  CHECK(c.missing.empty());
}

TEST_CASE("verify: reachability targets are the static gateways, each once" *
          doctest::test_suite("verify")) {
  Guest g = captured_guest();
  auto t = reachability_targets(g);
  REQUIRE(t.size() == 2);
  CHECK(t[0] == std::pair<std::string, Ipv4>{"ens9", ip("192.0.2.1")});
  CHECK(t[1] == std::pair<std::string, Ipv4>{"ens8", ip("198.51.100.1")});
  g.interfaces[1].ip.ipv4->gateway = ip("192.0.2.1");
  CHECK(reachability_targets(g).size() == 1);
  g.interfaces[0].ip.ipv4 = Ipv4Config::make_dhcp();
  g.interfaces[1].ip.ipv4->gateway.reset();
  CHECK(reachability_targets(g).empty());
}
