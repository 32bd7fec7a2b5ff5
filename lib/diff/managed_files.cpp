#include "diff/managed_files.hpp"

#include <algorithm>
#include <set>

#include "ifcfg/ifcfg_file.hpp"
#include "ifcfg/route_file.hpp"
#include "util/hash.hpp"

namespace mvt::diff {
namespace {

// Applies wanted facts to a file, rewriting a key only when its meaning differs.
class Editor {
 public:
  explicit Editor(ifcfg::File& f) : f_(f) {}

  void literal(std::string_view key, const std::string& value) {
    if (f_.get(key) != value) f_.set(key, value);
  }
  void boolean(std::string_view key, bool value) {
    const auto have = f_.get_bool(key);
    if (!have || *have != value) f_.set(key, value ? "yes" : "no");
  }
  void unset(std::initializer_list<std::string_view> keys) {
    for (auto k : keys)
      if (f_.has(k)) f_.unset(k);
  }
  void bootproto(bool dhcp) {
    const auto have = f_.bootproto();
    if (dhcp) {
      if (have != std::string("dhcp")) f_.set("BOOTPROTO", "dhcp");
    } else if (have != std::string("static")) {
      f_.set("BOOTPROTO", "none");
    }
  }
  void no_address() {
    unset({"IPADDR", "IPADDR0", "PREFIX", "PREFIX0", "NETMASK", "NETMASK0", "GATEWAY",
           "GATEWAY0"});
  }
  void address(const Cidr& want) {
    if (f_.ipv4_address() == want) return;
    unset({"IPADDR0", "PREFIX0", "NETMASK0"});
    f_.set("IPADDR", want.address().str());
    f_.set("PREFIX", std::to_string(want.prefix()));
    // NETMASK and PREFIX are one fact: keep an existing NETMASK consistent.
    if (f_.has("NETMASK")) f_.set("NETMASK", want.netmask().str());
  }
  void gateway(const std::optional<Ipv4>& want) {
    if (f_.gateway() == want) return;
    unset({"GATEWAY0"});
    if (want)
      f_.set("GATEWAY", want->str());
    else
      unset({"GATEWAY"});
  }
  void dns(const std::vector<Ipv4>& want) {
    if (f_.dns() == want) return;
    for (std::size_t i = 0; i < want.size(); ++i)
      f_.set("DNS" + std::to_string(i + 1), want[i].str());
    for (std::size_t i = want.size() + 1; i <= 16; ++i) {
      const std::string k = "DNS" + std::to_string(i);
      if (f_.has(k)) f_.unset(k);
    }
  }
  void hwaddr(const MacAddress& mac) {
    const auto have = f_.get("HWADDR");
    const auto parsed = have ? MacAddress::parse(*have) : std::nullopt;
    if (!parsed || *parsed != mac) f_.set("HWADDR", mac.str());
  }
  void uuid_if_absent(const std::string& uuid) {
    const auto have = f_.get("UUID");
    if (!have || have->empty()) f_.set("UUID", uuid);
  }

