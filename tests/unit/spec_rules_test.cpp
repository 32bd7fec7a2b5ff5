// Semantic rules, one test per rule, on plain Topology values (no YAML involved).
#include <doctest/doctest.h>

#include <algorithm>

#include "spec/loader.hpp"
#include "spec/rules.hpp"
#include "test_support.hpp"

using namespace mvt;

namespace {

SourcePos at(int line, int col = 5) { return {"t.yaml", line, col}; }

MacAddress mac(const char* s) { return *MacAddress::parse(s); }

GuestInterface direct(const std::string& name, const std::string& dev, const char* m,
                      MacvtapMode mode = MacvtapMode::Private) {
  GuestInterface i;
  i.name = name;
  i.kind = InterfaceKind::Direct;
  i.source_dev = dev;
  i.mode = mode;
  if (m) i.mac = mac(m);
  i.pos[""] = at(100);
  i.pos["name"] = at(101);
  i.pos["direct.dev"] = at(102);
  i.pos["direct.mode"] = at(103);
  i.pos["mac"] = at(104);
  return i;
}

GuestInterface with_static(GuestInterface i, const char* cidr, const char* gw, bool defroute) {
  i.ip.ipv4 = Ipv4Config{Ipv4Method::Static, {*Cidr::parse(cidr)}, gw ? Ipv4::parse(gw) : std::nullopt};
  i.ip.defroute = defroute;
  i.pos["ipv4.address"] = at(110);
  i.pos["ipv4.gateway"] = at(111);
  i.pos["defroute"] = at(112);
  return i;
}

// Host kvm1: em1 (config host, 18:66:da:9f:96:d6), em2 (unconfigured, ...:d7), one guest.
Topology topo(std::vector<GuestInterface> ifaces) {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = "qemu:///system";
  h.nics["em1"] = HostNic{"em1", mac("18:66:da:9f:96:d6"), NicConfig::Host, {}, {}, {}, {{"", at(10)}, {"mac", at(11)}}};
  h.nics["em2"] = HostNic{"em2", mac("18:66:da:9f:96:d7"), NicConfig::Unconfigured, {}, {}, {}, {{"", at(12)}, {"mac", at(13)}}};
  Guest g;
  g.name = "web1";
  g.pos[""] = at(20);
  g.interfaces = std::move(ifaces);
  h.guests["web1"] = g;
  t.hosts["kvm1"] = h;
  return t;
}

std::vector<Diagnostic> run(const Topology& t, const std::string& rule) {
  Diagnostics d;
  spec::check_rules(t, d);
  std::vector<Diagnostic> out;
  for (const auto& x : d.items())
    if (x.rule == rule) out.push_back(x);
  return out;
}

Diagnostics all(const Topology& t) {
  Diagnostics d;
  spec::check_rules(t, d);
  return d;
}

const auto good = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.84/29",
                              "104.50.201.86", true);

}  // namespace

TEST_CASE("rules: a clean topology has no findings" * doctest::test_suite("spec")) {
  CHECK(all(topo({good})).empty());
}

TEST_CASE("rule guest.one-defroute" * doctest::test_suite("spec")) {
  auto second = with_static(direct("ens8", "em2", "52:54:00:00:00:02"), "192.168.1.15/24",
                            nullptr, true);
  second.pos["defroute"] = at(55, 23);
  auto f = run(topo({good, second}), "guest.one-defroute");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Error);
  CHECK(f[0].pos.line == 55);
  CHECK(f[0].pos.column == 23);
  CHECK(f[0].message.find("'ens8'") != std::string::npos);
  second.ip.defroute = false;
  CHECK(run(topo({good, second}), "guest.one-defroute").empty());
}

TEST_CASE("rule guest.no-defroute is a warning" * doctest::test_suite("spec")) {
  auto i = good;
  i.ip.defroute = false;
  auto f = run(topo({i}), "guest.no-defroute");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
  CHECK(f[0].pos.line == 20);
  CHECK_FALSE(all(topo({i})).has_errors());
  i.ip.ipv4.reset();  // IP configuration not managed: nothing to say
  CHECK(run(topo({i}), "guest.no-defroute").empty());
}

