#include "model/net_types.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <algorithm>
#include <cstring>

namespace mvt {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view t) {
  if (t.size() != 17) return std::nullopt;
  std::array<std::uint8_t, 6> b{};
  const char sep = t[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t o = i * 3;
    const int hi = hex_digit(t[o]);
    const int lo = hex_digit(t[o + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    if (i < 5 && t[o + 2] != sep) return std::nullopt;
    b[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return MacAddress(b);
}

std::string MacAddress::str() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1],
                bytes_[2], bytes_[3], bytes_[4], bytes_[5]);
  return buf;
}

bool MacAddress::is_zero() const {
  for (auto v : bytes_)
    if (v != 0) return false;
  return true;
}

namespace {

std::optional<Ipv4> parse_quad(std::string_view t, bool leading_zeros) {
  std::uint32_t v = 0;
  int parts = 0;
  std::size_t i = 0;
  while (parts < 4) {
    if (i >= t.size() || t[i] < '0' || t[i] > '9') return std::nullopt;
    std::uint32_t octet = 0;
    std::size_t digits = 0;
    if (!leading_zeros && t[i] == '0' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9')
      return std::nullopt;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') {
      octet = octet * 10 + static_cast<std::uint32_t>(t[i] - '0');
      if (++digits > 3 || octet > 255) return std::nullopt;
      ++i;
    }
    v = (v << 8) | octet;
    ++parts;
    if (parts < 4) {
      if (i >= t.size() || t[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != t.size()) return std::nullopt;
  return Ipv4(v);
}

std::optional<Cidr> parse_cidr(std::string_view t, bool leading_zeros) {
  const auto slash = t.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = parse_quad(t.substr(0, slash), leading_zeros);
  if (!a) return std::nullopt;
  const auto p = t.substr(slash + 1);
  if (p.empty() || p.size() > 2) return std::nullopt;
  if (!leading_zeros && p.size() == 2 && p[0] == '0') return std::nullopt;
  int prefix = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 32) return std::nullopt;
  return Cidr(*a, prefix);
}

}  // namespace

std::optional<Ipv4> Ipv4::parse(std::string_view t) { return parse_quad(t, false); }

bool Ipv4::octal_looking(std::string_view t) {
  return !parse_quad(t, false) && parse_quad(t, true);
}

std::string Ipv4::str() const {
  return std::to_string(v_ >> 24) + "." + std::to_string((v_ >> 16) & 255) + "." +
         std::to_string((v_ >> 8) & 255) + "." + std::to_string(v_ & 255);
}

std::optional<Cidr> Cidr::parse(std::string_view t) { return parse_cidr(t, false); }

bool Cidr::octal_looking(std::string_view t) {
  return !parse_cidr(t, false) && parse_cidr(t, true);
}

std::optional<int> Cidr::prefix_from_netmask(std::string_view netmask) {
  auto m = Ipv4::parse(netmask);
  if (!m) return std::nullopt;
  const std::uint32_t v = m->value();
  const std::uint32_t inv = ~v;
  if ((inv & (inv + 1)) != 0) return std::nullopt;  // not contiguous
  int p = 0;
  for (std::uint32_t x = v; x & 0x80000000u; x <<= 1) ++p;
  return p;
}

Ipv4 Cidr::netmask_for(int prefix) {
  if (prefix <= 0) return Ipv4(0);
  if (prefix >= 32) return Ipv4(0xffffffffu);
  return Ipv4(~((1u << (32 - prefix)) - 1u));
}

Ipv4 Cidr::network() const { return Ipv4(addr_.value() & netmask().value()); }

Ipv4 Cidr::broadcast() const { return Ipv4(network().value() | ~netmask().value()); }

bool Cidr::contains(Ipv4 a) const {
  return (a.value() & netmask().value()) == network().value();
}

std::string Cidr::str() const { return addr_.str() + "/" + std::to_string(prefix_); }

IpAddress::IpAddress(Ipv4 a) {
  const std::uint32_t v = a.value();
  for (int i = 0; i < 4; ++i) bytes_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::V6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view t) {
  if (t.find(':') == std::string_view::npos) {
    auto a = Ipv4::parse(t);
    if (!a) return std::nullopt;
    return IpAddress(*a);
  }
  if (t.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  char buf[46];
  std::memcpy(buf, t.data(), t.size());
  buf[t.size()] = '\0';
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, buf, b.data()) != 1) return std::nullopt;
  return v6(b);
}

std::optional<Ipv4> IpAddress::v4() const {
  if (!is_v4()) return std::nullopt;
  return Ipv4((std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
              (std::uint32_t{bytes_[2]} << 8) | std::uint32_t{bytes_[3]});
}

std::string IpAddress::str() const {
  if (is_v4()) return v4()->str();
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf)) return "::";
  return buf;
}

bool IpAddress::is_unspecified() const {
  const std::size_t n = is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i)
    if (bytes_[i]) return false;
  return true;
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes_[0] == 127;
  for (std::size_t i = 0; i < 15; ++i)
    if (bytes_[i]) return false;
  return bytes_[15] == 1;
}

bool IpAddress::is_multicast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::is_link_local() const {
  return is_v4() ? (bytes_[0] == 169 && bytes_[1] == 254)
                 : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

IpPrefix::IpPrefix(const Cidr& c) : addr_(c.address()), prefix_(c.prefix()) {}

std::optional<IpPrefix> IpPrefix::parse(std::string_view t) {
  if (t.find(':') == std::string_view::npos) {
    auto c = Cidr::parse(t);
    if (!c) return std::nullopt;
    return IpPrefix(*c);
  }
  const auto slash = t.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto a = IpAddress::parse(t.substr(0, slash));
  if (!a) return std::nullopt;
  const auto p = t.substr(slash + 1);
  if (p.empty() || p.size() > 3 || (p.size() > 1 && p[0] == '0')) return std::nullopt;
  int prefix = 0;
  for (char c : p) {
    if (c < '0' || c > '9') return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 128) return std::nullopt;
  return IpPrefix(*a, prefix);
}

IpAddress IpPrefix::network() const {
  if (auto c = v4()) return IpAddress(c->network());
  std::array<std::uint8_t, 16> b = addr_.bytes();
  for (int i = 0; i < 16; ++i) {
    const int keep = std::max(0, std::min(8, prefix_ - 8 * i));
    const auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : (0xff00 >> keep) & 0xff);
    b[static_cast<std::size_t>(i)] &= mask;
  }
  return IpAddress::v6(b);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  return IpPrefix(a, prefix_).network() == network();
}

std::optional<Cidr> IpPrefix::v4() const {
  auto a = addr_.v4();
  if (!a) return std::nullopt;
  return Cidr(*a, prefix_);
}

std::string IpPrefix::str() const { return addr_.str() + "/" + std::to_string(prefix_); }

}  // namespace mvt
