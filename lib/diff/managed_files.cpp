#include "diff/managed_files.hpp"

#include <algorithm>
#include <set>

#include "ifcfg/ifcfg_file.hpp"
#include "ifcfg/route_file.hpp"
#include "util/hash.hpp"

namespace mvt::diff {
namespace {

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

namespace {

// Whether ifup-routes sources a route file: initscripts greps for a line that starts with
// ADDRESSn= (blanks allowed before it), else reads it line by line as ip-route arguments.
bool route_file_is_sourced(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t e = text.find('\n', i);
    if (e == std::string_view::npos) e = text.size();
    std::string_view l = text.substr(i, e - i);
    const auto b = l.find_first_not_of(" \t");
    if (b != std::string_view::npos && l.compare(b, 7, "ADDRESS") == 0) {
      std::size_t k = b + 7;
      while (k < l.size() && l[k] >= '0' && l[k] <= '9') ++k;
      if (k < l.size() && l[k] == '=') return true;
    }
    i = e + 1;
  }
  return false;
}

// The word at a problem's position, for messages ("readonly"), at most 40 bytes.
std::string word_at(const LineTable& lines, int line, int column) {
  const std::string_view l = lines.line(line);
  if (column < 1 || static_cast<std::size_t>(column) > l.size()) return {};
  std::string_view w = l.substr(static_cast<std::size_t>(column) - 1);
  w = w.substr(0, std::min(w.find_first_of(" \t;&|<>()"), std::size_t{40}));
  std::string out;
  for (char c : w) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out;
}

}  // namespace

bool check_sourced_file(const std::string& who, const FileState* have,
                        const std::optional<FileDiff>& d, bool route, Diagnostics& diags) {
  if (!have || !have->bytes) return true;
  const std::string& text = *have->bytes;
  if (route && !route_file_is_sourced(text)) return true;
  const ifcfg::File before = ifcfg::File::parse(text);
  const auto problems = before.problems();
  const LineTable lines(text);
  constexpr int kMaxReported = 20;  // per file and kind: a hostile file may hold thousands
  int refused = 0;
  for (const auto& p : problems) {
    if (!p.refuse) continue;
    if (++refused > kMaxReported) continue;
    const std::string word = word_at(lines, p.line, p.column);
    diags.error({have->origin, p.line, p.column}, "file.not-assignments",
                who + " line " + std::to_string(p.line) + ": " +
                    (word.empty() ? "" : "'" + word + "': ") + p.message +
                    "; sourcing this file does more than assign values, so macvtapctl refuses "
                    "to manage it (make every line KEY=value, a comment or blank)");
  }
  if (refused > kMaxReported)
    diags.error({have->origin, 0, 0}, "file.not-assignments",
                who + ": " + std::to_string(refused - kMaxReported) +
                    " more lines that are not plain assignments");
  if (refused > 0) return false;
  // Command substitutions the new content keeps (keys the spec does not manage).
  std::set<std::string> kept;
  {
    const ifcfg::File after = d ? ifcfg::File::parse(d->after) : before;
    for (const auto& p : after.problems())
      if (p.command) kept.insert(p.key);
  }
  int warned = 0;
  for (const auto& p : problems) {
    if (!p.command || !kept.count(p.key) || ++warned > kMaxReported) continue;
    diags.warning({have->origin, p.line, p.column}, "file.runs-command",
                  who + " line " + std::to_string(p.line) + ": the value of " + p.key +
                      " runs a command when network-scripts source the file; macvtapctl does "
                      "not manage " + p.key + " and leaves it as it is");
  }
  return true;
}

std::optional<FileDiff> host_nic_file(const std::string& host, const HostNic& nic,
                                      const FileState* have) {
  const auto before_text = bytes_of(have);
  const ifcfg::File before = ifcfg::File::parse(before_text.value_or(""));
  ifcfg::UnconfiguredNicFacts facts{nic.name, nic.mac, std::nullopt};
  // An existing UUID is kept; a file without one gets the stable v5.
  const auto uuid = before.get("UUID");
  if (!uuid || uuid->empty()) facts.uuid = host_nic_uuid(host, nic.name);
  const auto keys = ifcfg::unconfigured_nic(facts);
  std::string after;
  ifcfg::File f = before;
  if (before_text) {
    if (!ifcfg::apply(f, keys)) return std::nullopt;
    after = f.write();
  } else {
    after = ifcfg::render_new_file(keys);
    f = ifcfg::File::parse(after);
  }
  FileDiff d = make_diff(host, "", FileRole::HostNic, "ifcfg-" + nic.name, nic.name, have,
                         std::move(after));
  d.fields = key_changes(before, f);
  return d;
}

std::optional<FileDiff> guest_ifcfg_file(const std::string& host, const std::string& guest,
                                         const GuestInterface& want, const MacAddress& mac,
                                         const FileState* have) {
  const auto before_text = bytes_of(have);
  const ifcfg::File before = ifcfg::File::parse(before_text.value_or(""));
  std::string after;
  ifcfg::File f = before;
  if (before_text) {
    // HWADDR pins the name to the device (the eth0/eth1 instability): kept right in an
    // existing file that has it, never added to one that does not.
    auto facts = ifcfg::facts_of(want, mac, std::nullopt, before.has("HWADDR"));
    facts.onboot.reset();
    ifcfg::ManagedKeys keys = ifcfg::interface_keys(facts);
    // Only what the spec declares: drop the create-only policy keys of a new file.
    ifcfg::KeyValues declared;
    for (auto& kv : keys.values)
      if (std::find(keys.create_only.begin(), keys.create_only.end(), kv.first) ==
          keys.create_only.end())
        declared.push_back(std::move(kv));
    keys.values = std::move(declared);
    keys.create_only.clear();
    if (!ifcfg::apply(f, keys)) return std::nullopt;
    after = f.write();
  } else {
    const auto facts =
        ifcfg::facts_of(want, mac, guest_interface_uuid(host, guest, want.name), true);
    after = ifcfg::render_new_file(ifcfg::interface_keys(facts));
    f = ifcfg::File::parse(after);
  }
  FileDiff d = make_diff(host, guest, FileRole::GuestIfcfg, "ifcfg-" + want.name, want.name,
                         have, std::move(after));
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
