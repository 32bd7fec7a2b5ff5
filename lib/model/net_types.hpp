#pragma once
// Typed values for link- and network-layer facts: MAC addresses, IPv4 addresses, CIDRs.
// parse() returns nullopt on malformed text; str() is the canonical spelling.
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

}  // namespace mvt