 private:
  ifcfg::File& f_;
};

std::string new_file_text() { return std::string(kManagedHeader) + "\n"; }

std::optional<std::string> bytes_of(const FileState* have) {
  if (!have || !have->bytes) return std::nullopt;
  return have->bytes;
}

// Decoded key values that differ, in the new file's key order, then removed keys.
std::vector<plan::FieldChange> key_changes(const ifcfg::File& before, const ifcfg::File& after) {
  std::vector<plan::FieldChange> out;
  std::set<std::string> seen;
  auto consider = [&](const std::string& k) {
    if (!seen.insert(k).second) return;
    auto b = before.has(k) ? before.get(k) : std::nullopt;
    auto a = after.has(k) ? after.get(k) : std::nullopt;
    if (before.has(k) && !b) b = "(unsafe value)";
    if (after.has(k) && !a) a = "(unsafe value)";
    if (b != a) out.push_back({k, b, a});
  };
  for (const auto& k : after.keys()) consider(k);
  for (const auto& k : before.keys()) consider(k);
  return out;
}

FileDiff make_diff(const std::string& host, const std::string& guest, FileRole role,
                   const std::string& name, const std::string& subject, const FileState* have,
                   std::string after) {
  FileDiff d;
  d.host = host;
  d.guest = guest;
  d.role = role;
  d.name = name;
  d.path = std::string(kNetworkScriptsDir) + "/" + name;
  d.subject = subject;
  d.before = bytes_of(have);
  d.action = d.before ? FileAction::Update : FileAction::Create;
  d.after = std::move(after);
  d.mode = (have && have->bytes) ? have->mode : 0644;
  return d;
}

}  // namespace

std::string host_nic_uuid(const std::string& host, const std::string& nic) {
  return uuid_v5(kUuidNamespace, host + "/" + nic);
}

std::string guest_interface_uuid(const std::string& host, const std::string& guest,
                                  const std::string& device) {
  return uuid_v5(kUuidNamespace, host + "/" + guest + "/" + device);
}

bool manages_ifcfg(const GuestInterface& i) {
  return i.ipv4.has_value() || i.defroute.has_value() || i.peerdns.has_value() ||
         i.dns.has_value();
}

bool is_managed_file(const std::string& bytes) {
  return bytes.rfind(kManagedHeader, 0) == 0;
}

std::optional<FileDiff> host_nic_file(const std::string& host, const HostNic& nic,
                                      const FileState* have) {
  const auto before_text = bytes_of(have);
  const ifcfg::File before = ifcfg::File::parse(before_text.value_or(""));
  ifcfg::File f = before_text ? before : ifcfg::File::parse(new_file_text());
  Editor e(f);
  // The procedure's set for a NIC left to the guests, in its order.
  e.literal("NAME", nic.name);
  e.literal("DEVICE", nic.name);
  e.literal("TYPE", "Ethernet");
  e.boolean("ONBOOT", false);
  e.bootproto(false);
  e.no_address();
  e.boolean("DEFROUTE", false);
  e.boolean("PEERDNS", false);
  e.boolean("PEERROUTES", false);
  e.boolean("IPV4_FAILURE_FATAL", false);
  e.boolean("IPV6INIT", false);
  e.boolean("IPV6_AUTOCONF", false);
  e.boolean("IPV6_DEFROUTE", false);
  e.boolean("IPV6_PEERDNS", false);
  e.boolean("IPV6_PEERROUTES", false);
  e.boolean("IPV6_FAILURE_FATAL", false);
  e.uuid_if_absent(host_nic_uuid(host, nic.name));
  if (nic.mac) e.hwaddr(*nic.mac);
  if (before_text && !f.modified()) return std::nullopt;
  FileDiff d = make_diff(host, "", FileRole::HostNic, "ifcfg-" + nic.name, nic.name, have,
                         f.write());
  d.fields = key_changes(before, f);
  return d;
}

std::optional<FileDiff> guest_ifcfg_file(const std::string& host, const std::string& guest,
                                         const GuestInterface& want, const MacAddress& mac,
                                         const FileState* have) {
  const auto before_text = bytes_of(have);
  const bool fresh = !before_text;
  const ifcfg::File before = ifcfg::File::parse(before_text.value_or(""));
  ifcfg::File f = fresh ? ifcfg::File::parse(new_file_text()) : before;
  Editor e(f);
  const bool is_static = want.ipv4 && !want.ipv4->dhcp;
  if (fresh) {
    e.literal("NAME", want.name);
    e.literal("DEVICE", want.name);
    e.literal("TYPE", "Ethernet");
    e.boolean("ONBOOT", true);
  }
  if (want.ipv4) {
    e.bootproto(want.ipv4->dhcp);
    if (want.ipv4->dhcp) {
      e.no_address();
    } else {
      if (want.ipv4->address) e.address(*want.ipv4->address);
      e.gateway(want.ipv4->gateway);
    }
  }
  if (want.defroute) e.boolean("DEFROUTE", *want.defroute);
  if (fresh && is_static) e.boolean("PEERROUTES", false);
  if (want.peerdns)
    e.boolean("PEERDNS", *want.peerdns);
  else if (fresh && is_static)
    e.boolean("PEERDNS", false);
  if (want.dns) e.dns(*want.dns);
  if (fresh) {
    if (is_static) e.boolean("IPV4_FAILURE_FATAL", true);
    e.boolean("IPV6INIT", false);
    e.boolean("IPV6_AUTOCONF", false);
    e.boolean("IPV6_DEFROUTE", false);
    e.boolean("IPV6_PEERDNS", false);
    e.boolean("IPV6_PEERROUTES", false);
    e.boolean("IPV6_FAILURE_FATAL", false);
    e.uuid_if_absent(guest_interface_uuid(host, guest, want.name));
  }
  // HWADDR pins the name to the device (the eth0/eth1 instability): always in a new file,
  // kept right in an existing one that has it.
  if (fresh || f.has("HWADDR")) e.hwaddr(mac);
  if (!fresh && !f.modified()) return std::nullopt;
  FileDiff d = make_diff(host, guest, FileRole::GuestIfcfg, "ifcfg-" + want.name, want.name,
                         have, f.write());
  d.mac = mac.str();
  d.fields = key_changes(before, f);
  return d;
}

std::optional<FileDiff> guest_route_file(const std::string& host, const std::string& guest,
                                         const GuestInterface& want, const FileState* have) {
  if (!want.routes) return std::nullopt;
  const auto before_text = bytes_of(have);
  if (!before_text && want.routes->empty()) return std::nullopt;
  const ifcfg::RouteFile before = ifcfg::RouteFile::parse(before_text.value_or(""));
  auto have_routes = before.routes();
  auto want_routes = *want.routes;
  std::sort(have_routes.begin(), have_routes.end());
  std::sort(want_routes.begin(), want_routes.end());
  if (before_text && have_routes == want_routes) return std::nullopt;
  ifcfg::RouteFile f = before_text ? before : ifcfg::RouteFile::parse(new_file_text());
  f.set_routes(*want.routes);
  FileDiff d = make_diff(host, guest, FileRole::GuestRoute, "route-" + want.name, want.name,
                         have, f.write());
  // One field per destination: "route 10.20.0.0/16": "via A" -> "via B".
  std::map<std::string, std::string> b, a;
  for (const auto& r : have_routes) b["route " + r.to.str()] = "via " + r.via.str();
  for (const auto& r : want_routes) a["route " + r.to.str()] = "via " + r.via.str();
  std::set<std::string> keys;
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& k : keys) {
    std::optional<std::string> bv, av;
    if (auto it = b.find(k); it != b.end()) bv = it->second;
    if (auto it = a.find(k); it != a.end()) av = it->second;
    if (bv != av) d.fields.push_back({k, bv, av});
  }
  return d;
}

}  // namespace mvt::diff
