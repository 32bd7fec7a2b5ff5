#pragma once
// InterfaceConfig: a guest interface's IP setup as one value (issue 14), the same type on both
// sides of the diff (nmstate: desired and current state share one type). The spec fills the
// fields it declares; a network-config format (netconf/format.hpp) reads a device's files
// into it. Every field is optional: nullopt in a spec = "not managed" (left as the file has
// it); nullopt in an observed value = the file does not say.
//
// The diff compares values (managed_differs), never bytes. What a file holds that the model
// cannot express is never lost: the format edits its files in place, and `unmanaged` lists
// those key=value lines (with file:line) so that `show` can print them as comments.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/net_types.hpp"
#include "util/diagnostics.hpp"

namespace mvt {

enum class Ipv4Method { Static, Dhcp, Disabled };
enum class Ipv6Method { Static, Auto, Dhcp, Disabled };
std::string to_string(Ipv4Method m);  // "static" | "dhcp" | "disabled"
std::string to_string(Ipv6Method m);  // "static" | "auto" | "dhcp" | "disabled"

// ipv4: dhcp | {address: CIDR, gateway: IP}. With Dhcp, `addresses` are static addresses
// kept beside the lease (NetworkManager reads BOOTPROTO=dhcp + IPADDR so).
struct Ipv4Config {
  Ipv4Method method = Ipv4Method::Static;
  std::vector<Cidr> addresses;   // the first is the primary one
  std::optional<Ipv4> gateway;
  bool dhcp() const { return method == Ipv4Method::Dhcp; }
  // Static with an address: its first address.
  std::optional<Cidr> address() const {
    if (method != Ipv4Method::Static || addresses.empty()) return std::nullopt;
    return addresses.front();
  }
  static Ipv4Config make_dhcp() { return Ipv4Config{Ipv4Method::Dhcp, {}, std::nullopt}; }
  static Ipv4Config make_static(Cidr a, std::optional<Ipv4> gw = std::nullopt) {
    return Ipv4Config{Ipv4Method::Static, {a}, gw};
  }
  bool operator==(const Ipv4Config&) const = default;
};

struct Ipv6Config {
  Ipv6Method method = Ipv6Method::Static;
  std::vector<IpPrefix> addresses;  // IPv6 only; the first is the primary one
  std::optional<IpAddress> gateway;
  bool operator==(const Ipv6Config&) const = default;
};

// A route of either family: `to` a network (host bits clear), `via` of the same family.
struct Route {
  Route() = default;
  Route(IpPrefix t, IpAddress v, std::optional<std::uint32_t> m = std::nullopt)
      : to(t), via(v), metric(m) {}
  IpPrefix to;
  IpAddress via;
  std::optional<std::uint32_t> metric;
  auto operator<=>(const Route&) const = default;
  std::string str() const;  // "10.20.0.0/16 via 104.50.201.86 [metric N]"
};

// A key the file sets that the model does not manage (kept by every edit).
struct UnmanagedKey {
  std::string key;
  std::string value;  // decoded
  SourcePos pos;
};

struct InterfaceConfig {
  std::optional<Ipv4Config> ipv4;
  std::optional<Ipv6Config> ipv6;
  std::optional<bool> defroute;       // IPv4 default route through this interface
  std::optional<bool> ipv6_defroute;  // IPv6 default route through this interface
  std::optional<bool> peerdns;
  std::optional<std::vector<IpAddress>> dns;  // either family, in order
  std::optional<std::vector<Route>> routes;   // either family
  std::optional<int> mtu;
  // Read side only, never compared: what the file holds beyond the model.
  std::vector<UnmanagedKey> unmanaged;

  // Whether any field is managed (set).
  bool any() const {
    return ipv4 || ipv6 || defroute || ipv6_defroute || peerdns || dns || routes || mtu;
  }
  // Whether only the routes are managed (they live in a file of their own in some formats).
  bool manages_routes() const { return routes.has_value(); }
  // Whether some field besides the routes is managed.
  bool manages_settings() const {
    return ipv4 || ipv6 || defroute || ipv6_defroute || peerdns || dns || mtu;
  }
};

// Whether the files' IPv4 setup `have` differs from the spec's `want`: method, gateway (static)
// and the spec's addresses as the first ones. With `ipv4: dhcp` and no addresses, the files'
// extra static addresses and gateway (NetworkManager's additions to the lease) are not the
// spec's to remove. Every format edits ipv4 by this one rule.
bool ipv4_differs(const Ipv4Config& want, const std::optional<Ipv4Config>& have);

// The fields `want` declares whose value `have` does not hold (routes compared as sets, DNS
// in order). Field names are the spec's ("ipv4", "defroute", "dns", "routes", ...).
std::vector<std::string> differing_fields(const InterfaceConfig& want, const InterfaceConfig& have);

}  // namespace mvt
