// Issue 14, points 2 and 7: the ifcfg format behind netconf::Format - one reader (IPv6 keys,
// DNS of either family, DHCP with static extras, unmanaged keys), value-driven lossless
// edits, one device one file pinned by MAC (rename moves the config, two files claiming one
// MAC are an error, a removed pin is restored).
#include <doctest/doctest.h>

#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/ifcfg/interface_facts.hpp"
#include "test_support.hpp"

using namespace mvt;
using mvt::test::contains;

namespace {

FileState file(const std::string& name, const std::string& bytes) {
  FileState f;
  f.path = std::string(ifcfg::kDir) + "/" + name;
  f.bytes = bytes;
  f.origin = "/g/" + name;
  return f;
}

const netconf::Format& fmt() { return netconf::default_format(); }

MacAddress mac(const char* s) { return *MacAddress::parse(s); }

}  // namespace

TEST_CASE("netconf: the registry's default format is ifcfg" * doctest::test_suite("netconf")) {
  CHECK(fmt().name() == "ifcfg");
  CHECK(netconf::find_format("ifcfg") == &fmt());
  CHECK(netconf::find_format("keyfile") != &fmt());  // registered after ifcfg (issue 15)
  CHECK(fmt().reads("route6-ens9"));
  CHECK_FALSE(fmt().reads("ifup-eth"));
  CHECK(fmt().file_names("ens9") == std::vector<std::string>{"ifcfg-ens9", "route-ens9", "route6-ens9"});
}

