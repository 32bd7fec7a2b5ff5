#include <doctest/doctest.h>

#include "model/net_types.hpp"
#include "model/topology.hpp"
#include "util/hash.hpp"
#include "test_support.hpp"

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
  // FIPS 180 examples: 56 bytes (the padding takes a second block) and a million 'a's.
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK(sha256_hex(two_blocks) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  auto hex = [](const auto& bytes) {
    std::string s;
    for (auto b : bytes) s += "0123456789abcdef"[b >> 4], s += "0123456789abcdef"[b & 15];
    return s;
  };
  CHECK(hex(sha1(two_blocks)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  CHECK(hex(sha1(std::string(1000000, 'a'))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
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

TEST_CASE("SHA-256 and SHA-1 agree with coreutils at every length around the block edges" *
          doctest::test_suite("util")) {
  // Lengths 0..200 cross every padding case (tail below/above 56 bytes, whole blocks).
  std::string data;
  for (int n = 0; n <= 200; ++n) {
    CAPTURE(n);
    const auto s256 = test::run({"/usr/bin/sha256sum"}, data);
    const auto s1 = test::run({"/usr/bin/sha1sum"}, data);
    REQUIRE(s256.exit_code == 0);
    REQUIRE(s1.exit_code == 0);
    CHECK(s256.out.substr(0, 64) == sha256_hex(data));
    std::string h1;
    for (auto b : sha1(data)) h1 += "0123456789abcdef"[b >> 4], h1 += "0123456789abcdef"[b & 15];
    CHECK(s1.out.substr(0, 40) == h1);
    // In pieces (1 to 70 bytes, crossing the block edges differently) as in one go.
    Sha256 pieces;
    for (std::size_t off = 0, step = 1; off < data.size(); off += step, step = step % 70 + 1)
      pieces.update(std::string_view(data).substr(off, step));
    CHECK(pieces.hex() == s256.out.substr(0, 64));
    data += static_cast<char>('A' + n % 50 + (n % 7 == 0 ? 128 : 0));
  }
}
