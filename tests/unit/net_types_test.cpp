#include <doctest/doctest.h>

#include "model/net_types.hpp"
#include "model/topology.hpp"
#include "util/hash.hpp"

using namespace mvt;

TEST_CASE("MAC parse and print" * doctest::test_suite("model")) {
  auto m = MacAddress::parse("52:54:00:5D:9c:33");
  REQUIRE(m);
  CHECK(m->str() == "52:54:00:5d:9c:33");
  CHECK_FALSE(m->is_multicast());
  CHECK(MacAddress::parse("01:00:5e:00:00:01")->is_multicast());
  CHECK(MacAddress::parse("00:00:00:00:00:00")->is_zero());
  CHECK_FALSE(MacAddress::parse("52:54:00:5d:9c"));
  CHECK_FALSE(MacAddress::parse("52:54:00:5d:9c:3g"));
  CHECK_FALSE(MacAddress::parse("52:54:00-5d:9c:33"));
}

TEST_CASE("IPv4 and CIDR arithmetic" * doctest::test_suite("model")) {
  CHECK(Ipv4::parse("104.50.201.84")->str() == "104.50.201.84");
  CHECK_FALSE(Ipv4::parse("256.1.1.1"));
  CHECK_FALSE(Ipv4::parse("1.2.3"));
  CHECK_FALSE(Ipv4::parse("1.2.3.4.5"));
  CHECK_FALSE(Ipv4::parse("1..3.4"));
  CHECK_FALSE(Ipv4::parse("1.2.3.4 "));
  auto c = Cidr::parse("104.50.201.84/29");
  REQUIRE(c);
  CHECK(c->network().str() == "104.50.201.80");
  CHECK(c->broadcast().str() == "104.50.201.87");
  CHECK(c->netmask().str() == "255.255.255.248");
  CHECK(c->contains(*Ipv4::parse("104.50.201.86")));
  CHECK_FALSE(c->contains(*Ipv4::parse("104.50.201.88")));
  CHECK(Cidr::prefix_from_netmask("255.255.255.248") == 29);
  CHECK_FALSE(Cidr::prefix_from_netmask("255.0.255.0"));
  CHECK_FALSE(Cidr::parse("10.0.0.0/33"));
  CHECK_FALSE(Cidr::parse("10.0.0.0/"));
}

TEST_CASE("hashes match published test vectors" * doctest::test_suite("util")) {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4122 appendix-style check against Python's uuid.uuid5(NAMESPACE_DNS, "python.org").
  CHECK(uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org") ==
        "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST_CASE("derived MACs are stable, local and unicast" * doctest::test_suite("model")) {
  auto a = derive_mac("kvm1", "web1", "ens9");
  CHECK(a == derive_mac("kvm1", "web1", "ens9"));
  CHECK(a != derive_mac("kvm1", "web1", "ens8"));
  CHECK(a.str().rfind("52:54:00:", 0) == 0);
  CHECK_FALSE(a.is_multicast());
}
