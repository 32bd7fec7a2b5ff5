#pragma once
// One NetworkManager keyfile profile read into the model (the rules of keyfile_format.hpp),
// and the value syntax of its address and route keys. Internal to the keyfile format.
#include <optional>
#include <string>
#include <vector>

#include "netconf/format.hpp"
#include "netconf/keyfile/keyfile_file.hpp"

namespace mvt::keyfile {

inline constexpr const char* kDir = "etc/NetworkManager/system-connections";
inline constexpr const char* kSuffix = ".nmconnection";
// The first line of every profile the tool creates (a GKeyFile comment before the first group).
inline constexpr const char* kManagedHeader =
    "# Managed by macvtapctl: edits to managed keys will be overwritten";

// "[ethernet]", or its old name "[802-3-ethernet]" when only that one is present.
std::string ethernet_group(const File& f);

// addressN / routeN keys of an [ipv4]/[ipv6] group in NetworkManager's order (by number, a key
// without a number first); `route`: routes, else addresses.
std::vector<std::string> numbered_keys(const File& f, const std::string& group, bool route);

// "ADDR/PLEN[,GATEWAY]" (also the old ';'-separated form); PLEN defaults as NetworkManager's
// (24 for IPv4, 64 for IPv6). nullopt: not an address of the family.
struct AddressValue {
  IpPrefix prefix;
  std::optional<IpAddress> gateway;
};
std::optional<AddressValue> parse_address(const std::string& value, IpFamily fam);
// "DEST/PLEN[,NEXTHOP[,METRIC]]". `via` nullopt: no next hop (0.0.0.0 / :: / empty).
struct RouteValue {
  IpPrefix to;
  std::optional<IpAddress> via;
  std::optional<std::uint32_t> metric;
};
std::optional<RouteValue> parse_route(const std::string& value, IpFamily fam);
std::string route_value(const Route& r);  // "DEST/PLEN,VIA[,METRIC]"

// A GKeyFile boolean ("true"/"false", "1"/"0").
std::optional<bool> parse_bool(const std::optional<std::string>& v);

// Whether the model reads [group] key (an undecodable value there is an error), and whether
// the tool writes it as a fixed policy (neither: kept and listed as unmanaged).
bool model_key(const std::string& group, const std::string& key);
bool policy_key(const std::string& group, const std::string& key);

// One profile (file `name`, read as `f`) as a DeviceConfig. Problems go to `diags` (`who`
// prefixes messages).
netconf::DeviceConfig read_profile(const std::string& name, const FileState& st, const File& f,
                                   const std::string& who, Diagnostics& diags);

}  // namespace mvt::keyfile
