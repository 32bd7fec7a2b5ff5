#pragma once
// ChangeSet: what differs between the desired topology and the observed live state, as
// plain values (the output of diff::compute, the input of plan::make_plan).
//
// The diff decides *what* differs (by meaning, not text); the planner decides *how and in
// what order* (config vs live steps, hot-plug vs cold restart, activation, dependencies).
// Invariants:
//  - every collection is sorted (hosts, guests, MACs, file names): same inputs, same values;
//  - an InterfaceDiff carries the complete new <interface> XML and the observed old ones, a
//    FileDiff the complete new file content and the digest of the bytes it was computed
//    from, so the planner needs nothing else;
//  - `fingerprint` holds sha256 digests of every observed fact the changes depend on.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/observed.hpp"
#include "model/topology.hpp"
#include "netconf/format.hpp"
#include "model/field_change.hpp"
#include "util/diagnostics.hpp"

namespace mvt::diff {

// One <interface> of a managed guest whose persistent or live definition differs.
struct InterfaceDiff {
  std::string host;
  std::string guest;
  std::string name;  // the spec's device name; for an unlisted interface the MAC
  std::string mac;   // identity (canonical spelling)
  bool listed = true;  // false: an unlisted `direct` interface, to be removed
  int order = 0;       // position in the spec's list (device order); unlisted: after all
  std::string source_dev;  // the desired host NIC (direct), "" otherwise
  // Desired element (empty when !listed).
  std::string new_xml;
  // Observed elements (nullopt: absent in that definition).
  std::optional<DomainInterface> config;
  std::optional<DomainInterface> live;  // running guests only
  bool config_differs = false;
  bool live_differs = false;  // only meaningful when the guest runs
  // Field-level differences for people (against config; against live when config matches).
  std::vector<FieldChange> config_fields;
  std::vector<FieldChange> live_fields;
  // No live change is made by updating in place (every compared field of a macvtap device
  // needs a new device): a live difference is a replace (detach + attach), or, when the
  // model differs, a cold restart of the guest (the planner decides: plan/planner.hpp).
};

// Roles and actions of a file change are the format's (netconf/format.hpp).
using FileRole = netconf::FileRole;
using FileAction = netconf::FileAction;

// A host or guest network-config file whose managed content differs (a netconf::FileEdit
// with the host, guest and MAC it belongs to).
struct FileDiff {
  std::string host;
  std::string guest;  // empty for host files
  FileRole role = FileRole::GuestConfig;
  FileAction action = FileAction::Update;
  std::string name;     // "ifcfg-ens9"
  std::string path;     // relative to the source root
  std::string subject;  // NIC or guest device name ("em2", "ens9")
  std::string mac;      // the guest interface's MAC, "" for host files
  // The file belongs to an interface that is new in the guest (written before hot-plug).
  bool for_new_interface = false;
  // Remove of the old name's file of a renamed device (same MAC): its config moved to
  // `renamed_to`.
  bool removed_for_rename = false;
  std::string renamed_to;
  std::optional<std::string> before;  // observed bytes (nullopt: absent)
  std::string after;                  // new bytes (Remove: empty)
  unsigned mode = 0644;
  bool enforce_mode = false;        // an Update writes `mode` too (netconf::FileEdit)
  std::vector<FieldChange> fields;  // decoded key values
  std::optional<NicKind> nic_kind;  // host files: the NIC's kind
  std::string format = "ifcfg";     // the netconf format of the file (its reason says it)
  // The NetworkManager connections (UUIDs) the file holds after and before (netconf::FileEdit).
  std::string profile_after, profile_before;
};

// What the planner needs to know about each managed guest that has any difference.
struct GuestStatus {
  std::string host;
  std::string guest;
  bool running = false;
  bool hotplug = false;  // the host's hypervisor can attach/detach devices live
  Activate activate = Activate::None;
  // The format whose activation makes the guest use its changed files (netconf::
  // machine_format; keyfile when any of its planned files is a keyfile).
  std::string config_format = "ifcfg";
};

struct ChangeSet {
  std::vector<InterfaceDiff> interfaces;  // sorted by host, guest, mac
  std::vector<FileDiff> files;            // sorted by host, guest, name
  std::vector<GuestStatus> guests;        // every managed guest of an observed host, sorted
  std::map<std::string, std::string> fingerprint;
  std::vector<std::string> warnings;  // sorted, unique
  Diagnostics diagnostics;            // errors: undefined guest, unreadable files (their host fails)
  // Every host of the desired topology: observed or not (with the URI and the reason).
  std::map<std::string, HostStatus> hosts;
  bool empty() const { return interfaces.empty() && files.empty(); }
};

}  // namespace mvt::diff
