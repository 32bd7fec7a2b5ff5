#pragma once
// The format seam (issue 14, point 2): one network-config file format of a guest or host,
// modelled on NetworkManager's settings plugins (one settings model, one plugin per format).
// `show` (observe/to_topology) and `diff` use the same Format::read, so one set of rules
// decides what a file means; `diff` compares the InterfaceConfig values it returns with the
// spec's and asks the format for the file edits (lossless: every byte the edit does not have
// to change is kept). Nothing outside lib/netconf/<format>/ knows a file name or key.
//
// A format owns a device's files by MAC, not by name (point 7): `read` reports for each device
// the MAC its files pin, and two devices pinning one MAC are an error naming both files.
//
// Adding a format: a folder lib/netconf/<name>/ implementing Format, and one line in
// registry.cpp.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/field_change.hpp"
#include "model/interface_config.hpp"
#include "model/observed.hpp"
#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::netconf {

enum class FileRole {
  HostNic,      // a host NIC's config (config: unconfigured)
  GuestConfig,  // a guest device's main config file
  GuestRoutes,  // a guest device's route file (one per family in some formats)
};
enum class FileAction { Create, Update, Remove };

// One file edit a format proposes: the whole new content, computed from `before` by changing
// only the managed keys; `fields` (decoded key values) exist for the plan's readers only.
struct FileEdit {
  FileRole role = FileRole::GuestConfig;
  FileAction action = FileAction::Update;
  std::string name;     // the file's name ("ifcfg-ens9")
  std::string path;     // relative to the root
  std::string subject;  // the device (NIC or guest device name)
  std::optional<std::string> before;  // observed bytes (nullopt: absent)
  std::string after;                  // new bytes (Remove: empty)
  unsigned mode = 0644;
  // An Update writes `mode` too (else it keeps the file's): NetworkManager ignores a keyfile
  // that is not 0600, so the keyfile format's edits set it.
  bool enforce_mode = false;
  std::vector<FieldChange> fields;
  std::optional<NicKind> nic_kind;  // HostNic: the NIC's kind (the plan's reason says it)
  // The NetworkManager connection (UUID) the file holds after the edit and before it (""
  // none, or a format whose activation does not name connections): apply brings up
  // `profile_after` of each created or updated file, rollback `profile_before` of each file
  // it restores (activation_argvs).
  std::string profile_after, profile_before;
};

// What a format read for one device from a root's files.
struct DeviceConfig {
  std::string device;             // the device the files configure
  std::optional<MacAddress> mac;  // the MAC its files pin (nullopt: not pinned)
  InterfaceConfig config;         // every field the files say (nullopt: they do not say)
  Positions pos;                  // field ("ipv4", "dns", "name", "mac", ...) -> file:line
  std::vector<std::string> files; // names of its files, main file first
  bool created_by_tool = false;   // its main file starts with the tool's header
  bool ethernet = true;           // a plain Ethernet device (not lo, a bridge, a VLAN...)
  // The device's kind as its files say (issue 15, point 5); nullopt: a kind a host NIC of
  // the model cannot be (lo, a bridge, Wi-Fi, InfiniBand...). pos "kind", "parent", "id"
  // locate the keys that say it.
  std::optional<NicKind> kind = NicKind::Ethernet;
  std::string parent;             // a VLAN's parent device ("" when the files do not say)
  std::optional<int> vlan_id;     // a VLAN's id (nullopt when the files do not say)
  std::string port_of;            // the bond/team/bridge it is a port of ("" none); pos "port"
  // Left to guests: for a plain NIC the procedure's "not brought up, no address, no DHCP";
  // for a VLAN, bond or team "brought up, no address, no DHCP" (a VLAN or bond that is not
  // brought up does not exist, and carries no guest).
  bool unconfigured = false;
  // Keys the format could not read safely (an expansion, a command): they stay as they are.
  std::vector<std::string> unsafe_keys;
};