TEST_CASE("rule iface.gateway-in-subnet" * doctest::test_suite("spec")) {
  auto out = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.84/29",
                         "104.50.201.94", true);
  auto f = run(topo({out}), "iface.gateway-in-subnet");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 111);
  CHECK(f[0].message.find("outside its subnet 104.50.201.80/29") != std::string::npos);
  auto self = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.84/29",
                          "104.50.201.84", true);
  CHECK(run(topo({self}), "iface.gateway-in-subnet").size() == 1);
  CHECK(run(topo({good}), "iface.gateway-in-subnet").empty());
  // Edge of the subnet: the last usable address is fine.
  auto edge = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.81/29",
                          "104.50.201.86", true);
  CHECK(run(topo({edge}), "iface.gateway-in-subnet").empty());
}

TEST_CASE("rule iface.address-not-network-or-broadcast" * doctest::test_suite("spec")) {
  const char* rule = "iface.address-not-network-or-broadcast";
  auto net = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.80/29",
                         "104.50.201.86", true);
  auto f = run(topo({net}), rule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 110);
  CHECK(f[0].message.find("network address") != std::string::npos);
  auto bc = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "104.50.201.87/29",
                        "104.50.201.86", true);
  f = run(topo({bc}), rule);
  REQUIRE(f.size() == 1);
  CHECK(f[0].message.find("broadcast address") != std::string::npos);
  // /31 (RFC 3021) and /32 have no network/broadcast addresses.
  auto p31 = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "192.0.2.0/31",
                         "192.0.2.1", true);
  CHECK(run(topo({p31}), rule).empty());
  CHECK(run(topo({good}), rule).empty());
}

TEST_CASE("rule route.to-network" * doctest::test_suite("spec")) {
  auto i = good;
  i.ip.routes = std::vector<Route>{{*Cidr::parse("10.20.0.0/16"), *Ipv4::parse("104.50.201.86")},
                                {*Cidr::parse("10.30.0.1/16"), *Ipv4::parse("104.50.201.86")}};
  i.pos["routes.1.to"] = at(77, 21);
  auto f = run(topo({i}), "route.to-network");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 77);
  CHECK(f[0].message.find("10.30.0.0/16") != std::string::npos);
}

TEST_CASE("rule mac.unique: spec and derived MACs across guests and hosts" *
          doctest::test_suite("spec")) {
  auto a = direct("ens9", "em2", "52:54:00:00:00:01");
  auto b = direct("ens8", "em2", "52:54:00:00:00:01");
  b.pos["mac"] = at(66, 18);
  auto f = run(topo({a, b}), "mac.unique");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 66);
  // A spec MAC equal to another interface's derived MAC is a collision too.
  auto t = topo({direct("ens9", "em2", nullptr)});
  Guest g2;
  g2.name = "web2";
  g2.interfaces.push_back(direct("eth0", "em2", nullptr));
  g2.interfaces[0].mac = derive_mac("kvm1", "web1", "ens9");
  t.hosts["kvm1"].guests["web2"] = g2;
  CHECK(run(t, "mac.unique").size() == 1);
  // Host NIC MACs unique among themselves.
  auto t2 = topo({good});
  t2.hosts["kvm1"].nics["em2"].mac = mac("18:66:da:9f:96:d6");
  CHECK(run(t2, "mac.unique").size() == 1);
  CHECK(run(topo({good}), "mac.unique").empty());
}

TEST_CASE("rule mac.not-host-nic" * doctest::test_suite("spec")) {
  auto f = run(topo({direct("ens9", "em2", "18:66:da:9f:96:d7")}), "mac.not-host-nic");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 104);
  CHECK(f[0].message.find("'em2'") != std::string::npos);
  CHECK(run(topo({good}), "mac.not-host-nic").empty());
}

