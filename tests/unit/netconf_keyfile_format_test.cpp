// Issue 15, points 1 and 7: the keyfile format behind netconf::Format - every profile
// NetworkManager made read into the model, a generic round trip (read -> want = have -> no
// edit), new profiles (UUID v5, MAC pin, both families, MTU, mode 0600), lossless updates,
// pins, renames, removal, several profiles for one device, unloadable files and modes
// NetworkManager ignores.
#include <doctest/doctest.h>

#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_format.hpp"
#include "netconf_keyfile_support.hpp"

using namespace mvt;
using mvt::test::contains;

namespace {

const netconf::Format& kf() { return keyfile::format(); }

MacAddress mac(const char* s) { return *MacAddress::parse(s); }
IpAddress ip(const char* s) { return *IpAddress::parse(s); }
IpPrefix pfx(const char* s) { return *IpPrefix::parse(s); }
Cidr cidr(const char* s) { return *Cidr::parse(s); }

NetworkScripts one(const std::string& name, const std::string& bytes, unsigned mode = 0600) {
  NetworkScripts files;
  files[name] = test::keyfile_state(name, bytes, mode);
  return files;
}

netconf::DeviceConfig read_one(const NetworkScripts& files, Diagnostics& d) {
  auto devs = kf().read(files, "guest g", d);
  REQUIRE(devs.size() == 1);
  return devs[0];
}

bool has_unmanaged(const InterfaceConfig& c, const std::string& key) {
  for (const auto& u : c.unmanaged)
    if (u.key == key) return true;
  return false;
}

bool has_rule(const Diagnostics& d, const std::string& rule) {
  for (const auto& i : d.items())
    if (i.rule == rule) return true;
  return false;
}

std::string rule_message(const Diagnostics& d, const std::string& rule) {
  for (const auto& i : d.items())
    if (i.rule == rule) return i.message;
  return {};
}

InterfaceConfig full_config() {
  InterfaceConfig w;
  w.ipv4 = Ipv4Config::make_static(cidr("192.0.2.84/24"), *Ipv4::parse("192.0.2.1"));
  w.ipv6 = Ipv6Config{Ipv6Method::Static, {pfx("2001:db8:0:9::84/64")}, ip("2001:db8:0:9::1")};
  w.defroute = true;
  w.ipv6_defroute = true;
  w.peerdns = false;
  w.dns = std::vector<IpAddress>{ip("192.0.2.53"), ip("2001:db8::53")};
  w.routes = std::vector<Route>{Route(pfx("198.51.100.0/24"), ip("192.0.2.1"), 100),
                                Route(pfx("2001:db8:100::/48"), ip("2001:db8:0:9::1"))};
  w.mtu = 9000;
  return w;
}

}  // namespace

TEST_CASE("netconf keyfile: registered after ifcfg, which stays the default" *
          doctest::test_suite("netconf")) {
  REQUIRE(netconf::formats().size() >= 2);
  CHECK(netconf::formats()[0]->name() == "ifcfg");
  CHECK(&netconf::default_format() == netconf::find_format("ifcfg"));
  CHECK(netconf::find_format("keyfile") == &kf());
  CHECK(kf().dir() == "etc/NetworkManager/system-connections");
  CHECK(kf().reads("ens9.nmconnection"));
  CHECK_FALSE(kf().reads(".nmconnection"));
  CHECK_FALSE(kf().reads("ifcfg-ens9"));
  CHECK_FALSE(kf().reads("ens9.nmconnection.bak"));
  CHECK(kf().restart_network_argv() == std::vector<std::string>{"nmcli", "connection", "reload"});
  CHECK(netconf::default_format().activation_argvs({}) ==
        std::vector<std::vector<std::string>>{netconf::default_format().restart_network_argv()});
}

