// route-<dev> files: both formats, lossless, set_routes() keeps comments and format.
#include <doctest/doctest.h>

#include <string>

#include "netconf/ifcfg/route_file.hpp"

using namespace mvt;
using ifcfg::RouteFile;

namespace {
Route route(const char* to, const char* via) {
  return Route{*Cidr::parse(to), *Ipv4::parse(via)};
}
}  // namespace

TEST_CASE("route file: ip-lines format parses, keeps comments, reports unsupported lines" *
          doctest::test_suite("ifcfg")) {
  const std::string text =
      "# routes for ens9\n"
      "10.20.0.0/16 via 104.50.201.86\n"
      "\n"
      "  10.30.0.0/16 via 104.50.201.86 dev ens9\n"
      "10.40.0.0/16 via 104.50.201.86 src 10.0.0.1\n"
      "default via 104.50.201.86\n"
      "192.0.2.7 via 104.50.201.86";
  auto r = RouteFile::parse(text);
  CHECK(r.format() == RouteFile::Format::IpLines);
  CHECK(r.write() == text);
  auto routes = r.routes();
  REQUIRE(routes.size() == 4);
  CHECK(routes[0] == route("10.20.0.0/16", "104.50.201.86"));
  CHECK(routes[1] == route("10.30.0.0/16", "104.50.201.86"));
  CHECK(routes[2] == route("0.0.0.0/0", "104.50.201.86"));
  CHECK(routes[3] == route("192.0.2.7/32", "104.50.201.86"));
  auto p = r.problems();
  REQUIRE(p.size() == 1);
  CHECK(p[0].line == 5);
  CHECK(p[0].message.find("src") != std::string::npos);
}

TEST_CASE("route file: ip-lines set_routes keeps comments and wanted lines verbatim" *
          doctest::test_suite("ifcfg")) {
  auto r = RouteFile::parse(
      "# keep me\n"
      "10.20.0.0/16 via 104.50.201.86 dev ens9\n"
      "10.30.0.0/16 via 104.50.201.86\n"
      "local 1.2.3.4\n");
  r.set_routes({route("10.20.0.0/16", "104.50.201.86"), route("10.50.0.0/16", "104.50.201.85")});
  CHECK(r.modified());
  CHECK(r.write() ==
        "# keep me\n"
        "10.20.0.0/16 via 104.50.201.86 dev ens9\n"
        "local 1.2.3.4\n"
        "10.50.0.0/16 via 104.50.201.85\n");
  auto same = RouteFile::parse(r.write());
  same.set_routes(same.routes());
  CHECK_FALSE(same.modified());

  auto empty = RouteFile::parse("");
  empty.set_routes({route("10.20.0.0/16", "104.50.201.86")});
  CHECK(empty.write() == "10.20.0.0/16 via 104.50.201.86\n");
  auto nonl = RouteFile::parse("# c");
  nonl.set_routes({route("10.20.0.0/16", "104.50.201.86")});
  CHECK(nonl.write() == "# c\n10.20.0.0/16 via 104.50.201.86\n");
}