TEST_CASE("rule mac.unicast" * doctest::test_suite("spec")) {
  CHECK(run(topo({direct("ens9", "em2", "01:00:5e:00:00:01")}), "mac.unicast").size() == 1);
  CHECK(run(topo({direct("ens9", "em2", "00:00:00:00:00:00")}), "mac.unicast").size() == 1);
  CHECK(run(topo({direct("ens9", "em2", "53:54:00:00:00:01")}), "mac.unicast").size() == 1);
  auto t = topo({good});
  t.hosts["kvm1"].nics["em1"].mac = mac("ff:ff:ff:ff:ff:ff");
  CHECK(run(t, "mac.unicast").size() == 1);
  CHECK(run(topo({good}), "mac.unicast").empty());
}

TEST_CASE("rule nic.passthrough-exclusive" * doctest::test_suite("spec")) {
  auto pt = direct("ens9", "em2", "52:54:00:00:00:01", MacvtapMode::Passthrough);
  auto other = direct("ens8", "em2", "52:54:00:00:00:02", MacvtapMode::Bridge);
  other.pos["direct.dev"] = at(88, 27);
  auto f = run(topo({pt, other}), "nic.passthrough-exclusive");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 88);
  // Another guest on the same NIC counts too.
  auto t = topo({pt});
  Guest g2;
  g2.name = "web2";
  g2.interfaces.push_back(direct("eth0", "em2", "52:54:00:00:00:03"));
  t.hosts["kvm1"].guests["web2"] = g2;
  CHECK(run(t, "nic.passthrough-exclusive").size() == 1);
  // A NIC the host uses cannot be passed through.
  f = run(topo({direct("ens9", "em1", "52:54:00:00:00:01", MacvtapMode::Passthrough)}),
          "nic.passthrough-exclusive");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 103);
  CHECK(run(topo({pt}), "nic.passthrough-exclusive").empty());
}

TEST_CASE("rule direct.dev-declared" * doctest::test_suite("spec")) {
  auto f = run(topo({direct("ens9", "em3", "52:54:00:00:00:01")}), "direct.dev-declared");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 102);
  CHECK(f[0].message.find("did you mean 'em1'?") != std::string::npos);
  CHECK(run(topo({good}), "direct.dev-declared").empty());
}

TEST_CASE("rule iface.name-valid" * doctest::test_suite("spec")) {
  for (const char* bad : {"ens9abcdefghijkl", "eth/0", "eth0:1", "eth 0", "a..b", ".", "-eth0",
                          "eth\t0", ""}) {
    INFO(bad);
    CHECK(run(topo({direct(bad, "em2", "52:54:00:00:00:01")}), "iface.name-valid").size() == 1);
  }
  for (const char* ok : {"eth0", "ens9", "enp0s31f6", "a.b", "abcdefghijklmno", "br-lan_0"}) {
    INFO(ok);
    CHECK(run(topo({direct(ok, "em2", "52:54:00:00:00:01")}), "iface.name-valid").empty());
  }
}

TEST_CASE("rule nic.name-valid" * doctest::test_suite("spec")) {
  auto t = topo({good});
  t.hosts["kvm1"].nics["enp0s31f6abcdefgh"] = HostNic{"enp0s31f6abcdefgh", std::nullopt,
                                                      NicConfig::Host, {}, {}, {}, {{"", at(14)}}};
  auto f = run(t, "nic.name-valid");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 14);
}

TEST_CASE("rule iface.name-unique" * doctest::test_suite("spec")) {
  auto b = direct("ens9", "em2", "52:54:00:00:00:02");
  b.pos["name"] = at(99, 19);
  auto f = run(topo({good, b}), "iface.name-unique");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 99);
}

TEST_CASE("rule nic.host-shared-no-host-reach is a warning" * doctest::test_suite("spec")) {
  auto f = run(topo({direct("ens8", "em1", "52:54:00:00:00:01")}), "nic.host-shared-no-host-reach");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
  CHECK(f[0].pos.line == 102);
  CHECK(run(topo({good}), "nic.host-shared-no-host-reach").empty());
}