TEST_CASE("netconf keyfile: activation reloads, then brings up each named profile by UUID, "
          "and edits name the profile they write and the one they replace" * doctest::test_suite("netconf")) {
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_dhcp();
  Diagnostics d;
  auto a = kf().guest_edits({"h", "g", "ens9", mac("52:54:00:5d:9c:33"), true, &want}, nullptr, {}, "", d);
  auto b = kf().guest_edits({"h", "g", "ens10", mac("52:54:00:5d:9c:34"), true, &want}, nullptr, {}, "", d);
  REQUIRE(a.size() == 1);
  REQUIRE(b.size() == 1);
  const auto files = one(a[0].name, a[0].after);
  auto removed = kf().removal(read_one(files, d), files);
  REQUIRE(removed.size() == 1);
  // The edits name their connections: a new profile's after, a removed one's before only.
  const std::string u9 = ifcfg::guest_interface_uuid("h", "g", "ens9");
  const std::string u10 = ifcfg::guest_interface_uuid("h", "g", "ens10");
  CHECK(b[0].profile_after == u10);
  CHECK(b[0].profile_before.empty());
  CHECK(b[0].enforce_mode);
  CHECK(removed[0].profile_after.empty());
  CHECK(removed[0].profile_before == u9);
  CHECK(kf().activation_argvs({u10, u9, u10}) ==
        std::vector<std::vector<std::string>>{{"nmcli", "connection", "reload"},
                                              {"nmcli", "connection", "up", "uuid", u10},
                                              {"nmcli", "connection", "up", "uuid", u9}});
  CHECK(kf().activation_argvs({}) ==
        std::vector<std::vector<std::string>>{{"nmcli", "connection", "reload"}});
}

