#include "netconf/format.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_format.hpp"

namespace mvt::netconf {

const std::vector<const Format*>& formats() {
  static const std::vector<const Format*> all = {
      &ifcfg::format(),  // network-scripts (RHEL/CentOS 7/8): the default
      &keyfile::format(),  // NetworkManager keyfiles (RHEL 9/10, Fedora)
  };
  return all;
}

const Format& default_format() { return *formats().front(); }

const Format* find_format(std::string_view name) {
  for (const Format* f : formats())
    if (f->name() == name) return f;
  return nullptr;
}

const DeviceConfig* by_mac(const std::vector<DeviceConfig>& devs, const MacAddress& mac) {
  for (const auto& d : devs)
    if (d.mac && *d.mac == mac) return &d;
  return nullptr;
}

const DeviceConfig* by_device(const std::vector<DeviceConfig>& devs, std::string_view device) {
  for (const auto& d : devs)
    if (d.device == device) return &d;
  return nullptr;
}

}  // namespace mvt::netconf