TEST_CASE("rule guest.name-swap-risk is a warning" * doctest::test_suite("spec")) {
  auto a = direct("eth0", "em2", nullptr);
  auto b = direct("eth1", "em2", nullptr);
  auto f = run(topo({a, b}), "guest.name-swap-risk");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
  CHECK(f[0].message.find("'eth0', 'eth1'") != std::string::npos);
  // One unpinned interface next to pinned ones: no risk of a swap between two unpinned.
  CHECK(run(topo({a, good}), "guest.name-swap-risk").empty());
  CHECK(run(topo({a}), "guest.name-swap-risk").empty());
}

TEST_CASE("rule route.via-in-subnet" * doctest::test_suite("spec")) {
  auto i = good;
  i.ip.routes = std::vector<Route>{{*Cidr::parse("10.20.0.0/16"), *Ipv4::parse("104.50.201.86")},
                                {*Cidr::parse("10.30.0.0/16"), *Ipv4::parse("192.0.2.1")}};
  i.pos["routes.1.via"] = at(78, 40);
  auto f = run(topo({i}), "route.via-in-subnet");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 78);
  CHECK(f[0].message.find("192.0.2.1") != std::string::npos);
  i.ip.ipv4 = Ipv4Config::make_dhcp();  // DHCP: subnet unknown, no check
  CHECK(run(topo({i}), "route.via-in-subnet").empty());
}

TEST_CASE("rule iface.address-unique" * doctest::test_suite("spec")) {
  // Two guests on the same NIC with one address.
  auto t = topo({good});
  Guest g2;
  g2.name = "web2";
  g2.interfaces.push_back(with_static(direct("eth0", "em2", "52:54:00:00:00:09"),
                                      "104.50.201.84/29", "104.50.201.86", true));
  g2.interfaces[0].pos["ipv4.address"] = at(120, 30);
  t.hosts["kvm1"].guests["web2"] = g2;
  auto f = run(t, "iface.address-unique");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 120);
  // On another NIC (another segment) the same private address is allowed.
  t.hosts["kvm1"].guests["web2"].interfaces[0].source_dev = "em1";
  CHECK(run(t, "iface.address-unique").empty());
  // Twice within one guest is always wrong.
  auto b = with_static(direct("ens8", "em1", "52:54:00:00:00:02"), "104.50.201.84/24", nullptr,
                       false);
  CHECK(run(topo({good, b}), "iface.address-unique").size() == 1);
}

TEST_CASE("rule iface.defroute-needs-gateway is a warning" * doctest::test_suite("spec")) {
  auto i = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "192.0.2.10/24", nullptr, true);
  auto f = run(topo({i}), "iface.defroute-needs-gateway");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
  CHECK(f[0].pos.line == 112);
  CHECK(run(topo({good}), "iface.defroute-needs-gateway").empty());
}

// ---- IPv6 (spec/rules_ipv6.hpp) ----

namespace {

IpPrefix p6(const char* s) { return *IpPrefix::parse(s); }
IpAddress a6(const char* s) { return *IpAddress::parse(s); }

// `i` with `ipv6: {method, addresses, gateway}` at lines 130 (ipv6), 131+k (addresses.k),
// 139 (gateway).
GuestInterface with_v6(GuestInterface i, Ipv6Method m, std::vector<const char*> addrs,
                       const char* gw) {
  Ipv6Config c;
  c.method = m;
  i.pos["ipv6"] = at(130);
  for (std::size_t k = 0; k < addrs.size(); ++k) {
    c.addresses.push_back(p6(addrs[k]));
    i.pos["ipv6.addresses." + std::to_string(k)] = at(131 + static_cast<int>(k));
  }
  if (gw) {
    c.gateway = a6(gw);
    i.pos["ipv6.gateway"] = at(139);
  }
  i.ip.ipv6 = c;
  return i;
}

const auto good6 = with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64"}, "2001:db8:0:9::1");

}  // namespace

