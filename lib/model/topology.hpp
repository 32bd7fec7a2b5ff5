#pragma once
// The topology model. Desired state (loaded from the spec) and observed state (built from
// libvirt and files by observe/, printed by `show`) use these same types, so the diff
// compares like with like.
//
// Positions: every object keeps `pos`, a map from field path to where it came from
// ("" = the object itself, "mac", "ipv4.address", "routes.0.via", ...). For observed
// objects, SourcePos::file names the origin ("domain XML of web1", ".../ifcfg-ens9").
#include <map>
#include <initializer_list>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "model/interface_config.hpp"
#include "model/net_types.hpp"
#include "util/diagnostics.hpp"

namespace mvt {

// A small sorted vector, not a std::map: an interface has a dozen positions, and at 10,000
// guests a map node each (~96 bytes) was ~35 MB of a plan's peak; a vector entry is 48.
// The subset of std::map's interface the project uses; iteration is in field order.
class Positions {
 public:
  using value_type = std::pair<std::string, SourcePos>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;

  Positions() = default;
  Positions(std::initializer_list<value_type> entries) {  // like std::map's: first one wins
    for (const auto& [field, pos] : entries)
      if (!count(field)) (*this)[field] = pos;
  }

  SourcePos& operator[](const std::string& field);  // inserted (unknown) when absent
  iterator find(const std::string& field);
  const_iterator find(const std::string& field) const;
  const SourcePos& at(const std::string& field) const;  // std::out_of_range when absent
  std::size_t count(const std::string& field) const { return find(field) == end() ? 0 : 1; }
  iterator begin() { return v_.begin(); }
  iterator end() { return v_.end(); }
  const_iterator begin() const { return v_.begin(); }
  const_iterator end() const { return v_.end(); }
  std::size_t size() const { return v_.size(); }
  bool empty() const { return v_.empty(); }

