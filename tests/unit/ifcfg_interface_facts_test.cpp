// interface_facts: the procedure's key sets, new files, and in-place managed edits.
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "netconf/ifcfg/interface_facts.hpp"

using namespace mvt;
using namespace mvt::ifcfg;

namespace {

InterfaceFacts ens9() {
  InterfaceFacts f;
  f.device = "ens9";
  f.ipv4 = Ipv4Config{Ipv4Method::Static, {*Cidr::parse("104.50.201.84/29")}, Ipv4::parse("104.50.201.86")};
  f.defroute = true;
  f.peerdns = false;
  f.dns = std::vector<IpAddress>{*Ipv4::parse("8.8.8.8")};
  f.uuid = "010B8B2C-9809-48E1-B14F-0BF224A8EFB2";
  return f;
}

}  // namespace

TEST_CASE("interface facts: ens9 new file is the procedure's file with PREFIX only" *
          doctest::test_suite("ifcfg")) {
  CHECK(render_new_file(interface_keys(ens9())) ==
        "# Managed by macvtapctl: edits to managed keys will be overwritten\n"
        "NAME=ens9\n"
        "DEVICE=ens9\n"
        "TYPE=Ethernet\n"
        "ONBOOT=yes\n"
        "BOOTPROTO=none\n"
        "IPADDR=104.50.201.84\n"
        "PREFIX=29\n"
        "GATEWAY=104.50.201.86\n"
        "DEFROUTE=yes\n"
        "PEERROUTES=no\n"
        "PEERDNS=no\n"
        "DNS1=8.8.8.8\n"
        "IPV4_FAILURE_FATAL=yes\n"
        "IPV6INIT=no\n"
        "IPV6_AUTOCONF=no\n"
        "IPV6_DEFROUTE=no\n"
        "IPV6_PEERDNS=no\n"
        "IPV6_PEERROUTES=no\n"
        "IPV6_FAILURE_FATAL=no\n"
        "UUID=010B8B2C-9809-48E1-B14F-0BF224A8EFB2\n");
  CHECK(static_interface_keys(ens9()).size() == 20);
  InterfaceFacts dhcp;
  dhcp.device = "eth0";
  dhcp.ipv4 = Ipv4Config::make_dhcp();
  CHECK_THROWS_AS(static_interface_keys(dhcp), std::invalid_argument);
}

TEST_CASE("interface facts: unconfigured host NIC em2 as in the procedure" *
          doctest::test_suite("ifcfg")) {
  auto kv = unconfigured_nic_keys("em2", MacAddress::parse("18:66:DA:9F:96:D7"),
                                  "85e14c6b-f9d3-49a0-b566-f122d47001c6");
  CHECK(render_new_file(kv) ==
        "# Managed by macvtapctl: edits to managed keys will be overwritten\n"
        "NAME=em2\n"
        "DEVICE=em2\n"
        "HWADDR=18:66:da:9f:96:d7\n"
        "TYPE=Ethernet\n"
        "ONBOOT=no\n"
        "BOOTPROTO=no\n"
        "DEFROUTE=no\n"
        "PEERDNS=no\n"
        "PEERROUTES=no\n"
        "IPV4_FAILURE_FATAL=no\n"
        "IPV6INIT=no\n"
        "IPV6_AUTOCONF=no\n"
        "IPV6_DEFROUTE=no\n"
        "IPV6_PEERDNS=no\n"
        "IPV6_PEERROUTES=no\n"
        "IPV6_FAILURE_FATAL=no\n"
        "UUID=85e14c6b-f9d3-49a0-b566-f122d47001c6\n");
}