TEST_CASE("netconf keyfile: each NetworkManager-made profile reads into the model" *
          doctest::test_suite("netconf")) {
  const auto fx = test::keyfile_fixtures();
  for (const char* n : {"static-v4v6.nmconnection", "static-v4v6-commented.nmconnection"}) {
    CAPTURE(n);
    Diagnostics d;
    const auto dc = read_one(one(n, fx.at(n)), d);
    CHECK(d.empty());
    CHECK(dc.device == "ens9");
    CHECK(dc.mac == mac("52:54:00:5d:9c:33"));
    CHECK(dc.ethernet);
    CHECK_FALSE(dc.created_by_tool);
    const auto& c = dc.config;
    REQUIRE(c.ipv4);
    CHECK(c.ipv4->method == Ipv4Method::Static);
    CHECK(c.ipv4->addresses == std::vector<Cidr>{cidr("192.0.2.84/24"), cidr("192.0.2.85/24")});
    CHECK(c.ipv4->gateway == Ipv4::parse("192.0.2.1"));  // the "ADDR/PLEN,GATEWAY" form
    REQUIRE(c.ipv6);
    CHECK(c.ipv6->method == Ipv6Method::Static);
    CHECK(c.ipv6->addresses == std::vector<IpPrefix>{pfx("2001:db8:0:9::84/64")});
    CHECK(c.ipv6->gateway == ip("2001:db8:0:9::1"));
    CHECK(c.peerdns == false);
    CHECK_FALSE(c.defroute);
    CHECK(c.dns == std::vector<IpAddress>{ip("192.0.2.53"), ip("198.51.100.53"), ip("2001:db8::53")});
    CHECK(c.routes == std::vector<Route>{Route(pfx("198.51.100.0/24"), ip("192.0.2.1"), 100),
                                         Route(pfx("203.0.113.0/24"), ip("192.0.2.254")),
                                         Route(pfx("2001:db8:100::/48"), ip("2001:db8:0:9::1"), 50)});
    CHECK(c.mtu == 9000);
    CHECK(has_unmanaged(c, "ipv6.addr-gen-mode"));
    CHECK_FALSE(has_unmanaged(c, "connection.id"));
    CHECK_FALSE(has_unmanaged(c, "ipv4.may-fail"));
    CHECK(pos_of(dc.pos, "mtu").line == (std::string(n).find("commented") != std::string::npos ? 10 : 9));
    CHECK(pos_of(dc.pos, "mtu").file == "/g/" + std::string(n));
  }
  for (const char* n : {"dhcp-ifname.nmconnection", "dhcp-ifname-crlf.nmconnection"}) {
    Diagnostics d;
    const auto dc = read_one(one(n, fx.at(n)), d);
    CHECK(dc.device == "ens10");
    CHECK_FALSE(dc.mac);
    CHECK(dc.config.ipv4 == Ipv4Config::make_dhcp());
    CHECK(dc.config.ipv6 == Ipv6Config{Ipv6Method::Dhcp, {}, std::nullopt});
    CHECK(has_unmanaged(dc.config, "ipv4.dns-search"));
  }
  {
    Diagnostics d;
    const auto dc = read_one(one("m.nmconnection", fx.at("auto-mac-only.nmconnection")), d);
    CHECK(dc.device.empty());  // matched by MAC only
    CHECK(dc.mac == mac("52:54:00:aa:bb:01"));
    CHECK(dc.config.ipv4->method == Ipv4Method::Dhcp);
    CHECK(dc.config.ipv6->method == Ipv6Method::Auto);
    CHECK(dc.config.defroute == false);
    CHECK(dc.config.ipv6_defroute == false);
  }
  {
    Diagnostics d;
    const auto dc = read_one(one("d.nmconnection", fx.at("disabled.nmconnection")), d);
    CHECK(dc.config.ipv4->method == Ipv4Method::Disabled);
    CHECK(dc.config.ipv6->method == Ipv6Method::Disabled);  // "ignore", as IPV6INIT=no
    CHECK(has_unmanaged(dc.config, "ipv6.method"));
  }
  {
    Diagnostics d;
    const auto dc = read_one(one("l.nmconnection", fx.at("link-local.nmconnection")), d);
    CHECK_FALSE(dc.config.ipv4);  // link-local is not the model's
    CHECK_FALSE(dc.config.ipv6);
    CHECK(has_unmanaged(dc.config, "ipv4.method"));
    CHECK(has_unmanaged(dc.config, "ipv6.method"));
  }
  {
    Diagnostics d;
    const auto dc = read_one(one("v.nmconnection", fx.at("v6-off.nmconnection")), d);
    CHECK(dc.config.ipv4 == Ipv4Config::make_static(cidr("203.0.113.7/28")));
    CHECK(dc.config.ipv6->method == Ipv6Method::Disabled);
  }
  {
    Diagnostics d;
    const auto dc = read_one(one("o.nmconnection", fx.at("odd--name.nmconnection")), d);
    CHECK(dc.device == "ens14");
    CHECK(has_unmanaged(dc.config, "connection.zone"));
    CHECK(has_unmanaged(dc.config, "ethernet.wake-on-lan"));
  }
}

TEST_CASE("netconf keyfile: generic round trip - for every fixture, wanting what was read "
          "gives no edit" * doctest::test_suite("netconf")) {
  for (const auto& [name, bytes] : test::keyfile_fixtures()) {
    CAPTURE(name);
    const auto files = one(name, bytes);
    Diagnostics d;
    const auto dc = read_one(files, d);
    InterfaceConfig want = dc.config;
    want.unmanaged.clear();
    const std::string dev = dc.device.empty() ? "eth0" : dc.device;
    netconf::GuestWant gw{"h", "g", dev, dc.mac.value_or(mac("52:54:00:00:00:99")), true, &want};
    Diagnostics e;
    CHECK(kf().guest_edits(gw, &dc, files, "guest g", e).empty());
    CHECK_FALSE(e.has_errors());
    CHECK(kf().watched(gw, &dc, files) == std::vector<std::string>{name});
  }
}