TEST_CASE("rules: a clean IPv6 interface has no IPv6 findings" * doctest::test_suite("spec")) {
  auto i = good6;
  i.ip.ipv6_defroute = true;
  i.pos["ipv6_defroute"] = at(140);
  i.ip.dns = std::vector<IpAddress>{a6("2001:4860:4860::8888"), IpAddress(*Ipv4::parse("8.8.8.8"))};
  i.ip.routes = std::vector<Route>{{p6("2001:db8:100::/48"), a6("2001:db8:0:9::1")},
                                   {*Cidr::parse("10.20.0.0/16"), *Ipv4::parse("104.50.201.86"), 100}};
  const Diagnostics found = all(topo({i}));  // named: items() refers into it
  CHECK_FALSE(found.has_errors());
  for (const auto& d : found.items()) CHECK(d.rule.find("ipv6") == std::string::npos);
}

TEST_CASE("rule iface.ipv6-static-needs-address" * doctest::test_suite("spec")) {
  auto i = with_v6(good, Ipv6Method::Static, {}, nullptr);
  auto f = run(topo({i}), "iface.ipv6-static-needs-address");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Error);
  CHECK(f[0].pos.line == 130);
  // auto and dhcp need none; disabled has none.
  for (auto m : {Ipv6Method::Auto, Ipv6Method::Dhcp, Ipv6Method::Disabled})
    CHECK(run(topo({with_v6(good, m, {}, nullptr)}), "iface.ipv6-static-needs-address").empty());
  CHECK(run(topo({good6}), "iface.ipv6-static-needs-address").empty());
}

TEST_CASE("rule iface.ipv6-prefix-length" * doctest::test_suite("spec")) {
  auto i = with_v6(good, Ipv6Method::Static, {"2001:db8::84/64", "2001:db8:1::1/0"}, nullptr);
  auto f = run(topo({i}), "iface.ipv6-prefix-length");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 132);
  CHECK(f[0].message.find("2001:db8:1::1/0") != std::string::npos);
  CHECK(run(topo({with_v6(good, Ipv6Method::Static, {"2001:db8::1/128"}, nullptr)}),
            "iface.ipv6-prefix-length").empty());
}

TEST_CASE("rule iface.ipv6-unicast: addresses, gateway and route next hops" *
          doctest::test_suite("spec")) {
  for (const char* bad : {"ff02::1/64", "::/64", "::1/128"}) {
    auto f = run(topo({with_v6(good, Ipv6Method::Static, {bad}, nullptr)}), "iface.ipv6-unicast");
    INFO(bad);
    REQUIRE(f.size() == 1);
    CHECK(f[0].pos.line == 131);
  }
  for (const char* bad : {"ff02::2", "::", "::1"}) {
    auto f = run(topo({with_v6(good, Ipv6Method::Auto, {}, bad)}), "iface.ipv6-unicast");
    INFO(bad);
    REQUIRE(f.size() == 1);
    CHECK(f[0].pos.line == 139);
  }
  auto r = good6;
  r.ip.routes = std::vector<Route>{{p6("2001:db8:100::/48"), a6("ff02::1")}};
  r.pos["routes.0.via"] = at(150, 9);
  auto f = run(topo({r}), "iface.ipv6-unicast");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 150);
  CHECK(run(topo({good6}), "iface.ipv6-unicast").empty());
}

