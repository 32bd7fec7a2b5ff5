#include "netconf/format.hpp"

#include <cctype>
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

const Format* format_reading(std::string_view file_name) {
  for (const Format* f : formats())
    if (f->reads(file_name)) return f;
  return nullptr;
}

bool in_dir(const Format& fmt, const std::string& name, const FileState& st) {
  if (st.path.empty()) return true;
  const std::string_view dir = fmt.dir();
  return st.path.size() == dir.size() + 1 + name.size() && st.path.compare(0, dir.size(), dir) == 0 &&
         st.path[dir.size()] == '/' && st.path.compare(dir.size() + 1, std::string::npos, name) == 0;
}

AllDevices read_all(const NetworkScripts& files, const std::string& who, Diagnostics& diags) {
  AllDevices out;
  out.reserve(formats().size());
  for (const Format* f : formats()) out.push_back({f, f->read(files, who, diags)});
  return out;
}

namespace {

const Format& keyfile_format() { return *find_format("keyfile"); }
const Format& ifcfg_format() { return *find_format("ifcfg"); }

const FormatDevices* devices_of(const AllDevices& all, const Format& f) {
  for (const auto& fd : all)
    if (fd.format == &f) return &fd;
  return nullptr;
}

// The device's config in one format: its MAC pin, else its name - only a file that pins no
// other MAC (what describes the device: one pinning another MAC describes another device),
// or with `any_pin` any file of that name (what a format's edits start from: it re-pins).
const DeviceConfig* lookup(const FormatDevices* fd, const std::optional<MacAddress>& mac,
                           std::string_view device, bool any_pin) {
  if (!fd) return nullptr;
  if (mac)
    if (const DeviceConfig* d = by_mac(fd->devices, *mac)) return d;
  for (const auto& d : fd->devices)
    if (d.device == device && (any_pin || !d.mac || !mac)) return &d;
  return nullptr;
}

}  // namespace

const Format& machine_format(std::string_view config_format, const AllDevices& all) {
  if (config_format != kAutoFormat)
    if (const Format* f = find_format(config_format)) return *f;
  // Evidence, not absence: keyfile when the machine has keyfile profiles and no ifcfg device
  // file; an empty root (a new mirror, a test root) stays with the default.
  const FormatDevices* ifcfg = devices_of(all, ifcfg_format());
  const FormatDevices* kf = devices_of(all, keyfile_format());
  const bool has_ifcfg = ifcfg && !ifcfg->devices.empty();
  const bool has_keyfile = kf && !kf->devices.empty();
  return has_keyfile && !has_ifcfg ? keyfile_format() : ifcfg_format();
}

Choice choose(std::string_view config_format, const AllDevices& all,
              const std::optional<MacAddress>& mac, std::string_view device) {
  const FormatDevices* kf = devices_of(all, keyfile_format());
  const FormatDevices* ic = devices_of(all, ifcfg_format());
  const DeviceConfig* in_kf = lookup(kf, mac, device, false);
  const DeviceConfig* in_ic = lookup(ic, mac, device, false);
  Choice c;
  if (config_format != kAutoFormat && find_format(config_format))
    c.format = find_format(config_format);
  else if (in_kf)
    c.format = &keyfile_format();
  else if (in_ic)
    c.format = &ifcfg_format();
  else
    c.format = &machine_format(kAutoFormat, all);
  c.have = lookup(devices_of(all, *c.format), mac, device, true);
  if (in_kf && in_ic) {
    const bool kf_chosen = c.format == &keyfile_format();
    c.shadowed = kf_chosen ? in_ic : in_kf;
    c.shadowed_format = kf_chosen ? &ifcfg_format() : &keyfile_format();
  }
  return c;
}

std::vector<std::pair<const Format*, const DeviceConfig*>> merged(const AllDevices& all) {
  std::vector<std::pair<const Format*, const DeviceConfig*>> out;
  const FormatDevices* kf = devices_of(all, keyfile_format());
  if (kf)
    for (const auto& d : kf->devices) out.push_back({kf->format, &d});
  for (const auto& fd : all) {
    if (&fd == kf) continue;
    for (const auto& d : fd.devices) {
      // described by a keyfile already (its MAC, else its name): NetworkManager's choice
      if (kf && lookup(kf, d.mac, d.device, false)) continue;
      out.push_back({fd.format, &d});
    }
  }
  return out;
}

void warn_shadowed(const Choice& c, const std::string& device, const std::string& who,
                   Diagnostics& diags) {
  if (!c.shadowed || c.have == nullptr) return;
  const bool kf_chosen = c.format == &keyfile_format();
  const DeviceConfig& kf = kf_chosen ? *c.have : *c.shadowed;
  const DeviceConfig& ic = kf_chosen ? *c.shadowed : *c.have;
  diags.warning(pos_of(kf.pos, "name"), "netconf.two-formats",
                (who.empty() ? "" : who + ": ") + "device " + device + " is described by both " +
                    ic.files.front() + " (ifcfg) and " + kf.files.front() +
                    " (NetworkManager keyfile): NetworkManager uses the keyfile; " +
                    (kf_chosen ? std::string("macvtapctl manages the keyfile and leaves ") +
                                     ic.files.front() + " alone (remove it)"
                               : std::string("config_format: ifcfg makes macvtapctl edit ") +
                                     ic.files.front() + ", which NetworkManager ignores while " +
                                     kf.files.front() + " exists"));
}

bool is_connection_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (k == 8 || k == 13 || k == 18 || k == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
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
