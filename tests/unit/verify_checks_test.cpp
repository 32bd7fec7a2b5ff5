// apply's verification, the pure half (lib/apply/verify_checks.hpp), on JSON captured from the
// lab (tests/fixtures/verify/README.md): MAC equality from `ip -j -d link show` and the
// guest agent, routing tables from `ip -j -4 route show table main` and (IPv6, captured from
// the lab guest's network-scripts stand-in) `ip -j -6 route show table main`.
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

IpAddress ip6(const char* s) {
  return *IpAddress::parse(s);
}

IpPrefix pfx(const char* s) {
  return *IpPrefix::parse(s);
}

// The captured guest with the IPv6 of tests/fixtures/verify/guest-ip6-route.json on ens9:
// 2001:db8:0:2::84/64, gateway 2001:db8:0:2::1 (IPV6_DEFROUTE=yes), route6 2001:db8:100::/48.
Guest captured_guest6() {
  Guest g = test::captured_guest();
  auto& ens9 = g.interfaces[0];
  ens9.ip.ipv6 = Ipv6Config{Ipv6Method::Static, {pfx("2001:db8:0:2::84/64")}, ip6("2001:db8:0:2::1")};
  ens9.ip.ipv6_defroute = true;
  ens9.ip.routes = std::vector<Route>{{pfx("2001:db8:100::/48"), ip6("2001:db8:0:2::1")}};
  return g;
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
  CHECK(t[0] == std::pair<std::string, IpAddress>{"ens9", ip("192.0.2.1")});
  CHECK(t[1] == std::pair<std::string, IpAddress>{"ens8", ip("198.51.100.1")});
  g.interfaces[1].ip.ipv4->gateway = ip("192.0.2.1");
  CHECK(reachability_targets(g).size() == 1);
  g.interfaces[0].ip.ipv4 = Ipv4Config::make_dhcp();
  g.interfaces[1].ip.ipv4->gateway.reset();
  CHECK(reachability_targets(g).empty());
}

TEST_CASE("verify: ip -j -6 route (captured) parses to destination, gateway, device" *
          doctest::test_suite("verify")) {
  // The kernel's fe80::/64 is dropped; the family is IPv6 for every entry.
  const auto rs = parse_ip_routes(verify_fixture("guest-ip6-route.json"));
  CHECK(strs(rs) == std::vector<std::string>{"2001:db8:0:2::/64 dev ens9",
                                             "2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9",
                                             "default via 2001:db8:0:2::1 dev ens9"});
  for (const auto& r : rs) CHECK(r.family == IpFamily::V6);
  // A host route without prefix gets /128; a default through a link-local router is kept.
  CHECK(strs(parse_ip_routes(verify_fixture("guest-ip6-route-extras.json"))) ==
        std::vector<std::string>{"2001:db8:0:2::/64 dev ens9", "2001:db8:0:3::/64 dev ens9",
                                 "2001:db8:0:9::5/128 dev ens9",
                                 "default via 2001:db8:0:2::1 dev ens9",
                                 "default via fe80::1 dev ens9"});
  // Non-unicast (as `ip -j -6 route show table local` prints them, captured) and a zone on a
  // gateway; "::/0" is the default; a non-canonical spelling is canonical afterwards.
  const auto odd = parse_ip_routes(
      R"([{"type":"multicast","dst":"ff00::/8","dev":"ens9","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
          {"type":"local","dst":"2001:db8:0:2::84","dev":"ens9","protocol":"kernel","metric":0,"flags":[],"pref":"medium"},
          {"dst":"::/0","gateway":"fe80::1%ens9","dev":"ens9"},
          {"dst":"2001:DB8:0:0:0:0:0:0/48","dev":"ens9"},
          {"dst":"fe80::/64","dev":"ens8","protocol":"kernel"}])");
  CHECK(strs(odd) == std::vector<std::string>{"default via fe80::1 dev ens9",
                                              "2001:db8::/48 dev ens9"});
  CHECK(odd[0].family == IpFamily::V6);
  // IPv4 stays IPv4.
  CHECK(parse_ip_routes(verify_fixture("guest-ip-route.json"))[0].family == IpFamily::V4);
}

TEST_CASE("verify: the IPv6 routes the spec implies" * doctest::test_suite("verify")) {
  Guest g = captured_guest6();
  CHECK(uses_ipv6(g));
  CHECK_FALSE(uses_ipv6(captured_guest()));
  CHECK(strs(implied_routes(g, IpFamily::V6)) ==
        std::vector<std::string>{"2001:db8:0:2::/64 dev ens9", "default via 2001:db8:0:2::1 dev ens9",
                                 "2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"});
  // The IPv4 list is unchanged by the IPv6 keys (the IPv6 route is not an IPv4 route).
  CHECK(strs(implied_routes(g)) == strs(implied_routes(captured_guest())));
  auto& ens9 = g.interfaces[0];
  // Secondaries: one connected route per prefix; a /128 has none.
  ens9.ip.ipv6->addresses.push_back(pfx("2001:db8:0:2::85/64"));
  ens9.ip.ipv6->addresses.push_back(pfx("2001:db8:0:3::84/64"));
  ens9.ip.ipv6->addresses.push_back(pfx("2001:db8:0:4::84/128"));
  CHECK(strs(implied_routes(g, IpFamily::V6)) ==
        std::vector<std::string>{"2001:db8:0:2::/64 dev ens9", "2001:db8:0:3::/64 dev ens9",
                                 "default via 2001:db8:0:2::1 dev ens9",
                                 "2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"});
  // ipv6_defroute unset with a static gateway: IPV6_DEFROUTE defaults to yes; false: none.
  ens9.ip.ipv6_defroute.reset();
  CHECK(strs(implied_routes(g, IpFamily::V6))[2] == "default via 2001:db8:0:2::1 dev ens9");
  ens9.ip.ipv6_defroute = false;
  CHECK(strs(implied_routes(g, IpFamily::V6)).size() == 3);
  // SLAAC with ipv6_defroute: whatever router was advertised.
  ens9.ip.ipv6 = Ipv6Config{Ipv6Method::Auto, {}, std::nullopt};
  ens9.ip.ipv6_defroute = true;
  CHECK(strs(implied_routes(g, IpFamily::V6)) ==
        std::vector<std::string>{"default via (the advertised router) dev ens9",
                                 "2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"});
  ens9.ip.ipv6->method = Ipv6Method::Disabled;
  CHECK(strs(implied_routes(g, IpFamily::V6)) ==
        std::vector<std::string>{"2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"});
}