 private:
  std::vector<value_type> v_;  // sorted by field
};

// Position of `field` or, failing that, of the object itself.
SourcePos pos_of(const Positions& p, const std::string& field);

enum class MacvtapMode { Vepa, Bridge, Private, Passthrough };
enum class NicConfig { Unconfigured, Host };
enum class Activate { Reboot, RestartNetwork, None };
enum class InterfaceKind { Direct, Network };
// What device a host NIC is (issue 15, point 5): a plain Ethernet NIC, a VLAN on a parent
// device, a bond or a team. The tool never changes a NIC's kind, parent or VLAN id.
enum class NicKind { Ethernet, Vlan, Bond, Team };

std::string to_string(MacvtapMode m);    // "vepa" ...
std::string to_string(NicConfig c);      // "unconfigured" | "host"
std::string to_string(Activate a);       // "reboot" | "restart-network" | "none"
std::string to_string(InterfaceKind k);  // "direct" | "network"
std::optional<MacvtapMode> parse_macvtap_mode(const std::string& s);
std::optional<NicConfig> parse_nic_config(const std::string& s);
std::optional<Activate> parse_activate(const std::string& s);
std::string to_string(NicKind k);  // "ethernet" | "vlan" | "bond" | "team"
std::optional<NicKind> parse_nic_kind(const std::string& s);

// `verify: {reach: true | warn | false}` (guest or interface; the interface's wins; default
// true): whether apply's verification pings the interface's static gateway from inside the
// guest, and what a missing answer means. Check: a failure fails the apply; Warn: reported as
// a warning, never fails it (gateways that drop ICMP); Skip: not pinged, the line says so.
enum class ReachPolicy { Check, Warn, Skip };
std::string to_string(ReachPolicy r);  // "true" | "warn" | "false" (the spec's spelling)

struct VerifyPolicy {
  std::optional<ReachPolicy> reach;  // nullopt: not set here (inherit / default true)
  bool empty() const { return !reach; }
};

struct GuestInterface {
  std::string name;  // guest device name (as the guest names it)
  InterfaceKind kind = InterfaceKind::Direct;
  std::string network;     // kind == Network: libvirt network name
  std::string source_dev;  // kind == Direct: host NIC
  MacvtapMode mode = MacvtapMode::Vepa;  // kind == Direct
  // kind == Direct, libvirt options of the macvtap device (`direct: {trust_guest_rx_filters,
  // mtu}`); nullopt = not managed (the observed value stays).
  std::optional<bool> trust_guest_rx_filters;  // <interface trustGuestRxFilters='yes'>
  std::optional<unsigned> mtu;                 // <mtu size='N'/>
  std::optional<MacAddress> mac;         // nullopt in a spec = derive (derive_mac)
  std::optional<std::string> model;      // nullopt = libvirt's default / not managed
  // The guest's IP setup of this device (ipv4, defroute, peerdns, dns, routes, ...): each
  // field nullopt = not managed. Observed: what the device's config files say.
  InterfaceConfig ip;
  VerifyPolicy verify;                       // overrides the guest's
  Positions pos;
};

enum class FileSourceKind { Local, Dir, Ssh, Agent, None };

// "local" | "dir:PATH" | "ssh://user@host" | "agent" | "none". For Dir, `path` is resolved
// against the spec file's directory by the loader (absolute afterwards).
struct FileSourceSpec {
  FileSourceKind kind = FileSourceKind::None;
  std::string path;    // Dir: root directory; Ssh: "user@host"
  std::string str() const;  // canonical spelling
  static std::optional<FileSourceSpec> parse(const std::string& text);
  bool operator==(const FileSourceSpec&) const = default;
};

// `config_format:` of a guest or host (issue 15, point 2): which network-config format the
// tool writes - "auto" (the default: netconf::choose() in netconf/format.hpp decides per device from the files),
// or a registered format's name ("ifcfg", "keyfile").
inline constexpr const char* kAutoFormat = "auto";

struct Guest {
  std::string name;
  FileSourceSpec guest_files;  // default: none
  Activate activate = Activate::None;
  VerifyPolicy verify;                     // default of its interfaces
  std::vector<GuestInterface> interfaces;  // order = device order
  Positions pos;
  std::string config_format = kAutoFormat;
};

// The reach policy in force for interface `i` of `g` (interface, else guest, else Check).
ReachPolicy reach_policy(const Guest& g, const GuestInterface& i);

struct HostNic {
  std::string name;
  std::optional<MacAddress> mac;
  NicConfig config = NicConfig::Host;
  // `kind:` (nullopt: detected from the live files; a new file is then a plain Ethernet
  // NIC's); a VLAN's `parent:` and `id:` (1-4094).
  std::optional<NicKind> kind;
  std::string parent;
  std::optional<int> vlan_id;
  Positions pos;
};

struct Host {
  std::string name;
  std::string uri;               // libvirt URI (test:PATH already resolved to test:///ABS)
  FileSourceSpec files;          // host ifcfg access; default: none
  std::map<std::string, HostNic> nics;
  std::map<std::string, Guest> guests;
  Positions pos;
  std::string config_format = kAutoFormat;  // of its `config: unconfigured` NICs' files
};

struct Topology {
  int version = 1;
  std::map<std::string, Host> hosts;
  std::vector<std::string> files;  // spec files it was loaded from, in merge order
};

// Whether the interface's IP setup gives it IPv6 (`static` or `auto`): the input of the
// rule iface.ipv6-needs-trust-rx-filters (spec/rules_libvirt.hpp).
bool interface_uses_ipv6(const GuestInterface& i);

// Stable MAC for an interface without one in the spec: 52:54:00 + 3 bytes of a hash of
// "host/guest/name". Never multicast, never all-zero.
MacAddress derive_mac(const std::string& host, const std::string& guest,
                      const std::string& name);

// The interface's MAC: the spec's or the derived one.
MacAddress effective_mac(const std::string& host, const std::string& guest,
                         const GuestInterface& i);

}  // namespace mvt