TEST_CASE("rule iface.ipv6-gateway-on-link" * doctest::test_suite("spec")) {
  auto off = with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64"}, "2001:db8:0:a::1");
  auto f = run(topo({off}), "iface.ipv6-gateway-on-link");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Error);
  CHECK(f[0].pos.line == 139);
  CHECK(f[0].message.find("2001:db8:0:9::/64") != std::string::npos);
  // Inside a second prefix, or link-local: on the link.
  auto second = with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64", "2001:db8:0:a::84/64"},
                        "2001:db8:0:a::1");
  CHECK(run(topo({second}), "iface.ipv6-gateway-on-link").empty());
  CHECK(run(topo({with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64"}, "fe80::1")}),
            "iface.ipv6-gateway-on-link").empty());
  // The interface's own address is no router.
  auto self = with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64"}, "2001:db8:0:9::84");
  REQUIRE(run(topo({self}), "iface.ipv6-gateway-on-link").size() == 1);
  // auto: the router advertisement's prefix is not known here.
  CHECK(run(topo({with_v6(good, Ipv6Method::Auto, {}, "2001:db8:0:a::1")}),
            "iface.ipv6-gateway-on-link").empty());
}

TEST_CASE("rule guest.one-ipv6-defroute" * doctest::test_suite("spec")) {
  // A gateway with ipv6_defroute unset counts, as ipv6_defroute: true does.
  auto second = with_v6(direct("ens8", "em2", "52:54:00:00:00:02"), Ipv6Method::Static,
                        {"2001:db8:0:8::5/64"}, "2001:db8:0:8::1");
  auto f = run(topo({good6, second}), "guest.one-ipv6-defroute");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Error);
  CHECK(f[0].message.find("'ens8'") != std::string::npos);
  CHECK(f[0].message.find("first: 'ens9'") != std::string::npos);
  CHECK(f[0].pos.line == 139);
  second.ip.ipv6_defroute = false;
  CHECK(run(topo({good6, second}), "guest.one-ipv6-defroute").empty());
  // ipv6_defroute: true without a gateway (auto: the router's) counts too, at its position.
  auto autov6 = with_v6(direct("ens8", "em2", "52:54:00:00:00:02"), Ipv6Method::Auto, {}, nullptr);
  autov6.ip.ipv6_defroute = true;
  autov6.pos["ipv6_defroute"] = at(160, 7);
  f = run(topo({good6, autov6}), "guest.one-ipv6-defroute");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 160);
  // IPv4's defroute is another rule.
  CHECK(run(topo({good6, autov6}), "guest.one-defroute").empty());
}

TEST_CASE("rule iface.ipv6-defroute-needs-ipv6" * doctest::test_suite("spec")) {
  auto i = good;
  i.ip.ipv6_defroute = true;
  i.pos["ipv6_defroute"] = at(140);
  auto f = run(topo({i}), "iface.ipv6-defroute-needs-ipv6");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 140);
  auto off = with_v6(i, Ipv6Method::Disabled, {}, nullptr);
  off.ip.ipv6_defroute = false;
  CHECK(run(topo({off}), "iface.ipv6-defroute-needs-ipv6").size() == 1);
  auto on = with_v6(i, Ipv6Method::Auto, {}, nullptr);
  CHECK(run(topo({on}), "iface.ipv6-defroute-needs-ipv6").empty());
}

TEST_CASE("rule iface.ipv6-defroute-needs-gateway is a warning" * doctest::test_suite("spec")) {
  auto i = with_v6(good, Ipv6Method::Static, {"2001:db8:0:9::84/64"}, nullptr);
  i.ip.ipv6_defroute = true;
  i.pos["ipv6_defroute"] = at(140);
  auto f = run(topo({i}), "iface.ipv6-defroute-needs-gateway");
  REQUIRE(f.size() == 1);
  CHECK(f[0].severity == Severity::Warning);
  CHECK(f[0].pos.line == 140);
  auto a = with_v6(i, Ipv6Method::Auto, {}, nullptr);  // the router gives it
  CHECK(run(topo({a}), "iface.ipv6-defroute-needs-gateway").empty());
}

TEST_CASE("rule route.via-family" * doctest::test_suite("spec")) {
  auto i = good6;
  i.ip.routes = std::vector<Route>{{p6("2001:db8:100::/48"), IpAddress(*Ipv4::parse("104.50.201.86"))},
                                   {*Cidr::parse("10.20.0.0/16"), a6("2001:db8:0:9::1")},
                                   {*Cidr::parse("10.30.0.0/16"), *Ipv4::parse("104.50.201.86")}};
  i.pos["routes.0.via"] = at(150);
  i.pos["routes.1.via"] = at(151);
  auto f = run(topo({i}), "route.via-family");
  REQUIRE(f.size() == 2);
  CHECK(f[0].pos.line == 150);
  CHECK(f[0].message.find("IPv6 route needs a next hop of its own family") != std::string::npos);
  CHECK(f[1].pos.line == 151);
}