TEST_CASE("netconf ifcfg: IPv6 keys, IPv6 DNS, DHCP with static extras and unmanaged keys are "
          "read into the model" * doctest::test_suite("netconf")) {
  NetworkScripts files;
  files["ifcfg-ens9"] = file("ifcfg-ens9",
                             "DEVICE=ens9\nHWADDR=52:54:00:5D:9C:33\nBOOTPROTO=dhcp\n"
                             "IPADDR=192.0.2.10\nNETMASK=255.255.255.0\nGATEWAY=192.0.2.1\n"
                             "IPV6INIT=yes\nIPV6_AUTOCONF=no\nIPV6ADDR=2001:DB8:0:9::84/64\n"
                             "IPV6ADDR_SECONDARIES=\"2001:db8:0:9::85/64 2001:db8:0:9::86\"\n"
                             "IPV6_DEFAULTGW=2001:db8:0:9::1%ens9\nIPV6_DEFROUTE=yes\n"
                             "DNS1=8.8.8.8\nDNS2=FEDC::1\nMTU=9000\nZONE=public\n");
  files["route6-ens9"] = file("route6-ens9", "2001:db8:100::/48 via 2001:db8:0:9::1 metric 100\n");
  files["route-ens9"] = file("route-ens9", "10.20.0.0/16 via 192.0.2.1\n");
  Diagnostics d;
  const auto devs = fmt().read(files, "guest g", d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(devs.size() == 1);
  const auto& dc = devs[0];
  CHECK(dc.device == "ens9");
  CHECK(dc.mac == mac("52:54:00:5d:9c:33"));
  CHECK(dc.files == std::vector<std::string>{"ifcfg-ens9", "route-ens9", "route6-ens9"});
  const InterfaceConfig& c = dc.config;
  REQUIRE(c.ipv4);
  CHECK(c.ipv4->method == Ipv4Method::Dhcp);
  REQUIRE(c.ipv4->addresses.size() == 1);
  CHECK(c.ipv4->addresses[0].str() == "192.0.2.10/24");
  CHECK(c.ipv4->gateway->str() == "192.0.2.1");
  REQUIRE(c.ipv6);
  CHECK(c.ipv6->method == Ipv6Method::Static);
  REQUIRE(c.ipv6->addresses.size() == 3);
  CHECK(c.ipv6->addresses[0].str() == "2001:db8:0:9::84/64");
  CHECK(c.ipv6->addresses[2].str() == "2001:db8:0:9::86/64");
  CHECK(c.ipv6->gateway->str() == "2001:db8:0:9::1");
  CHECK(c.ipv6_defroute == true);
  REQUIRE(c.dns);
  REQUIRE(c.dns->size() == 2);
  CHECK(c.dns->at(1).str() == "fedc::1");
  CHECK(c.mtu == 9000);
  REQUIRE(c.routes);
  REQUIRE(c.routes->size() == 2);
  CHECK(c.routes->at(1).str() == "2001:db8:100::/48 via 2001:db8:0:9::1 metric 100");
  REQUIRE(c.unmanaged.size() == 1);
  CHECK(c.unmanaged[0].key == "ZONE");
  CHECK(c.unmanaged[0].pos.line == 16);
  // IPV6INIT=no is "disabled"; no IPV6INIT at all is "the file does not say".
  files.clear();
  files["ifcfg-eth0"] = file("ifcfg-eth0", "DEVICE=eth0\nIPV6INIT=no\n");
  files["ifcfg-eth1"] = file("ifcfg-eth1", "DEVICE=eth1\nIPV6INIT=yes\n");
  files["ifcfg-eth2"] = file("ifcfg-eth2", "DEVICE=eth2\n");
  const auto more = fmt().read(files, "", d);
  CHECK(more[0].config.ipv6->method == Ipv6Method::Disabled);
  CHECK(more[1].config.ipv6->method == Ipv6Method::Auto);  // IPV6_AUTOCONF defaults to yes
  CHECK_FALSE(more[2].config.ipv6);
}

TEST_CASE("netconf ifcfg: an IPv6 config written into a new file reads back as the same value, "
          "and bash reads the values" * doctest::test_suite("netconf")) {
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_static(*Cidr::parse("192.0.2.84/24"), Ipv4::parse("192.0.2.1"));
  Ipv6Config v6;
  v6.addresses = {*IpPrefix::parse("2001:db8:0:9::84/64"), *IpPrefix::parse("2001:db8:0:9::85/64")};
  v6.gateway = IpAddress::parse("2001:db8:0:9::1");
  want.ipv6 = v6;
  want.ipv6_defroute = true;
  want.dns = std::vector<IpAddress>{*IpAddress::parse("8.8.8.8"), *IpAddress::parse("2001:4860:4860::8888")};
  want.routes = std::vector<Route>{{*IpPrefix::parse("2001:db8:100::/48"), *IpAddress::parse("2001:db8:0:9::1")},
                                   {*IpPrefix::parse("10.20.0.0/16"), *IpAddress::parse("192.0.2.1"), 100}};
  want.mtu = 9000;
  const netconf::GuestWant gw{"kvm1", "web1", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  Diagnostics d;
  const auto edits = fmt().guest_edits(gw, nullptr, {}, "guest web1", d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(edits.size() == 3);  // ifcfg-ens9, route-ens9, route6-ens9
  NetworkScripts files;
  for (const auto& e : edits) {
    CHECK(e.action == netconf::FileAction::Create);
    files[e.name] = file(e.name, e.after);
  }
  CHECK(contains(files["ifcfg-ens9"].bytes.value(), "IPV6INIT=yes\n"));
  CHECK(contains(files["ifcfg-ens9"].bytes.value(), "IPV6ADDR_SECONDARIES=2001:db8:0:9::85/64\n"));
  CHECK(contains(files["route6-ens9"].bytes.value(), "2001:db8:100::/48 via 2001:db8:0:9::1\n"));
  CHECK(contains(files["route-ens9"].bytes.value(), "10.20.0.0/16 via 192.0.2.1 metric 100\n"));
  const auto devs = fmt().read(files, "", d);
  REQUIRE(devs.size() == 1);
  CHECK(differing_fields(want, devs[0].config).empty());
  // Re-planning the written files: nothing to do.
  CHECK(fmt().guest_edits(gw, &devs[0], files, "", d).empty());
  // Bash reads what the model says (network-scripts source the file).
  test::TempDir tmp;
  test::write_file(tmp.path() / "ifcfg-ens9", files["ifcfg-ens9"].bytes.value());
  const auto r = test::run({"/bin/bash", "-c", ". \"$1\" && printf '%s|%s|%s|%s' \"$IPV6ADDR\" \"$IPV6_DEFAULTGW\" \"$DNS2\" \"$MTU\"",
                            "x", (tmp.path() / "ifcfg-ens9").string()});
  CHECK(r.out == "2001:db8:0:9::84/64|2001:db8:0:9::1|2001:4860:4860::8888|9000");
}

TEST_CASE("netconf ifcfg: `ipv4: dhcp` keeps static extras and IPv6 DNS, one changed key keeps "
          "every other byte" * doctest::test_suite("netconf")) {
  const std::string text =
      "# hand written\nDEVICE=eth0\nBOOTPROTO=dhcp\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\n"
      "GATEWAY=192.0.2.1\nDNS1=8.8.8.8\nDNS2=FEDC::1\nIPV6ADDR=2001:db8::5/64\nDEFROUTE=no\nODD=\"x y\"";
  NetworkScripts files;
  files["ifcfg-eth0"] = file("ifcfg-eth0", text);
  Diagnostics d;
  const auto devs = fmt().read(files, "", d);
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_dhcp();
  want.defroute = false;
  netconf::GuestWant gw{"kvm1", "web1", "eth0", mac("52:54:00:b4:87:0f"), false, &want};
  CHECK(fmt().guest_edits(gw, &devs[0], files, "", d).empty());
  want.defroute = true;
  const auto e = fmt().guest_edits(gw, &devs[0], files, "", d);
  REQUIRE(e.size() == 1);
  CHECK(e[0].after == test::replace_all(text, "DEFROUTE=no", "DEFROUTE=yes"));
  REQUIRE(e[0].fields.size() == 1);
  CHECK(e[0].fields[0].field == "DEFROUTE");
}

TEST_CASE("netconf ifcfg: renaming an interface (same MAC) moves its config and removes the old "
          "files" * doctest::test_suite("netconf")) {
  NetworkScripts files;
  files["ifcfg-ens9"] = file("ifcfg-ens9",
                             "# Managed by macvtapctl: edits to managed keys will be overwritten\n"
                             "NAME=ens9\nDEVICE=ens9\nHWADDR=52:54:00:5d:9c:33\nBOOTPROTO=none\n"
                             "IPADDR=104.50.201.84\nPREFIX=29\nDEFROUTE=yes\nZONE=dmz # kept\n");
  files["route-ens9"] = file("route-ens9", "10.20.0.0/16 via 104.50.201.86\n");
  Diagnostics d;
  const auto devs = fmt().read(files, "", d);
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_static(*Cidr::parse("104.50.201.84/29"));
  want.defroute = true;
  const netconf::GuestWant gw{"kvm1", "web1", "ens10", mac("52:54:00:5d:9c:33"), true, &want};
  const auto* have = netconf::by_mac(devs, gw.mac);
  REQUIRE(have);
  const auto edits = fmt().guest_edits(gw, have, files, "", d);
  CHECK_FALSE(d.has_errors());
  std::map<std::string, const netconf::FileEdit*> by;
  for (const auto& e : edits) by[e.name] = &e;
  REQUIRE(by.count("ifcfg-ens10"));
  REQUIRE(by.count("route-ens10"));
  REQUIRE(by.count("ifcfg-ens9"));
  REQUIRE(by.count("route-ens9"));
  CHECK(by["ifcfg-ens10"]->action == netconf::FileAction::Create);
  CHECK(by["ifcfg-ens9"]->action == netconf::FileAction::Remove);
  CHECK(by["route-ens9"]->action == netconf::FileAction::Remove);
  const std::string moved = by["ifcfg-ens10"]->after;
  CHECK(contains(moved, "DEVICE=ens10\n"));
  CHECK(contains(moved, "NAME=ens10\n"));
  CHECK(contains(moved, "ZONE=dmz # kept\n"));
  CHECK(contains(by["route-ens10"]->after, "10.20.0.0/16 via 104.50.201.86\n"));
  // Applied, the old name is gone and a re-plan is empty.
  NetworkScripts after;
  after["ifcfg-ens10"] = file("ifcfg-ens10", moved);
  after["route-ens10"] = file("route-ens10", by["route-ens10"]->after);
  const auto devs2 = fmt().read(after, "", d);
  CHECK(fmt().guest_edits(gw, netconf::by_mac(devs2, gw.mac), after, "", d).empty());
}

TEST_CASE("netconf ifcfg: two files claiming one MAC are an error naming both, a removed pin is "
          "restored" * doctest::test_suite("netconf")) {
  NetworkScripts files;
  files["ifcfg-ens9"] = file("ifcfg-ens9", "DEVICE=ens9\nHWADDR=52:54:00:5d:9c:33\n");
  files["ifcfg-ens10"] = file("ifcfg-ens10", "DEVICE=ens10\nHWADDR=52:54:00:5D:9C:33\n");
  Diagnostics d;
  (void)fmt().read(files, "guest web1", d);
  REQUIRE(d.error_count() == 1);
  const auto& e = d.items().front();
  CHECK(e.rule == "netconf.mac-claimed-twice");
  CHECK(contains(e.message, "ifcfg-ens9"));
  CHECK(contains(e.message, "ifcfg-ens10"));

  NetworkScripts pinned;
  const std::string header = ifcfg::kManagedHeader;
  pinned["ifcfg-ens9"] = file("ifcfg-ens9", header + "\nDEVICE=ens9\nDEFROUTE=yes\n");  // pin removed by hand
  Diagnostics d2;
  const auto devs = fmt().read(pinned, "", d2);
  InterfaceConfig want;
  want.defroute = true;
  const netconf::GuestWant gw{"kvm1", "web1", "ens9", mac("52:54:00:5d:9c:33"), true, &want};
  const auto edits = fmt().guest_edits(gw, netconf::by_device(devs, "ens9"), pinned, "", d2);
  REQUIRE(edits.size() == 1);
  CHECK(edits[0].after == header + "\nDEVICE=ens9\nDEFROUTE=yes\nHWADDR=52:54:00:5d:9c:33\n");
  // A hand-written file without a pin stays unpinned (show then plan changes nothing).
  pinned["ifcfg-ens9"] = file("ifcfg-ens9", "DEVICE=ens9\nDEFROUTE=yes\n");
  const auto hand = fmt().read(pinned, "", d2);
  CHECK(fmt().guest_edits(gw, netconf::by_device(hand, "ens9"), pinned, "", d2).empty());
}

TEST_CASE("netconf ifcfg: an expansion in a key the tool does not manage is a warning naming "
          "file and line, the rest is imported" * doctest::test_suite("netconf")) {
  NetworkScripts files;
  files["ifcfg-eth0"] = file("ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\nETHTOOL_OPTS=$(id)\nDEFROUTE=no\n");
  Diagnostics d;
  const auto devs = fmt().read(files, "guest web1", d);
  CHECK_FALSE(d.has_errors());
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].rule == "ifcfg.unsafe-unmanaged");
  CHECK(d.items()[0].pos.line == 3);
  CHECK(contains(d.items()[0].pos.file.str(), "ifcfg-eth0"));
  REQUIRE(devs.size() == 1);
  CHECK(devs[0].config.ipv4->dhcp());
  CHECK(devs[0].config.defroute == false);
  // In a key the model reads, it is an error.
  files["ifcfg-eth0"] = file("ifcfg-eth0", "DEVICE=eth0\nDEFROUTE=$(id)\n");
  Diagnostics d2;
  (void)fmt().read(files, "", d2);
  CHECK(d2.has_errors());
}