TEST_CASE("route file: key format parses and set_routes rewrites groups in place" *
          doctest::test_suite("ifcfg")) {
  const std::string text =
      "# static routes\n"
      "ADDRESS0=10.20.0.0\n"
      "NETMASK0=255.255.0.0\n"
      "GATEWAY0=104.50.201.86 # main gw\n"
      "\n"
      "ADDRESS1=10.30.0.0\n"
      "NETMASK1=255.255.0.0\n"
      "GATEWAY1=104.50.201.86\n"
      "OPTIONS1=\"mtu 1400\"\n";
  auto r = RouteFile::parse(text);
  CHECK(r.format() == RouteFile::Format::Keys);
  CHECK(r.write() == text);
  REQUIRE(r.routes().size() == 1);  // route 1 has OPTIONS: reported, not modelled
  CHECK(r.routes()[0] == route("10.20.0.0/16", "104.50.201.86"));
  REQUIRE(r.problems().size() == 1);
  CHECK(r.problems()[0].line == 6);

  r.set_routes({route("10.20.0.0/16", "104.50.201.85")});
  CHECK(r.write() ==
        "# static routes\n"
        "ADDRESS0=10.20.0.0\n"
        "NETMASK0=255.255.0.0\n"
        "GATEWAY0=104.50.201.85 # main gw\n"
        "\n");
  r.set_routes({route("10.20.0.0/16", "104.50.201.85"), route("192.0.2.0/24", "104.50.201.86")});
  CHECK(r.write() ==
        "# static routes\n"
        "ADDRESS0=10.20.0.0\n"
        "NETMASK0=255.255.0.0\n"
        "GATEWAY0=104.50.201.85 # main gw\n"
        "\n"
        "ADDRESS1=192.0.2.0\n"
        "NETMASK1=255.255.255.0\n"
        "GATEWAY1=104.50.201.86\n");
  CHECK(RouteFile::parse(r.write()).routes().size() == 2);
}

TEST_CASE("route file: key format stops at the first gap, like initscripts" *
          doctest::test_suite("ifcfg")) {
  auto r = RouteFile::parse(
      "ADDRESS0=10.0.0.0\nNETMASK0=255.0.0.0\nGATEWAY0=192.0.2.1\n"
      "ADDRESS2=10.2.0.0\nNETMASK2=255.255.0.0\nGATEWAY2=192.0.2.1\n");
  CHECK(r.routes().size() == 1);
}

TEST_CASE("route file: stale keys with huge or zero-padded indexes are dropped, never thrown on" *
          doctest::test_suite("ifcfg")) {
  // std::stoi threw out_of_range on ADDRESS99999999999 before (an apply would have died).
  const std::string text =
      "ADDRESS0=10.20.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=104.50.201.86\n"
      "ADDRESS99999999999999999999=10.9.0.0\nOPTIONS01=x\nADDRESSX=keep\n";
  auto r = RouteFile::parse(text);
  CHECK(r.format() == RouteFile::Format::Keys);
  r.set_routes({route("10.20.0.0/16", "104.50.201.85")});
  CHECK(r.write() == "ADDRESS0=10.20.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=104.50.201.85\n"
                     "ADDRESSX=keep\n");
  const std::string long_key = "ADDRESS" + std::string(100000, '7') + "=1\n";
  CHECK(RouteFile::parse(long_key).format() == RouteFile::Format::Keys);
}

TEST_CASE("route file: metrics are modelled (METRICn, ip lines), route6 files read IPv6 lines" *
          doctest::test_suite("ifcfg")) {
  auto keys = RouteFile::parse("ADDRESS0=10.20.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.0.2.1\nMETRIC0=7\n");
  REQUIRE(keys.routes().size() == 1);
  CHECK(keys.routes()[0].metric == 7u);
  CHECK(keys.problems().empty());
  auto lines = RouteFile::parse("10.30.0.0/16 via 192.0.2.1 metric 100\n");
  REQUIRE(lines.routes().size() == 1);
  CHECK(lines.routes()[0].str() == "10.30.0.0/16 via 192.0.2.1 metric 100");
  CHECK(RouteFile::parse("10.30.0.0/16 via 192.0.2.1 metric x\n").problems().size() == 1);
  auto v6 = RouteFile::parse("# v6\n2001:db8:100::/48 via 2001:db8::1 dev ens9\ndefault via fe80::1\n",
                             IpFamily::V6);
  REQUIRE(v6.routes().size() == 2);
  CHECK(v6.routes()[1].to.str() == "::/0");
  // An IPv4 line in a route6 file is not a route of that file.
  CHECK(RouteFile::parse("10.0.0.0/8 via 192.0.2.1\n", IpFamily::V6).problems().size() == 1);
  v6.set_routes({Route(*IpPrefix::parse("2001:db8:200::/48"), *IpAddress::parse("2001:db8::1"))});
  CHECK(v6.write() == "# v6\n2001:db8:200::/48 via 2001:db8::1\n");
}