// The desired state of one guest device.
struct GuestWant {
  std::string host;
  std::string guest;
  std::string device;
  MacAddress mac;
  bool pin_mac = false;  // write the MAC pin even into an existing file that has none
  const InterfaceConfig* config = nullptr;
  // What read() of this format found in the same `files`, when the caller has it (read_all):
  // a format that matches the device among all of them uses it rather than parse every file
  // again for each device (nullptr: it reads them itself).
  const std::vector<DeviceConfig>* known = nullptr;
};

// The desired state of one `config: unconfigured` host NIC.
struct HostNicWant {
  std::string host;
  std::string nic;
  std::optional<MacAddress> mac;
  // The spec's kind (nullopt: detected from the files), a VLAN's parent and id ("" /
  // nullopt: not given), and where the spec says them (nullptr: nowhere, as in tests).
  std::optional<NicKind> kind;
  std::string parent;
  std::optional<int> vlan_id;
  const Positions* pos = nullptr;
  // The kernel's kind of the live device (HostNicState::kind: "vlan", "bond", "team", ""
  // for a plain NIC or unknown).
  std::string live_kind;
};

// The kind of a `config: unconfigured` NIC, resolved from the spec and the device's files.
struct HostNicKind {
  NicKind kind = NicKind::Ethernet;
  std::string parent;          // Vlan: the parent a new file names
  std::optional<int> vlan_id;  // Vlan: the id a new file names
};

// Resolves `want`'s kind against the device's files (`have`; nullptr: it has none) - every
// format's rules (host_nic.cpp): the spec's kind, parent or id contradicting the files is an
// error naming both (host-nic.kind-differs, host-nic.parent-differs, host-nic.vlan-id-differs);
// a device that is a port of a bond/team/bridge (host-nic.port) or of a kind the model does
// not know (host-nic.kind-unsupported) is an error; a new file for a VLAN needs kind, parent
// and id (host-nic.vlan-needs-parent-id); with no file and no spec kind, a name that reads as
// a VLAN (`em2.100`) or a live VLAN/bond/team device needs `kind:` (host-nic.kind-needed).
// nullopt after an error.
std::optional<HostNicKind> resolve_host_nic_kind(const HostNicWant& want, const DeviceConfig* have,
                                                 const std::string& who, Diagnostics& diags);

// "VLAN" / "bond" / "team" / "Ethernet NIC" for messages.
std::string describe(NicKind k);

class Format {
 public:
  virtual ~Format() = default;
  virtual std::string_view name() const = 0;  // "ifcfg"
  // The directory (relative to a root) holding the format's files, and which names in it it
  // reads; the file names that can hold a device's config (for sources that cannot list).
  virtual std::string_view dir() const = 0;
  virtual bool reads(std::string_view file_name) const = 0;
  virtual std::vector<std::string> file_names(std::string_view device) const = 0;

  // Every device configured in `files` (one entry per device). Problems go to `diags` with
  // file:line: an unsafe value in a key the model reads is an error; one in a key it does not
  // manage is a warning (the rest of the file is still read), `who` prefixes messages.
  virtual std::vector<DeviceConfig> read(const NetworkScripts& files, const std::string& who,
                                         Diagnostics& diags) const = 0;

  // Edits that make the device's files say what `want.config` declares (nothing else is
  // touched): `have` is the device's current config as read() found it (nullptr: no file).
  // A device renamed (same MAC, other name) gets its config moved to the new name and its
  // old files removed. Files that must not be edited (not plain assignments) are errors in
  // `diags` and give no edit.
  virtual std::vector<FileEdit> guest_edits(const GuestWant& want, const DeviceConfig* have,
                                            const NetworkScripts& files, const std::string& who,
                                            Diagnostics& diags) const = 0;
  // The files guest_edits() depends on (for the plan's fingerprint: present or absent).
  virtual std::vector<std::string> watched(const GuestWant& want, const DeviceConfig* have,
                                           const NetworkScripts& files) const = 0;
  virtual std::vector<FileEdit> host_nic_edits(const HostNicWant& want, const DeviceConfig* have,
                                               const NetworkScripts& files,
                                               const std::string& who,
                                               Diagnostics& diags) const = 0;
  // Removal of the files the tool created for a device that goes away.
  virtual std::vector<FileEdit> removal(const DeviceConfig& have,
                                        const NetworkScripts& files) const = 0;