TEST_CASE("rule route.via-in-subnet for IPv6 next hops" * doctest::test_suite("spec")) {
  auto i = good6;
  i.ip.routes = std::vector<Route>{{p6("2001:db8:100::/48"), a6("2001:db8:0:9::1")},
                                   {p6("2001:db8:200::/48"), a6("fe80::1")},
                                   {p6("2001:db8:300::/48"), a6("2001:db8:0:7::1")}};
  i.pos["routes.2.via"] = at(152, 30);
  auto f = run(topo({i}), "route.via-in-subnet");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 152);
  CHECK(f[0].message.find("2001:db8:0:7::1") != std::string::npos);
  i.ip.ipv6->method = Ipv6Method::Auto;  // prefixes from the router: not checked
  CHECK(run(topo({i}), "route.via-in-subnet").empty());
}

TEST_CASE("rule iface.ipv6-needs-trust-rx-filters fires from the spec's ipv6 key (static and "
          "auto, not dhcp or disabled)" * doctest::test_suite("spec")) {
  test::TempDir t;
  auto warned = [&](const std::string& ipv6, const std::string& trust) {
    test::write_file(t.path() / "s.yaml",
                     "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    nics:\n"
                     "      em2: {config: unconfigured}\n    guests:\n      web1:\n"
                     "        interfaces:\n          - name: ens9\n"
                     "            direct: {dev: em2, mode: bridge" + trust + "}\n"
                     "            model: virtio\n            ipv6: " + ipv6 + "\n");
    const auto r = spec::load({(t.path() / "s.yaml").string()});
    REQUIRE_FALSE(r.diagnostics.has_errors());
    int n = 0;
    for (const auto& d : r.diagnostics.items())
      if (d.rule == "iface.ipv6-needs-trust-rx-filters") {
        ++n;
        CHECK(d.pos.line == 11);
      }
    return n;
  };
  CHECK(warned("auto", "") == 1);
  CHECK(warned("{addresses: [\"2001:db8::10/64\"]}", "") == 1);
  CHECK(warned("{addresses: [\"2001:db8::10/64\"]}", ", trust_guest_rx_filters: false") == 1);
  CHECK(warned("auto", ", trust_guest_rx_filters: true") == 0);
  CHECK(warned("dhcp", "") == 0);
  CHECK(warned("disabled", "") == 0);
}

TEST_CASE("rule iface.ipv4-unicast: addresses, gateway and route next hops" *
          doctest::test_suite("spec")) {
  for (const char* bad : {"224.0.0.5/24", "0.0.0.0/24", "127.0.0.2/8"}) {
    INFO(bad);
    auto f = run(topo({with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), bad, nullptr, true)}),
                 "iface.ipv4-unicast");
    REQUIRE(f.size() == 1);
    CHECK(f[0].severity == Severity::Error);
    CHECK(f[0].pos.line == 110);
  }
  auto gw = with_static(direct("ens9", "em2", "52:54:00:5d:9c:33"), "192.0.2.10/24", "0.0.0.0", true);
  auto f = run(topo({gw}), "iface.ipv4-unicast");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 111);
  CHECK(f[0].message.find("is 0.0.0.0") != std::string::npos);
  auto r = good;
  r.ip.ipv4 = Ipv4Config::make_dhcp();  // no subnet: route.via-in-subnet cannot see it
  r.ip.routes = std::vector<Route>{{*Cidr::parse("10.20.0.0/16"), *Ipv4::parse("239.1.1.1")}};
  r.pos["routes.0.via"] = at(150, 9);
  f = run(topo({r}), "iface.ipv4-unicast");
  REQUIRE(f.size() == 1);
  CHECK(f[0].pos.line == 150);
  CHECK(run(topo({good}), "iface.ipv4-unicast").empty());
}