TEST_CASE("interface facts: apply edits only managed keys, by meaning" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "# hand-written\n"
      "DEVICE=ens9\n"
      "ONBOOT=\"true\"  # meaning equal: untouched\n"
      "BOOTPROTO=static\n"
      "IPADDR=104.50.201.99\n"
      "NETMASK=255.255.255.0\n"
      "GATEWAY=104.50.201.86\n"
      "DEFROUTE=no # was no\n"
      "ZONE=public\n"
      "DNS1=1.1.1.1\n"
      "DNS2=8.8.8.8\n"
      "DNS3=9.9.9.9\n"
      "UUID=010b8b2c-9809-48e1-b14f-0bf224a8efb2\n"
      "IPV6INIT=yes\n");
  CHECK(apply(f, interface_keys(ens9())));
  CHECK(f.write() ==
        "# hand-written\n"
        "DEVICE=ens9\n"
        "ONBOOT=\"true\"  # meaning equal: untouched\n"
        "BOOTPROTO=static\n"
        "IPADDR=104.50.201.84\n"
        "GATEWAY=104.50.201.86\n"
        "DEFROUTE=yes # was no\n"
        "ZONE=public\n"
        "DNS1=8.8.8.8\n"
        "UUID=010b8b2c-9809-48e1-b14f-0bf224a8efb2\n"
        "IPV6INIT=yes\n"
        "NAME=ens9\n"
        "TYPE=Ethernet\n"
        "PREFIX=29\n"
        "PEERROUTES=no\n"
        "PEERDNS=no\n"
        "IPV4_FAILURE_FATAL=yes\n"
        "IPV6_AUTOCONF=no\n"
        "IPV6_DEFROUTE=no\n"
        "IPV6_PEERDNS=no\n"
        "IPV6_PEERROUTES=no\n"
        "IPV6_FAILURE_FATAL=no\n");
  // Idempotent.
  auto again = File::parse(f.write());
  CHECK_FALSE(apply(again, interface_keys(ens9())));
  CHECK(again.write() == f.write());
  CHECK(again.ipv4_address()->str() == "104.50.201.84/29");
}

TEST_CASE("interface facts: agreeing NETMASK kept, IPADDR0 family edited in place" *
          doctest::test_suite("ifcfg")) {
  auto kv = interface_keys(ens9());
  auto f = File::parse("IPADDR=104.50.201.84\nNETMASK=255.255.255.248\n");
  apply(f, kv);
  CHECK(f.get("NETMASK") == "255.255.255.248");
  CHECK_FALSE(f.has("PREFIX"));
  auto g = File::parse("IPADDR0=192.0.2.1\nPREFIX0=24\nGATEWAY0=192.0.2.254\n");
  apply(g, kv);
  CHECK(g.write().rfind("IPADDR0=104.50.201.84\nPREFIX0=29\nGATEWAY0=104.50.201.86\n", 0) == 0);
  CHECK_FALSE(g.has("IPADDR"));
  CHECK(g.ipv4_address()->str() == "104.50.201.84/29");
}

TEST_CASE("interface facts: dhcp drops static addressing, unconfigured NIC drops address" *
          doctest::test_suite("ifcfg")) {
  InterfaceFacts eth0;
  eth0.device = "eth0";
  eth0.ipv4 = Ipv4Config::make_dhcp();
  eth0.defroute = false;
  eth0.peerdns = false;
  auto f =
      File::parse("DEVICE=eth0\nBOOTPROTO=none\nIPADDR=192.0.2.5\nPREFIX=24\nGATEWAY=192.0.2.1\n");
  apply(f, interface_keys(eth0));
  CHECK(f.bootproto() == "dhcp");
  CHECK_FALSE(f.has("IPADDR"));
  CHECK_FALSE(f.has("GATEWAY"));
  CHECK(f.get_bool("DEFROUTE") == false);
  CHECK(f.get_bool("PEERDNS") == false);

  auto nic =
      File::parse("DEVICE=em2\nONBOOT=yes\nBOOTPROTO=dhcp\nIPADDR=192.0.2.7\nDNS1=192.0.2.53\n");
  apply(nic, unconfigured_nic({"em2", std::nullopt, std::nullopt}));
  CHECK(nic.get_bool("ONBOOT") == false);
  CHECK(nic.bootproto() == "static");
  CHECK_FALSE(nic.has("IPADDR"));
  CHECK_FALSE(nic.has("DNS1"));
  CHECK(nic.get("IPV6INIT") == "no");
}

TEST_CASE("interface facts: facts_of a spec interface" * doctest::test_suite("ifcfg")) {
  GuestInterface gi;
  gi.name = "ens8";
  gi.ip.ipv4 = Ipv4Config{Ipv4Method::Static, {*Cidr::parse("192.168.1.15/24")}, Ipv4::parse("192.168.1.1")};
  gi.ip.defroute = false;
  auto mac = *MacAddress::parse("52:54:00:5d:9c:34");
  auto f = facts_of(gi, mac, "7af78337-479d-47e2-8b16-a04dc42227c8");
  CHECK(f.device == "ens8");
  CHECK(f.hwaddr == mac);
  CHECK_FALSE(f.dns);
  auto text = render_new_file(interface_keys(f));
  auto parsed = File::parse(text);
  CHECK(parsed.get("HWADDR") == "52:54:00:5d:9c:34");
  CHECK(parsed.ipv4_address()->str() == "192.168.1.15/24");
  CHECK(parsed.get_bool("DEFROUTE") == false);
  CHECK_FALSE(parsed.has("DNS1"));
  CHECK_FALSE(parsed.has("PEERDNS"));
}