  // The command (argv) that makes a guest re-read its network configuration.
  virtual std::vector<std::string> restart_network_argv() const = 0;
  // The commands (in order) that make a machine use its changed files: by default the
  // restart alone. A format whose activation names what changed overrides it (keyfile:
  // reload, then `nmcli connection up uuid U` for each of `profiles`, the connections the
  // apply wrote or the rollback restored; each is a UUID, checked where it was read).
  virtual std::vector<std::vector<std::string>> activation_argvs(
      const std::vector<std::string>& profiles) const {
    (void)profiles;
    return {restart_network_argv()};
  }
};

// The registry (registry.cpp): every format, the default first.
const std::vector<const Format*>& formats();
const Format& default_format();
const Format* find_format(std::string_view name);
// The format that reads `file_name` in its directory, else nullptr (observation: which files
// of a root are worth reading).
const Format* format_reading(std::string_view file_name);

// Whether `st` (the file `name` of a root's NetworkScripts) lies in `fmt`'s directory. A
// format reads only its own directory's files (a NetworkScripts holds every format's);
// a file without a path (built by a test) counts as everyone's.
bool in_dir(const Format& fmt, const std::string& name, const FileState& st);

// Every format's devices in one root's files (issue 15, point 2), registry order.
struct FormatDevices {
  const Format* format = nullptr;
  std::vector<DeviceConfig> devices;
};
using AllDevices = std::vector<FormatDevices>;
AllDevices read_all(const NetworkScripts& files, const std::string& who, Diagnostics& diags);

// Choosing the format of one device (`config_format:` of its guest or host; "auto" or a
// format's name):
//  - a named format is used as said;
//  - auto: the keyfile format when a keyfile profile describes the device (its MAC pin, else
//    its name) - NetworkManager uses that profile; else ifcfg when an ifcfg file does; for a
//    device no file describes, keyfile when the machine has keyfile profiles and no ifcfg
//    device file (RHEL 9/10, Fedora), else ifcfg (RHEL 7/8, and a root with no file of
//    either format: nothing shows NetworkManager keyfiles there).
// `have`: the device's config in the chosen format (nullptr: none); `shadowed`: its config
// in another format as well (NetworkManager then uses the keyfile: a warning).
struct Choice {
  const Format* format = nullptr;
  const DeviceConfig* have = nullptr;
  const DeviceConfig* shadowed = nullptr;
  const Format* shadowed_format = nullptr;
};
Choice choose(std::string_view config_format, const AllDevices& all,
              const std::optional<MacAddress>& mac, std::string_view device);
// The format of the machine as a whole for a device no file describes (auto: see above);
// with `managed`, the formats the plan chose for its devices, the format that activates the
// machine's changes: keyfile when any of them is keyfile (NetworkManager reloads every
// profile and brings each changed one up), else the machine's.
const Format& machine_format(std::string_view config_format, const AllDevices& all);
// A NetworkManager connection UUID as the tool passes it to `nmcli connection up uuid`:
// 8-4-4-4-12 hex digits (anything else from a plan file, a journal or a profile is refused).
bool is_connection_uuid(std::string_view s);
// The devices of every format merged for readers (show): where two formats describe one
// device (its MAC, else its name), the one auto would choose.
std::vector<std::pair<const Format*, const DeviceConfig*>> merged(const AllDevices& all);
// The warning for a device described by two formats ("netconf.two-formats").
void warn_shadowed(const Choice& c, const std::string& device, const std::string& who,
                   Diagnostics& diags);

// The device of `devs` whose files pin `mac`, else nullptr.
const DeviceConfig* by_mac(const std::vector<DeviceConfig>& devs, const MacAddress& mac);
const DeviceConfig* by_device(const std::vector<DeviceConfig>& devs, std::string_view device);

}  // namespace mvt::netconf
