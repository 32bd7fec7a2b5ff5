#include "model/interface_config.hpp"

#include <algorithm>

namespace mvt {

std::string to_string(Ipv4Method m) {
  switch (m) {
    case Ipv4Method::Static: return "static";
    case Ipv4Method::Dhcp: return "dhcp";
    case Ipv4Method::Disabled: return "disabled";
  }
  return "?";
}

std::string to_string(Ipv6Method m) {
  switch (m) {
    case Ipv6Method::Static: return "static";
    case Ipv6Method::Auto: return "auto";
    case Ipv6Method::Dhcp: return "dhcp";
    case Ipv6Method::Disabled: return "disabled";
  }
  return "?";
}

std::string Route::str() const {
  return to.str() + " via " + via.str() + (metric ? " metric " + std::to_string(*metric) : "");
}

bool ipv4_differs(const Ipv4Config& want, const std::optional<Ipv4Config>& have) {
  if (!have || have->method != want.method) return true;
  if (want.method == Ipv4Method::Dhcp && want.addresses.empty()) return false;
  if (want.method == Ipv4Method::Static && want.gateway != have->gateway) return true;
  if (have->addresses.size() < want.addresses.size()) return true;
  return !std::equal(want.addresses.begin(), want.addresses.end(), have->addresses.begin());
}

std::vector<std::string> differing_fields(const InterfaceConfig& want, const InterfaceConfig& have) {
  std::vector<std::string> out;
  auto check = [&](const char* name, const auto& w, const auto& h) {
    if (w && w != h) out.emplace_back(name);
  };
  check("ipv4", want.ipv4, have.ipv4);
  check("ipv6", want.ipv6, have.ipv6);
  check("defroute", want.defroute, have.defroute);
  check("ipv6_defroute", want.ipv6_defroute, have.ipv6_defroute);
  check("peerdns", want.peerdns, have.peerdns);
  check("dns", want.dns, have.dns);
  check("mtu", want.mtu, have.mtu);
  if (want.routes) {
    auto w = *want.routes;
    auto h = have.routes.value_or(std::vector<Route>{});
    std::sort(w.begin(), w.end());
    std::sort(h.begin(), h.end());
    if (w != h) out.emplace_back("routes");
  }
  return out;
}

}  // namespace mvt
