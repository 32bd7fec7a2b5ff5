#include "netconf/keyfile/keyfile_format.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "netconf/keyfile/keyfile_edit.hpp"
#include "netconf/keyfile/keyfile_file.hpp"
#include "netconf/keyfile/keyfile_profile.hpp"

namespace mvt::keyfile {
namespace {

using netconf::DeviceConfig;
using netconf::FileAction;
using netconf::FileEdit;
using netconf::FileRole;

SourcePos at(const FileState& st, int line = 0, int column = 0) {
  return SourcePos{st.origin.empty() ? st.path : st.origin, line, column};
}

const FileState* find(const NetworkScripts& files, const std::string& name) {
  auto it = files.find(name);
  return it == files.end() || !it->second.bytes ? nullptr : &it->second;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string names_of(const std::vector<const DeviceConfig*>& ds) {
  std::string s;
  for (const auto* d : ds) s += (s.empty() ? "" : ", ") + d->files.front();
  return s;
}

// The profile's connection UUID as activation names it ("" when absent or not a UUID: then
// the reload alone activates it).
std::string uuid_of(const File& f) {
  auto u = f.get("connection", "uuid");
  return u && netconf::is_connection_uuid(*u) ? *u : std::string();
}

class KeyfileFormat final : public netconf::Format {
 public:
  std::string_view name() const override { return "keyfile"; }
  std::string_view dir() const override { return kDir; }
  bool reads(std::string_view n) const override {
    const std::string_view sfx = kSuffix;
    return n.size() > sfx.size() && n.substr(n.size() - sfx.size()) == sfx && n.front() != '.';
  }
  std::vector<std::string> file_names(std::string_view device) const override {
    return {std::string(device) + kSuffix};
  }

  std::vector<DeviceConfig> read(const NetworkScripts& files, const std::string& who,
                                 Diagnostics& diags) const override {
    std::vector<DeviceConfig> out;
    const std::string pre = who.empty() ? "" : who + ": ";
    for (const auto& [name, st] : files) {
      if (!reads(name) || !st.bytes || !netconf::in_dir(*this, name, st)) continue;
      const File f = File::parse(*st.bytes);
      if (!f.loadable()) {
        for (const auto& p : f.problems())
          if (p.fatal) {  // GKeyFile stops at its first error
            diags.error(at(st, p.line, p.column), "keyfile.unloadable",
                        pre + name + ": " + p.message +
                            "; NetworkManager ignores this profile and macvtapctl neither reads "
                            "nor edits it");
            break;
          }
        continue;
      }
      for (const auto& p : f.problems())
        if (!p.bad_value) diags.warning(at(st, p.line, p.column), "keyfile.duplicate", pre + name + ": " + p.message);
      if (st.stat_known && ((st.mode & 077) != 0 || st.uid != 0)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.mode & 07777);
        diags.warning(at(st), "keyfile.ignored-by-nm",
                      pre + name + " has " +
                          (st.uid != 0 ? "owner uid " + std::to_string(st.uid) + " and " : std::string()) +
                          "mode " + mode +
                          "; NetworkManager ignores a profile that is not owned by root with mode "
                          "0600 (an edit by macvtapctl writes 0600)");
      }
      out.push_back(read_profile(name, st, f, who, diags));
    }
    report_several(out, files, pre, diags);
    return out;
  }

  // The profiles of `files` as read() finds them: the caller's (want.known), else read into
  // `own`.
  const std::vector<DeviceConfig>& devices_of(const netconf::GuestWant& want,
                                              const NetworkScripts& files,
                                              std::vector<DeviceConfig>& own) const {
    if (want.known) return *want.known;
    Diagnostics scratch;
    own = read(files, "", scratch);
    return own;
  }

  std::vector<FileEdit> guest_edits(const netconf::GuestWant& want, const DeviceConfig* have,
                                    const NetworkScripts& files, const std::string& who,
                                    Diagnostics& diags) const override {
    std::vector<DeviceConfig> own;
    const auto& devs = devices_of(want, files, own);
    const auto cands = candidates(devs, want);
    const std::string pre = who.empty() ? "" : who + ": ";
    if (cands.size() > 1) {
      diags.error(pos_of(cands[1]->pos, "mac"), "keyfile.several-profiles",
                  pre + "several NetworkManager profiles for device " + want.device + " (" +
                      want.mac.str() + "): " + names_of(cands) +
                      "; NetworkManager activates only one of them: remove all but one");
      return {};
    }
    (void)have;  // the profiles are matched here by the same rules (MAC, else interface-name)
    const DeviceConfig* cur = cands.empty() ? nullptr : cands.front();
    const std::string name = cur ? cur->files.front() : new_name(want.device, files);
    const FileState* st = find(files, name);
    if (st && !cur) {  // a file of that name that could not be read (or another device's)
      const File f = File::parse(*st->bytes);
      if (!f.loadable()) {
        diags.error(at(*st), "keyfile.unloadable",
                    pre + name + ": NetworkManager cannot load it; refusing to overwrite it");
        return {};
      }
    }
    const File before = File::parse(st && cur ? *st->bytes : std::string());
    File f = before;
    if (cur) {
      edit_identity(f, want, *cur);
      write_fields(f, *want.config, &cur->config);
      if (f.write() == *st->bytes) return {};
    } else {
      f = new_profile(want);
    }
    gateway_warnings(f, name, *want.config, pre, diags);
    FileEdit e = written(FileRole::GuestConfig, name, want.device, cur ? st : nullptr, before, f);
    e.profile_after = uuid_of(f);
    if (cur) e.profile_before = uuid_of(before);
    return {e};
  }

  std::vector<std::string> watched(const netconf::GuestWant& want, const DeviceConfig*,
                                   const NetworkScripts& files) const override {
    std::vector<DeviceConfig> own;
    const auto& devs = devices_of(want, files, own);
    std::vector<std::string> out;
    for (const auto* d : candidates(devs, want)) out.push_back(d->files.front());
    if (out.empty()) out.push_back(new_name(want.device, files));
    return out;
  }

  // A `config: unconfigured` host NIC (issue 15, points 4 and 5): its profile brought up
  // with no address - autoconnect not false, [ipv4] and [ipv6] method=disabled, no address,
  // gateway or DNS (NetworkManager refuses addresses with method disabled) - and nothing
  // else: its type, MAC pin, [vlan], [bond], [team] and port keys are never rewritten. A
  // new profile: the header, id and interface-name (the NIC), uuid (v5 of host/NIC, the
  // ifcfg format's), the kind's type, autoconnect=true, the MAC pin (a plain NIC) or [vlan]
  // parent and id; a new bond gets NetworkManager's default mode said (balance-rr); a new
  // team is refused (its runner is not the model's: create it with nmcli).
  std::vector<FileEdit> host_nic_edits(const netconf::HostNicWant& want, const DeviceConfig*,
                                       const NetworkScripts& files, const std::string& who,
                                       Diagnostics& diags) const override {
    const std::string pre = who.empty() ? "" : who + ": ";
    Diagnostics scratch;  // the files' own problems are reported where they are read
    const auto devs = read(files, "", scratch);
    std::vector<const DeviceConfig*> cands;
    for (const auto& d : devs)
      if (d.device == want.nic || (!d.device.empty() ? false : d.mac && want.mac && *d.mac == *want.mac))
        cands.push_back(&d);
    if (cands.size() > 1) {
      diags.error(pos_of(cands[1]->pos, "name"), "keyfile.several-profiles",
                  pre + "several NetworkManager profiles for host NIC " + want.nic + ": " +
                      names_of(cands) + "; NetworkManager activates only one of them: remove all but one");
      return {};
    }
    const DeviceConfig* cur = cands.empty() ? nullptr : cands.front();
    const auto kind = netconf::resolve_host_nic_kind(want, cur, who, diags);
    if (!kind) return {};
    const std::string name = cur ? cur->files.front() : new_name(want.nic, files);
    const FileState* st = find(files, name);
    if (st && !cur) {
      diags.error(at(*st), "keyfile.unloadable",
                  pre + name + ": NetworkManager cannot load it; refusing to overwrite it");
      return {};
    }
    const File before = File::parse(cur ? *st->bytes : std::string());
    File f = before;
    if (!cur) {
      if (kind->kind == NicKind::Team) {
        diags.error(want.pos ? pos_of(*want.pos, "kind") : SourcePos{}, "keyfile.new-team",
                    pre + "host NIC " + want.nic + " is a team with no NetworkManager profile: "
                    "create its profile with nmcli (its runner is not macvtapctl's to choose); "
                    "macvtapctl then keeps it up with no address");
        return {};
      }
      f = File::parse(std::string(kManagedHeader) + "\n");
      f.set("connection", "id", want.nic);
      f.set("connection", "uuid", ifcfg::host_nic_uuid(want.host, want.nic));
      static const char* types[] = {"ethernet", "vlan", "bond", "team"};
      f.set("connection", "type", types[static_cast<int>(kind->kind)]);
      f.set("connection", "interface-name", want.nic);
      f.set("connection", "autoconnect", "true");
      if (kind->kind == NicKind::Ethernet && want.mac) f.set("ethernet", "mac-address", upper(want.mac->str()));
      if (kind->kind == NicKind::Vlan) {
        f.set("vlan", "parent", kind->parent);
        f.set("vlan", "id", std::to_string(*kind->vlan_id));
      }
      if (kind->kind == NicKind::Bond) f.set("bond", "mode", "balance-rr");
    } else if (parse_bool(f.get("connection", "autoconnect")) == false) {
      f.set("connection", "autoconnect", "true");
    }
    for (const char* g : {"ipv4", "ipv6"}) {
      for (const auto& k : numbered_keys(f, g, false)) f.remove(g, k);
      for (const char* k : {"gateway", "dns"}) f.remove(g, k);
      f.set(g, "method", "disabled");
    }
    if (cur && f.write() == *st->bytes) return {};
    FileEdit e = written(FileRole::HostNic, name, want.nic, cur ? st : nullptr, before, f);
    e.nic_kind = kind->kind;
    return {e};
  }

  std::vector<FileEdit> removal(const DeviceConfig& have, const NetworkScripts& files) const override {
    if (!have.created_by_tool) return {};
    const FileState* st = find(files, have.files.front());
    if (!st) return {};
    FileEdit e;
    e.role = FileRole::GuestConfig;
    e.action = FileAction::Remove;
    e.name = have.files.front();
    e.path = std::string(kDir) + "/" + e.name;
    e.subject = have.device;
    e.before = st->bytes;
    e.mode = st->mode;
    e.profile_before = uuid_of(File::parse(*st->bytes));
    e.fields = key_changes(File::parse(*st->bytes), File::parse(""));
    return {e};
  }

  std::vector<std::string> restart_network_argv() const override {
    return {"nmcli", "connection", "reload"};
  }

  // Reload (a removed profile goes with it), then bring up each named profile by its UUID.
  std::vector<std::vector<std::string>> activation_argvs(
      const std::vector<std::string>& profiles) const override {
    std::vector<std::vector<std::string>> out{restart_network_argv()};
    std::set<std::string> seen;
    for (const auto& uuid : profiles)
      if (!uuid.empty() && seen.insert(uuid).second)
        out.push_back({"nmcli", "connection", "up", "uuid", uuid});
    return out;
  }

 private:
  // The edit that writes `f` as profile `name` (mode 0600, also over an existing file:
  // NetworkManager ignores any other), replacing `st` (nullptr: a new file, `before` empty).
  static FileEdit written(FileRole role, const std::string& name, const std::string& subject,
                          const FileState* st, const File& before, const File& f) {
    FileEdit e;
    e.role = role;
    e.action = st ? FileAction::Update : FileAction::Create;
    e.name = name;
    e.path = std::string(kDir) + "/" + name;
    e.subject = subject;
    if (st) e.before = *st->bytes;
    e.after = f.write();
    e.mode = 0600;
    e.enforce_mode = true;
    e.fields = key_changes(before, f);
    return e;
  }

  // The profiles of the wanted device: pinned to its MAC, or unpinned with its name.
  static std::vector<const DeviceConfig*> candidates(const std::vector<DeviceConfig>& devs,
                                                     const netconf::GuestWant& want) {
    std::vector<const DeviceConfig*> out;
    for (const auto& d : devs) {
      if (!d.ethernet) continue;
      if ((d.mac && *d.mac == want.mac) || (!d.mac && !d.device.empty() && d.device == want.device))
        out.push_back(&d);
    }
    return out;
  }

  static std::string new_name(const std::string& device, const NetworkScripts& files) {
    std::string n = device + kSuffix;
    if (files.count(n)) n = "macvtapctl-" + device + kSuffix;
    return n;
  }

  // The name and the MAC pin of an existing profile (a rename keeps the profile).
  static void edit_identity(File& f, const netconf::GuestWant& want, const DeviceConfig& cur) {
    if (auto n = f.get("connection", "interface-name"); n && *n != want.device) {
      if (f.get("connection", "id") == *n) f.set("connection", "id", want.device);
      f.set("connection", "interface-name", want.device);
    }
    const std::string eth = ethernet_group(f);
    if ((want.pin_mac && cur.created_by_tool) || f.has(eth, "mac-address"))
      if (cur.mac != want.mac) f.set(eth, "mac-address", upper(want.mac.str()));
  }

  // NetworkManager drops a gateway from a profile that says never-default=true (its
  // normalization, seen with 1.42): the spec's gateway would silently not be used.
  static void gateway_warnings(const File& f, const std::string& name, const InterfaceConfig& w,
                               const std::string& pre, Diagnostics& diags) {
    for (const char* g : {"ipv4", "ipv6"}) {
      const bool gw = std::string(g) == "ipv4" ? (w.ipv4 && w.ipv4->gateway) : (w.ipv6 && w.ipv6->gateway);
      if (!gw || parse_bool(f.get(g, "never-default")) != true) continue;
      diags.warning(SourcePos{std::string(kDir) + "/" + name, f.line_of(g, "never-default"), 0},
                    "keyfile.gateway-never-default",
                    pre + name + ": [" + g + "] never-default=true: NetworkManager ignores the " +
                        g + " gateway of such a profile (declare " +
                        (std::string(g) == "ipv4" ? "defroute" : "ipv6_defroute") +
                        ": true, or no gateway)");
    }
  }

  static File new_profile(const netconf::GuestWant& want) {
    File f = File::parse(std::string(kManagedHeader) + "\n");
    f.set("connection", "id", want.device);
    f.set("connection", "uuid", ifcfg::guest_interface_uuid(want.host, want.guest, want.device));
    f.set("connection", "type", "ethernet");
    f.set("connection", "interface-name", want.device);
    f.set("ethernet", "mac-address", upper(want.mac.str()));
    const InterfaceConfig& w = *want.config;
    write_fields(f, w, nullptr);
    if (w.ipv4 && w.ipv4->method == Ipv4Method::Static) f.set("ipv4", "may-fail", "false");
    if (!w.ipv6)
      f.set("ipv6", "method", "disabled");
    else if (w.ipv6->method != Ipv6Method::Disabled && !w.ipv6_defroute && !w.ipv6->gateway)
      f.set("ipv6", "never-default", "true");  // a gateway given means its default route
    return f;
  }

  // Several profiles for one device: the same MAC, or the same interface-name where one of
  // them pins no MAC.
  static void report_several(const std::vector<DeviceConfig>& out, const NetworkScripts&,
                             const std::string& pre, Diagnostics& diags) {
    std::map<std::string, std::vector<const DeviceConfig*>> sets;
    for (const auto& d : out) {
      if (!d.ethernet) continue;
      if (d.mac) sets["MAC " + d.mac->str()].push_back(&d);
    }
    for (const auto& d : out) {
      if (!d.ethernet || d.mac || d.device.empty()) continue;
      auto& s = sets["interface " + d.device];
      if (s.empty())
        for (const auto& e : out)
          if (e.ethernet && e.mac && e.device == d.device) s.push_back(&e);
      s.push_back(&d);
    }
    for (const auto& [what, s] : sets) {
      if (s.size() < 2) continue;
      diags.error(pos_of(s[1]->pos, s[1]->mac ? "mac" : "name"), "keyfile.several-profiles",
                  pre + "several NetworkManager profiles for one device (" + what + "): " +
                      names_of(s) + "; NetworkManager activates only one of them: remove all but one");
    }
  }
};

}  // namespace

const netconf::Format& format() {
  static const KeyfileFormat f;
  return f;
}

}  // namespace mvt::keyfile