TEST_CASE("verify: the captured IPv6 routing table matches the spec, differences are named" *
          doctest::test_suite("verify")) {
  const Guest g = captured_guest6();
  // Both tables in one list: each family is compared on its own.
  auto live = parse_ip_routes(verify_fixture("guest-ip6-route.json"));
  const auto v4 = parse_ip_routes(verify_fixture("guest-ip-route.json"));
  live.insert(live.end(), v4.begin(), v4.end());
  const auto same = compare_routes(g, live, IpFamily::V6);
  CHECK(same.ok());
  CHECK(same.matched.size() == 3);
  CHECK(compare_routes(g, live).ok());
  CHECK(compare_routes(g, live).matched.size() == 4);

  // Another IPv6 gateway in the spec: the default and the route6 differ.
  Guest wrong = g;
  wrong.interfaces[0].ip.ipv6->gateway = ip6("2001:db8:0:2::fe");
  (*wrong.interfaces[0].ip.routes)[0].via = ip6("2001:db8:0:2::fe");
  const auto gw = compare_routes(wrong, live, IpFamily::V6);
  CHECK(strs(gw.missing) == std::vector<std::string>{"default via 2001:db8:0:2::fe dev ens9",
                                                     "2001:db8:100::/48 via 2001:db8:0:2::fe dev ens9"});
  CHECK(strs(gw.extra) == std::vector<std::string>{"2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9",
                                                   "default via 2001:db8:0:2::1 dev ens9"});

  // Extras on the managed device, the route6 gone, a second default (link-local router).
  const auto ex = compare_routes(g, parse_ip_routes(verify_fixture("guest-ip6-route-extras.json")),
                                 IpFamily::V6);
  CHECK_FALSE(ex.ok());
  CHECK(strs(ex.missing) ==
        std::vector<std::string>{"2001:db8:100::/48 via 2001:db8:0:2::1 dev ens9"});
  CHECK(strs(ex.extra) == std::vector<std::string>{"2001:db8:0:3::/64 dev ens9",
                                                   "2001:db8:0:9::5/128 dev ens9",
                                                   "default via fe80::1 dev ens9"});

  // A device the spec gives no IPv6: its IPv6 routes are left alone, except a default.
  Guest only9 = g;
  auto other = parse_ip_routes(verify_fixture("guest-ip6-route.json"));
  other.push_back({"2001:db8:0:1::/64", std::nullopt, false, "ens8", IpFamily::V6});
  CHECK(compare_routes(only9, other, IpFamily::V6).ok());
  other.push_back({"default", ip6("fe80::1"), false, "ens8", IpFamily::V6});
  CHECK(strs(compare_routes(only9, other, IpFamily::V6).extra) ==
        std::vector<std::string>{"default via fe80::1 dev ens8"});
}

TEST_CASE("verify: IPv6 gateways are pinged with ping -6" * doctest::test_suite("verify")) {
  Guest g = captured_guest6();
  const auto t = reachability_targets(g);
  REQUIRE(t.size() == 3);
  CHECK(t[0] == std::pair<std::string, IpAddress>{"ens9", ip("192.0.2.1")});
  CHECK(t[1] == std::pair<std::string, IpAddress>{"ens9", ip6("2001:db8:0:2::1")});
  CHECK(t[2] == std::pair<std::string, IpAddress>{"ens8", ip("198.51.100.1")});
  CHECK(ping_command("ens9", t[0].second) ==
        std::vector<std::string>{"ping", "-c", "1", "-W", "2", "192.0.2.1"});
  CHECK(ping_command("ens9", t[1].second) ==
        std::vector<std::string>{"ping", "-6", "-c", "1", "-W", "2", "2001:db8:0:2::1"});
  // A link-local gateway needs its interface: the zone, as iputils' ping reads it.
  CHECK(ping_command("ens9", ip6("fe80::1")).back() == "fe80::1%ens9");
  // A link-local gateway on two interfaces is two targets; SLAAC has no gateway to ping.
  g.interfaces[0].ip.ipv6->gateway = ip6("fe80::1");
  g.interfaces[1].ip.ipv6 = Ipv6Config{Ipv6Method::Static, {pfx("2001:db8:0:1::15/64")}, ip6("fe80::1")};
  CHECK(reachability_targets(g).size() == 4);
  g.interfaces[0].ip.ipv6->method = Ipv6Method::Auto;
  CHECK(reachability_targets(g).size() == 3);
}