TEST_CASE("netconf keyfile: a new profile has the UUID v5, the MAC pin, both families, the MTU "
          "and mode 0600, and reads back as the spec" * doctest::test_suite("netconf")) {
  const InterfaceConfig want = full_config();
  netconf::GuestWant gw{"h1", "web1", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  Diagnostics d;
  auto edits = kf().guest_edits(gw, nullptr, {}, "guest web1", d);
  CHECK(d.empty());
  REQUIRE(edits.size() == 1);
  const auto& e = edits[0];
  CHECK(e.action == netconf::FileAction::Create);
  CHECK(e.name == "ens9.nmconnection");
  CHECK(e.path == "etc/NetworkManager/system-connections/ens9.nmconnection");
  CHECK(e.mode == 0600);
  CHECK_FALSE(e.before);
  const std::string uuid = ifcfg::guest_interface_uuid("h1", "web1", "ens9");
  CHECK(e.after == std::string(keyfile::kManagedHeader) + "\n\n"
                   "[connection]\nid=ens9\nuuid=" + uuid + "\ntype=ethernet\ninterface-name=ens9\n\n"
                   "[ethernet]\nmac-address=52:54:00:5D:9C:33\nmtu=9000\n\n"
                   "[ipv4]\nmethod=manual\naddress1=192.0.2.84/24\ngateway=192.0.2.1\n"
                   "never-default=false\nignore-auto-dns=true\ndns=192.0.2.53;\n"
                   "route1=198.51.100.0/24,192.0.2.1,100\nmay-fail=false\n\n"
                   "[ipv6]\nmethod=manual\naddress1=2001:db8:0:9::84/64\ngateway=2001:db8:0:9::1\n"
                   "never-default=false\ndns=2001:db8::53;\nroute1=2001:db8:100::/48,2001:db8:0:9::1\n");
  bool has_field = false;
  for (const auto& fc : e.fields)
    if (fc.field == "ethernet.mac-address" && !fc.before && fc.after == "52:54:00:5D:9C:33") has_field = true;
  CHECK(has_field);

  const auto files = one(e.name, e.after);
  Diagnostics r;
  const auto dc = read_one(files, r);
  CHECK(r.empty());
  CHECK(dc.created_by_tool);
  CHECK(dc.device == "ens9");
  CHECK(dc.mac == gw.mac);
  InterfaceConfig back = dc.config;
  back.unmanaged.clear();
  CHECK(differing_fields(want, back).empty());
  CHECK(back.unmanaged.empty());
  CHECK(kf().guest_edits(gw, &dc, files, "guest web1", r).empty());  // idempotent

  // An IPv6 gateway and ipv6_defroute false: NetworkManager would drop the gateway - a warning.
  InterfaceConfig nodef = want;
  nodef.ipv6_defroute = false;
  netconf::GuestWant g3{"h1", "web1", "ens9", gw.mac, true, &nodef};
  Diagnostics w;
  REQUIRE(kf().guest_edits(g3, nullptr, {}, "guest web1", w).size() == 1);
  CHECK(contains(rule_message(w, "keyfile.gateway-never-default"), "[ipv6] never-default=true"));
  CHECK_FALSE(w.has_errors());

  // Nothing about IPv6 in the spec: the profile disables it (ifcfg's IPV6INIT=no).
  InterfaceConfig v4only;
  v4only.ipv4 = Ipv4Config::make_dhcp();
  netconf::GuestWant g2{"h1", "web1", "ens10", mac("52:54:00:00:00:10"), true, &v4only};
  auto e2 = kf().guest_edits(g2, nullptr, {}, "", d);
  REQUIRE(e2.size() == 1);
  CHECK(contains(e2[0].after, "[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=disabled\n"));
  CHECK_FALSE(contains(e2[0].after, "may-fail"));
}

TEST_CASE("netconf keyfile: an update rewrites only the keys whose values differ and keeps "
          "every other byte" * doctest::test_suite("netconf")) {
  const auto fx = test::keyfile_fixtures();
  const std::string name = "static-v4v6-commented.nmconnection";
  const auto files = one(name, fx.at(name));
  Diagnostics d;
  const auto dc = read_one(files, d);

  InterfaceConfig want;
  want.defroute = false;  // one key: never-default=true, added after [ipv4]'s last key
  netconf::GuestWant gw{"h", "g", "ens9", *dc.mac, true, &want};
  auto e = kf().guest_edits(gw, &dc, files, "guest g", d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].action == netconf::FileAction::Update);
  CHECK(e[0].mode == 0600);
  CHECK(e[0].after == test::replace_all(fx.at(name), "route2=203.0.113.0/24,192.0.2.254\n",
                                        "route2=203.0.113.0/24,192.0.2.254\nnever-default=true\n"));
  REQUIRE(e[0].fields.size() == 1);
  CHECK(e[0].fields[0].field == "ipv4.never-default");

  // The gateway moves, in the form the profile uses ("ADDR/PLEN,GATEWAY" in address1).
  InterfaceConfig w2;
  w2.ipv4 = Ipv4Config::make_static(cidr("192.0.2.84/24"), *Ipv4::parse("192.0.2.254"));
  w2.ipv4->addresses.push_back(cidr("192.0.2.85/24"));
  w2.mtu = 1500;
  gw.config = &w2;
  auto e2 = kf().guest_edits(gw, &dc, files, "guest g", d);
  REQUIRE(e2.size() == 1);
  std::string expect = test::replace_all(fx.at(name), "address1=192.0.2.84/24,192.0.2.1\n",
                                         "address1=192.0.2.84/24,192.0.2.254\n");
  expect = test::replace_all(expect, "mtu = 9000\n", "mtu = 1500\n");
  CHECK(e2[0].after == expect);

  // Fewer routes and DNS servers of one family: the others stay.
  InterfaceConfig w3;
  w3.routes = std::vector<Route>{Route(pfx("2001:db8:100::/48"), ip("2001:db8:0:9::1"), 50)};
  w3.dns = std::vector<IpAddress>{ip("2001:db8::53")};
  gw.config = &w3;
  auto e3 = kf().guest_edits(gw, &dc, files, "guest g", d);
  REQUIRE(e3.size() == 1);
  CHECK_FALSE(contains(e3[0].after, "route1=198.51.100.0/24"));
  CHECK_FALSE(contains(e3[0].after, "route2="));
  CHECK_FALSE(contains(e3[0].after, "dns=192.0.2.53"));
  CHECK(contains(e3[0].after, "dns=2001:db8::53;\n"));
  CHECK(contains(e3[0].after, "route1=2001:db8:100::/48,2001:db8:0:9::1,50\n"));
  CHECK(contains(e3[0].after, "# static, as the network team asked\n[ipv4]\n"));
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("netconf keyfile: the MAC pin - kept right, restored in the tool's profile, not added "
          "to a hand-written one, and a rename keeps the profile" * doctest::test_suite("netconf")) {
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_dhcp();
  netconf::GuestWant gw{"h", "g", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  Diagnostics d;
  auto created = kf().guest_edits(gw, nullptr, {}, "", d);
  REQUIRE(created.size() == 1);
  // The pin removed by hand from the tool's profile: drift, restored.
  const std::string unpinned =
      test::replace_all(created[0].after, "mac-address=52:54:00:5D:9C:33\n", "");
  auto files = one("ens9.nmconnection", unpinned);
  auto dc = read_one(files, d);
  CHECK_FALSE(dc.mac);
  auto e = kf().guest_edits(gw, &dc, files, "", d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].after == created[0].after);
  // A hand-written profile without a pin stays without one.
  const std::string hand = "[connection]\nid=x\ntype=ethernet\ninterface-name=ens9\n\n[ipv4]\nmethod=auto\n";
  files = one("x.nmconnection", hand);
  dc = read_one(files, d);
  CHECK(kf().guest_edits(gw, &dc, files, "", d).empty());
  // Renamed in the spec (same MAC): the same file, interface-name (and an id equal to it) change.
  files = one("ens9.nmconnection", created[0].after);
  dc = read_one(files, d);
  netconf::GuestWant renamed{"h", "g", "ens10", gw.mac, true, &want};
  e = kf().guest_edits(renamed, &dc, files, "", d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].name == "ens9.nmconnection");
  CHECK(e[0].after == test::replace_all(test::replace_all(created[0].after, "id=ens9\n", "id=ens10\n"),
                                        "interface-name=ens9\n", "interface-name=ens10\n"));
  // A profile pinned to another MAC under the wanted name is not this device's: a new one.
  netconf::GuestWant other{"h", "g", "ens9", mac("52:54:00:00:00:01"), true, &want};
  e = kf().guest_edits(other, &dc, files, "", d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].action == netconf::FileAction::Create);
  CHECK(e[0].name == "macvtapctl-ens9.nmconnection");
  CHECK_FALSE(d.has_errors());
}

