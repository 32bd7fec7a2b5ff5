// Issue 14, point 1: one IP address type for both families, and InterfaceConfig compared by
// value (nmstate: desired and current share one type).
#include <doctest/doctest.h>

#include <algorithm>

#include "model/interface_config.hpp"
#include "model/net_types.hpp"

using namespace mvt;

TEST_CASE("IpAddress: IPv4 and IPv6 parse to canonical text" * doctest::test_suite("netconf")) {
  CHECK(IpAddress::parse("104.50.201.84")->str() == "104.50.201.84");
  CHECK(IpAddress::parse("104.50.201.84")->is_v4());
  CHECK(IpAddress::parse("FEDC::1")->str() == "fedc::1");
  CHECK(IpAddress::parse("2001:DB8:0:0:0:0:0:84")->str() == "2001:db8::84");
  CHECK(IpAddress::parse("2001:db8:0:9:0:0:0:1") == IpAddress::parse("2001:db8:0:9::1"));
  CHECK(IpAddress::parse("::1")->is_loopback());
  CHECK(IpAddress::parse("::")->is_unspecified());
  CHECK(IpAddress::parse("ff02::1")->is_multicast());
  CHECK(IpAddress::parse("fe80::1")->is_link_local());
  CHECK_FALSE(IpAddress::parse("2001:db8::1")->is_link_local());
  CHECK(IpAddress::parse("224.0.0.1")->is_multicast());
  // Refused: zone index, prefix, garbage, octal-looking IPv4, an overlong text.
  CHECK_FALSE(IpAddress::parse("fe80::1%eth0"));
  CHECK_FALSE(IpAddress::parse("2001:db8::/64"));
  CHECK_FALSE(IpAddress::parse("2001:db8:::1"));
  CHECK_FALSE(IpAddress::parse("010.1.1.1"));
  CHECK_FALSE(IpAddress::parse(std::string(60, ':')));
  CHECK_FALSE(IpAddress::parse(""));
  // The families never compare equal, IPv4 converts implicitly.
  const IpAddress v4 = *Ipv4::parse("8.8.8.8");
  CHECK(v4.v4() == Ipv4::parse("8.8.8.8"));
  CHECK_FALSE(IpAddress::parse("::8.8.8.8")->v4());
  CHECK(v4 != *IpAddress::parse("::808:808"));
}

TEST_CASE("IpPrefix: networks and containment of both families" * doctest::test_suite("netconf")) {
  auto p = IpPrefix::parse("2001:db8:0:9::84/64");
  REQUIRE(p);
  CHECK(p->str() == "2001:db8:0:9::84/64");
  CHECK(p->network().str() == "2001:db8:0:9::");
  CHECK_FALSE(p->is_network());
  CHECK(p->contains(*IpAddress::parse("2001:db8:0:9::1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("2001:db8:0:a::1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("104.50.201.84")));
  CHECK(IpPrefix::parse("2001:db8:100::/48")->is_network());
  CHECK(IpPrefix::parse("2001:db8::1/127")->network().str() == "2001:db8::");
  CHECK(IpPrefix::parse("2001:db8::ff/121")->network().str() == "2001:db8::80");
  CHECK_FALSE(IpPrefix::parse("2001:db8::/129"));
  CHECK_FALSE(IpPrefix::parse("2001:db8::/064"));
  CHECK_FALSE(IpPrefix::parse("2001:db8::"));
  auto v4 = IpPrefix::parse("10.20.1.0/16");
  REQUIRE(v4);
  CHECK(v4->network().str() == "10.20.0.0");
  CHECK(v4->v4()->str() == "10.20.1.0/16");
  CHECK_FALSE(IpPrefix::parse("10.20.0.0/33"));
}

TEST_CASE("InterfaceConfig: only declared fields are compared, routes as a set" *
          doctest::test_suite("netconf")) {
  InterfaceConfig want;
  want.ipv4 = Ipv4Config::make_static(*Cidr::parse("104.50.201.84/29"), Ipv4::parse("104.50.201.86"));
  want.dns = std::vector<IpAddress>{*IpAddress::parse("8.8.8.8"), *IpAddress::parse("fedc::1")};
  want.routes = std::vector<Route>{{*IpPrefix::parse("10.20.0.0/16"), *IpAddress::parse("104.50.201.86")},
                                   {*IpPrefix::parse("2001:db8:100::/48"), *IpAddress::parse("2001:db8::1"), 100}};
  InterfaceConfig have = want;
  have.peerdns = false;  // not declared: not compared
  have.unmanaged.push_back({"ZONE", "public", {}});
  std::reverse(have.routes->begin(), have.routes->end());
  CHECK(differing_fields(want, have).empty());
  have.dns->pop_back();
  have.routes->front().metric = 200;
  CHECK(differing_fields(want, have) == std::vector<std::string>{"dns", "routes"});
  InterfaceConfig none;
  CHECK_FALSE(none.any());
  CHECK(differing_fields(none, have).empty());
  CHECK(want.routes->at(1).str() == "2001:db8:100::/48 via 2001:db8::1 metric 100");
}
