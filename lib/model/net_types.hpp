#pragma once
// Typed values for link- and network-layer facts: MAC addresses, IPv4 addresses, CIDRs, and
// IpAddress / IpPrefix for either family (IPv6 and the values that take both: DNS servers,
// routes). parse() returns nullopt on malformed text; str() is the canonical spelling.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mvt {

class MacAddress {
 public:
  MacAddress() = default;
  explicit MacAddress(std::array<std::uint8_t, 6> b) : bytes_(b) {}
  // Accepts "52:54:00:5d:9c:33" (also upper case, and '-' separators). Exactly 6 octets.
  static std::optional<MacAddress> parse(std::string_view text);
  std::string str() const;  // lower case, ':' separated
  const std::array<std::uint8_t, 6>& bytes() const { return bytes_; }
  bool is_multicast() const { return (bytes_[0] & 1u) != 0; }
  bool is_zero() const;
  auto operator<=>(const MacAddress&) const = default;

 private:
  std::array<std::uint8_t, 6> bytes_{};
};

class Ipv4 {
 public:
  Ipv4() = default;
  explicit Ipv4(std::uint32_t host_order) : v_(host_order) {}
  // Strict dotted quad: four decimal octets 0..255, no leading '+', no empty parts, no
  // leading zeros ("010.8.8.8" is refused: inet_aton and bash arithmetic read it as octal).
  static std::optional<Ipv4> parse(std::string_view text);
  // Whether `text` is refused by parse() only for an octet's leading zero.
  static bool octal_looking(std::string_view text);
  std::string str() const;
  std::uint32_t value() const { return v_; }
  auto operator<=>(const Ipv4&) const = default;

 private:
  std::uint32_t v_ = 0;
};

// An address with a prefix length: "104.50.201.84/29". The address may have host bits set.
class Cidr {
 public:
  Cidr() = default;
  Cidr(Ipv4 a, int prefix) : addr_(a), prefix_(prefix) {}
  // "a.b.c.d/p": the address as Ipv4::parse reads it, p 0..32 without a leading zero.
  static std::optional<Cidr> parse(std::string_view text);
  // Whether `text` is refused by parse() only for a leading zero (in an octet or the prefix).
  static bool octal_looking(std::string_view text);
  // Dotted netmask -> prefix (contiguous masks only).
  static std::optional<int> prefix_from_netmask(std::string_view netmask);
  static Ipv4 netmask_for(int prefix);

  Ipv4 address() const { return addr_; }
  int prefix() const { return prefix_; }
  Ipv4 netmask() const { return netmask_for(prefix_); }
  Ipv4 network() const;
  Ipv4 broadcast() const;
  bool contains(Ipv4 a) const;
  Cidr network_cidr() const { return Cidr(network(), prefix_); }
  std::string str() const;  // "a.b.c.d/p"
  auto operator<=>(const Cidr&) const = default;

 private:
  Ipv4 addr_;
  int prefix_ = 32;
};

enum class IpFamily { V4, V6 };

// An IPv4 or IPv6 address. IPv4 text is read as Ipv4::parse (strict dotted quad), IPv6 text
// by inet_pton(AF_INET6) (no zone index, no prefix); str() is inet_ntop's canonical text
// (RFC 5952: lower case, longest zero run compressed), so "FEDC:0::1" and "fedc::1" are equal.
class IpAddress {
 public:
  IpAddress() = default;
  IpAddress(Ipv4 a);  // NOLINT: every IPv4 address is an IpAddress (implicit on purpose)
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::V4; }
  bool is_v6() const { return family_ == IpFamily::V6; }
  std::optional<Ipv4> v4() const;  // the IPv4 address, nullopt for IPv6
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }  // v4: first 4 bytes
  int max_prefix() const { return is_v4() ? 32 : 128; }
  std::string str() const;
  bool is_unspecified() const;
  bool is_loopback() const;
  bool is_multicast() const;
  bool is_link_local() const;  // fe80::/10 (IPv6), 169.254/16 (IPv4)
  auto operator<=>(const IpAddress&) const = default;

 private:
  IpFamily family_ = IpFamily::V4;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address of either family with a prefix length ("2001:db8::84/64", "10.0.0.0/8"). The
// address may have host bits set.
class IpPrefix {
 public:
  IpPrefix() = default;
  IpPrefix(IpAddress a, int prefix) : addr_(a), prefix_(prefix) {}
  IpPrefix(const Cidr& c);  // NOLINT: implicit on purpose
  // "ADDR/P" (P 0..32 or 0..128, no leading zero); IPv4 as Cidr::parse reads it.
  static std::optional<IpPrefix> parse(std::string_view text);
  const IpAddress& address() const { return addr_; }
  int prefix() const { return prefix_; }
  IpFamily family() const { return addr_.family(); }
  IpAddress network() const;
  bool contains(const IpAddress& a) const;  // same family and same network bits
  bool is_network() const { return network() == addr_; }
  IpPrefix network_prefix() const { return IpPrefix(network(), prefix_); }
  std::optional<Cidr> v4() const;
  std::string str() const;  // "ADDR/P", ADDR canonical
  auto operator<=>(const IpPrefix&) const = default;

 private:
  IpAddress addr_;
  int prefix_ = 32;
};

}  // namespace mvt
