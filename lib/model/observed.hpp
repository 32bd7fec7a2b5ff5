#pragma once
// Live state as read by observe/: what libvirt says about domains and host NICs, and the
// raw bytes of host and guest network-scripts files. observe::to_topology() turns it into
// the shared Topology types (for diff and `show`); the raw parts stay here for editing.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/net_types.hpp"
#include "model/topology.hpp"

namespace mvt {

// One <interface> element of a domain XML.
struct DomainInterface {
  std::string type;                 // "direct", "network", "bridge", ... (unknown kept)
  std::optional<MacAddress> mac;
  std::string source_dev;           // direct
  std::string source_mode;          // direct: "vepa" | "bridge" | "private" | "passthrough" | ""
  std::string source_network;       // network
  std::string source_bridge;        // bridge
  std::string model;                // <model type=...>, "" when absent
  bool trust_guest_rx_filters = false;  // trustGuestRxFilters='yes' (absent: libvirt's no)
  std::optional<unsigned> mtu;          // <mtu size=...>, nullopt when absent
  // Volatile: assigned by libvirt, never a reason for a change.
  std::string target_dev;
  std::string alias;
  std::string pci_address;          // "0000:00:09.0" or ""
  std::vector<std::string> opaque;  // serialized <vlan>, <virtualport>, ... sub-trees
  std::string xml;                  // the whole element, serialized (for detach/rollback)
  int index = 0;                    // position among the domain's <interface> elements
};

struct DomainState {
  std::string name;
  std::string uuid;
  bool running = false;
  std::string state;                           // "running", "shut off", ...
  std::string inactive_xml;                    // VIR_DOMAIN_XML_INACTIVE
  std::optional<std::string> live_xml;         // running guests only
  std::vector<DomainInterface> config;         // from inactive_xml
  std::optional<std::vector<DomainInterface>> live;  // from live_xml
  bool has_agent_channel = false;
  // SHA-256 (hex) of inactive_xml and live_xml for plan fingerprints, when observation
  // computed them beside the parse; empty: not computed (the diff hashes the XML itself).
  std::string inactive_sha256, live_sha256;
};

enum class NicInfoSource { Libvirt, Files, None };
std::string to_string(NicInfoSource s);  // "libvirt" | "files" | "none"

struct HostNicState {
  std::string name;
  std::optional<MacAddress> mac;
  std::string state;  // "up", "down", "unknown"
  NicInfoSource source = NicInfoSource::None;
  // The device's kind as the kernel reports it (sysfs uevent DEVTYPE, `ip -d link`
  // linkinfo info_kind): "vlan", "bond", "team", ... ; "" for a plain NIC or when unknown.
  std::string kind;
  std::string parent;  // a VLAN's lower device ("" when not known)
};

// A file as read from a file source. absent == !bytes.
struct FileState {
  std::string path;                  // relative to the source's root, e.g. etc/sysconfig/network-scripts/ifcfg-em2
  std::optional<std::string> bytes;  // nullopt: file does not exist
  unsigned mode = 0644;
  unsigned uid = 0;
  unsigned gid = 0;
  bool stat_known = true;            // false: mode, uid and gid are defaults (FileInfo)
  std::string origin;                // human name: "dir:/x/y/etc/.../ifcfg-em2", "agent:web1:/etc/..."
};

// All network-scripts files (ifcfg-*, route-*) of one root, by file name ("ifcfg-em2").
using NetworkScripts = std::map<std::string, FileState>;

struct GuestObservation {
  std::string guest;
  FileSourceSpec source;
  bool files_read = false;        // false when the source is none or failed
  std::string files_error;        // why not read (for messages)
  NetworkScripts files;
  // false: the source cannot list its directory (the agent source, which lists only through
  // guest-exec): `files` holds only the files (every format's) of the devices named by the spec,
  // the domain XML (eth<index>, ens<slot>) and the guest's live interfaces.
  bool listed = true;
};

struct HostObservation {
  std::string host;
  std::string uri;
  bool reachable = false;
  std::string error;                                   // when !reachable
  std::map<std::string, DomainState> domains;          // by name
  std::map<std::string, HostNicState> nics;            // by name
  // How `nics` was read (observe/nic_info.hpp): Libvirt (its interface API: every NIC of the
  // host), Files (sys/class/net: the machine's own for a local URI, else under the host's
  // file source), None (not read: nics_error says why).
  NicInfoSource nics_source = NicInfoSource::None;
  // A NIC asked about and absent from `nics` does not exist on the host (false: unknown).
  bool nics_complete = false;
  std::string nics_error;  // why the NICs could not be read (nics_source None)
  FileSourceSpec files_source;
  bool files_read = false;
  std::string files_error;
  NetworkScripts files;                                // host ifcfg files
  std::map<std::string, GuestObservation> guests;      // guest files, by guest name
};

struct Observation {
  std::map<std::string, HostObservation> hosts;
};

}  // namespace mvt