TEST_CASE("netconf keyfile: removal takes only the tool's profiles" * doctest::test_suite("netconf")) {
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_dhcp();
  netconf::GuestWant gw{"h", "g", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  Diagnostics d;
  auto created = kf().guest_edits(gw, nullptr, {}, "", d);
  REQUIRE(created.size() == 1);
  auto files = one("ens9.nmconnection", created[0].after);
  auto dc = read_one(files, d);
  auto r = kf().removal(dc, files);
  REQUIRE(r.size() == 1);
  CHECK(r[0].action == netconf::FileAction::Remove);
  CHECK(r[0].path == "etc/NetworkManager/system-connections/ens9.nmconnection");
  CHECK(r[0].before == created[0].after);
  CHECK(r[0].after.empty());
  const auto fx = test::keyfile_fixtures();
  files = one("s.nmconnection", fx.at("static-v4v6.nmconnection"));
  CHECK(kf().removal(read_one(files, d), files).empty());
}

TEST_CASE("netconf keyfile: several profiles for one device are an error naming them" *
          doctest::test_suite("netconf")) {
  const auto fx = test::keyfile_fixtures();
  NetworkScripts files;
  files["a.nmconnection"] = test::keyfile_state("a.nmconnection", fx.at("static-v4v6.nmconnection"));
  files["b.nmconnection"] = test::keyfile_state("b.nmconnection", fx.at("static-v4v6-commented.nmconnection"));
  Diagnostics d;
  const auto devs = kf().read(files, "guest g", d);
  CHECK(devs.size() == 2);
  REQUIRE(has_rule(d, "keyfile.several-profiles"));
  const auto msg = rule_message(d, "keyfile.several-profiles");
  CHECK(contains(msg, "a.nmconnection, b.nmconnection"));
  CHECK(contains(msg, "MAC 52:54:00:5d:9c:33"));
  InterfaceConfig want;
  want.mtu = 1500;
  netconf::GuestWant gw{"h", "g", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  Diagnostics e;
  CHECK(kf().guest_edits(gw, &devs[0], files, "guest g", e).empty());
  CHECK(contains(rule_message(e, "keyfile.several-profiles"), "a.nmconnection, b.nmconnection"));
  // An unpinned profile naming the interface of a pinned one: one device too.
  NetworkScripts f2;
  f2["a.nmconnection"] = files["a.nmconnection"];
  f2["ens9.nmconnection"] = test::keyfile_state("ens9.nmconnection", fx.at("dhcp-ifname.nmconnection"));
  f2["ens9.nmconnection"].bytes = test::replace_all(*f2["ens9.nmconnection"].bytes, "ens10", "ens9");
  Diagnostics d2;
  kf().read(f2, "", d2);
  CHECK(contains(rule_message(d2, "keyfile.several-profiles"), "(interface ens9): a.nmconnection, ens9.nmconnection"));
}

TEST_CASE("netconf keyfile: files NetworkManager would refuse or ignore are reported with their "
          "position" * doctest::test_suite("netconf")) {
  Diagnostics d;
  const auto devs = kf().read(one("bad.nmconnection", "[connection]\ninterface-name=ens9\nnot a line\n"),
                              "guest g", d);
  CHECK(devs.empty());  // NetworkManager ignores it: so does the reader
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].rule == "keyfile.unloadable");
  CHECK(d.items()[0].pos.file == "/g/bad.nmconnection");
  CHECK(d.items()[0].pos.line == 3);
  CHECK(d.items()[0].pos.column == 1);
  // ... and it is never overwritten by a new profile of the same name.
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_dhcp();
  netconf::GuestWant gw{"h", "g", "bad", mac("52:54:00:00:00:01"), true, &want};
  Diagnostics e;
  auto edits = kf().guest_edits(gw, nullptr, one("bad.nmconnection", "[x]\nnope\n"), "guest g", e);
  REQUIRE(edits.size() == 1);
  CHECK(edits[0].name == "macvtapctl-bad.nmconnection");

  // A bad escape: an error in a key the model reads, a warning elsewhere.
  Diagnostics b;
  read_one(one("e.nmconnection", "[connection]\ninterface-name=ens\\q9\nzone=a\\qb\n"), b);
  REQUIRE(b.items().size() == 2);
  CHECK(b.items()[0].rule == "keyfile.bad-value");
  CHECK(b.items()[0].pos.line == 2);
  CHECK(b.items()[0].pos.column == 19);
  CHECK(b.items()[1].rule == "keyfile.bad-value-unmanaged");
  CHECK(b.items()[1].severity == Severity::Warning);

  // Mode or owner NetworkManager ignores: a warning; 0600 root: none.
  Diagnostics m;
  read_one(one("m.nmconnection", "[connection]\ninterface-name=ens9\n", 0644), m);
  CHECK(contains(rule_message(m, "keyfile.ignored-by-nm"), "mode 0644"));
  Diagnostics ok;
  read_one(one("m.nmconnection", "[connection]\ninterface-name=ens9\n", 0600), ok);
  CHECK(ok.empty());
  // Mode and owner unknown (read through the read-only agent): nothing said about them.
  Diagnostics unknown;
  auto unstat = one("m.nmconnection", "[connection]\ninterface-name=ens9\n", 0644);
  unstat.begin()->second.stat_known = false;
  read_one(unstat, unknown);
  CHECK(unknown.empty());

  // Duplicate keys: the last counts (a warning), and is the one edited.
  Diagnostics dup;
  const auto files = one("u.nmconnection", "[connection]\ninterface-name=ens9\n[ethernet]\nmtu=1400\nmtu=1450\n");
  const auto dc = read_one(files, dup);
  CHECK(dc.config.mtu == 1450);
  CHECK(has_rule(dup, "keyfile.duplicate"));
  InterfaceConfig w;
  w.mtu = 1500;
  netconf::GuestWant g2{"h", "g", "ens9", mac("52:54:00:00:00:01"), true, &w};
  auto e2 = kf().guest_edits(g2, &dc, files, "", dup);
  REQUIRE(e2.size() == 1);
  CHECK(e2[0].after == "[connection]\ninterface-name=ens9\n[ethernet]\nmtu=1400\nmtu=1500\n");
}

