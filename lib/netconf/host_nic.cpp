// The kind of a host NIC left to guests (issue 15, point 5), the same for every format: the
// spec's `kind`/`parent`/`id` against what the device's files say (format.hpp,
// resolve_host_nic_kind).
#include <cctype>

#include "netconf/format.hpp"

namespace mvt::netconf {
namespace {

// "FILE:LINE" (or "FILE" when the line is unknown).
std::string loc(const SourcePos& p) {
  std::string s = p.file.str();
  if (p.known()) s += ":" + std::to_string(p.line);
  return s;
}

// "em2.100" -> true: the Linux convention for a VLAN (PARENT.ID, the id in digits).
bool named_like_vlan(const std::string& nic) {
  const auto dot = nic.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == nic.size()) return false;
  for (std::size_t k = dot + 1; k < nic.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(nic[k]))) return false;
  return true;
}

SourcePos spec_pos(const HostNicWant& w, const std::string& field) {
  return w.pos ? pos_of(*w.pos, field) : SourcePos{};
}

}  // namespace

std::string describe(NicKind k) {
  switch (k) {
    case NicKind::Ethernet: return "Ethernet NIC";
    case NicKind::Vlan: return "VLAN";
    case NicKind::Bond: return "bond";
    case NicKind::Team: return "team";
  }
  return "Ethernet NIC";
}

std::optional<HostNicKind> resolve_host_nic_kind(const HostNicWant& want, const DeviceConfig* have,
                                                 const std::string& who, Diagnostics& diags) {
  const std::string nic = (who.empty() ? "" : who + ": ") + "NIC " + want.nic;
  HostNicKind out;
  if (have) {
    if (!have->port_of.empty()) {
      diags.error(pos_of(have->pos, "port"), "host-nic.port",
                  nic + " is a port of " + have->port_of + " (" + loc(pos_of(have->pos, "port")) +
                      "): the kernel hands a port's traffic to " + have->port_of +
                      ", so no macvtap device can use it; use " + have->port_of +
                      " as direct.dev (macvtapctl leaves the port's file as it is)");
      return std::nullopt;
    }
    if (!have->kind) {
      diags.error(pos_of(have->pos, "kind"), "host-nic.kind-unsupported",
                  nic + ": its file " + loc(pos_of(have->pos, "kind")) +
                      " configures a device that is not an Ethernet NIC, a VLAN, a bond or a "
                      "team; macvtapctl leaves it as it is");
      return std::nullopt;
    }
    out.kind = *have->kind;
    bool ok = true;
    if (want.kind && *want.kind != *have->kind) {
      diags.error(spec_pos(want, "kind"), "host-nic.kind-differs",
                  nic + ": the spec says kind: " + to_string(*want.kind) + ", its file " +
                      loc(pos_of(have->pos, "kind")) + " configures a " + describe(*have->kind) +
                      " (" + to_string(*have->kind) + "); macvtapctl never changes a NIC's kind: "
                      "fix the spec or the file");
      ok = false;
    }
    if (ok && out.kind == NicKind::Vlan) {
      if (!want.parent.empty() && !have->parent.empty() && want.parent != have->parent) {
        diags.error(spec_pos(want, "parent"), "host-nic.parent-differs",
                    nic + ": the spec says parent: " + want.parent + ", its file " +
                        loc(pos_of(have->pos, "parent")) + " says " + have->parent +
                        "; macvtapctl never changes a VLAN's parent");
        ok = false;
      }
      if (want.vlan_id && have->vlan_id && *want.vlan_id != *have->vlan_id) {
        diags.error(spec_pos(want, "id"), "host-nic.vlan-id-differs",
                    nic + ": the spec says id: " + std::to_string(*want.vlan_id) + ", its file " +
                        loc(pos_of(have->pos, "id")) + " says " + std::to_string(*have->vlan_id) +
                        "; macvtapctl never changes a VLAN's id");
        ok = false;
      }
      out.parent = have->parent;
      out.vlan_id = have->vlan_id;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // No file: the spec's kind makes it; without one a plain Ethernet NIC (the procedure's),
  // unless the device is plainly something else.
  if (!want.kind) {
    std::string why;
    if (want.live_kind == "vlan" || want.live_kind == "bond" || want.live_kind == "team")
      why = "the host reports it as a " + want.live_kind + " device";
    else if (named_like_vlan(want.nic))
      why = "its name reads as a VLAN (PARENT.ID)";
    if (!why.empty()) {
      diags.error(spec_pos(want, ""), "host-nic.kind-needed",
                  nic + " has no config file and the spec gives no kind, but " + why +
                      "; declare kind: vlan with parent and id (or kind: bond, team, ethernet) "
                      "so that its new file keeps it what it is");
      return std::nullopt;
    }
    return out;
  }
  out.kind = *want.kind;
  if (out.kind == NicKind::Vlan) {
    if (want.parent.empty() || !want.vlan_id) {
      diags.error(spec_pos(want, "kind"), "host-nic.vlan-needs-parent-id",
                  nic + " has no config file: a new VLAN file needs the spec's parent and id "
                        "(kind: vlan, parent: DEVICE, id: 1-4094)");
      return std::nullopt;
    }
    out.parent = want.parent;
    out.vlan_id = want.vlan_id;
  }
  return out;
}

}  // namespace mvt::netconf