TEST_CASE("netconf keyfile: every keyfile of the real-world corpus round-trips (bytes, and no "
          "edit when wanting what was read)" * doctest::test_suite("netconf")) {
  const auto corpus = test::corpus_dir();
  if (corpus.empty()) {
    MESSAGE("SKIPPED: no corpus (set MVT_CORPUS_DIR)");
    return;
  }
  int n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file() || e.path().extension() != ".nmconnection") continue;
    ++n;
    const std::string name = e.path().filename().string(), bytes = test::read_file(e.path());
    CAPTURE(e.path().string());
    CHECK(keyfile::File::parse(bytes).write() == bytes);
    Diagnostics d;
    const auto files = one(name, bytes);
    const auto devs = kf().read(files, "", d);
    if (devs.size() != 1) continue;  // refused by GKeyFile: reported, never edited
    InterfaceConfig want = devs[0].config;
    const std::string dev = devs[0].device.empty() ? "eth0" : devs[0].device;
    netconf::GuestWant gw{"h", "g", dev, devs[0].mac.value_or(mac("52:54:00:00:00:99")), true, &want};
    CHECK(kf().guest_edits(gw, &devs[0], files, "", d).empty());
  }
  if (n == 0) MESSAGE("SKIPPED: the corpus holds no *.nmconnection file (the NetworkManager-made fixtures stand in)");
}
