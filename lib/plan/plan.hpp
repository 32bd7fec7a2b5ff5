#pragma once
// The plan: a plain, ordered list of steps (Terraform's plans.Plan is the model).
// Invariants:
//  - steps are in execution order; every id in depends_on names an earlier step;
//  - `reason` and FieldChange exist for people only: apply executes `op` and nothing else;
//  - the same inputs give the same plan, byte for byte, in every rendering;
//  - `fingerprint` holds a digest of every observed fact the plan depends on, so a saved plan
//    can be refused as stale when one of them moved.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/field_change.hpp"

namespace mvt::plan {

enum class Action { Create, Update, Replace, Delete, Activate, Verify };
std::string to_string(Action a);  // "create", "update", ...

using FieldChange = mvt::FieldChange;  // model/field_change.hpp

enum class OpKind {
  WriteFile,        // create or replace a file with `content`
  RemoveFile,
  DefineInterface,  // persistent config: add/replace/remove one <interface> in the inactive XML
  LiveAttach,       // hot-plug interface_xml into the running guest
  LiveDetach,       // hot-unplug old_interface_xml from the running guest (poll until gone)
  Activate,         // per guest, once, after its files and devices
  Verify,
};
std::string to_string(OpKind k);

enum class FileScope { Host, Guest };
enum class ActivationMethod { None, RestartNetwork, Reboot, ColdRestart };
std::string to_string(ActivationMethod m);  // "none", "restart-network", "reboot", "cold-restart"

// What apply executes for a step. Only the fields of its kind are meaningful.
struct Operation {
  OpKind kind = OpKind::Verify;
  std::string guest;  // every guest-scoped op
  // WriteFile / RemoveFile
  FileScope scope = FileScope::Guest;
  std::string path;                   // relative to the source root
  std::string content;                // WriteFile: the whole new file
  std::optional<unsigned> mode;       // WriteFile: for a new file
  std::optional<std::string> before_sha256;  // the content planned against (nullopt: absent)
  // DefineInterface / LiveAttach / LiveDetach. The interface is identified by MAC.
  std::string mac;
  std::string interface_xml;      // the new <interface> (empty for a removal)
  std::string old_interface_xml;  // the current <interface> (empty for an addition)
  // Activate
  ActivationMethod method = ActivationMethod::None;
  // The format whose activation runs (netconf registry name; "ifcfg" in plans that predate
  // it), and for restart-network the NetworkManager connections (UUIDs) it brings up: after
  // apply `profiles` (the files written), after a rollback `restore_profiles` (the files it
  // puts back). Read from a plan file or journal, each is checked (a registered format, UUIDs).
  std::string config_format = "ifcfg";
  std::vector<std::string> profiles;
  std::vector<std::string> restore_profiles;
};

struct Step {
  std::string id;      // stable: "s01", "s02", ... in order
  std::string host;
  std::string target;  // "host/kvm1/nic/em2", "guest/web1/interface/ens9", "guest/web1/file/ifcfg-ens9"
  Action action = Action::Update;
  std::vector<FieldChange> changes;
  std::vector<std::string> depends_on;
  std::string reason;       // for people only
  bool disruptive = false;  // can cut a running guest's connectivity
  Operation op;
  // `--batch N` (batches.hpp): the batch of its host this step runs in, 1-based; 0 = the
  // plan is not batched (or the step is the host's Verify step, which closes the last batch).
  int batch = 0;
};

using HostStatus = mvt::HostStatus;  // model/field_change.hpp

struct Plan {
  int format_version = 1;
  std::string spec_digest;                       // sha256 of the merged spec files
  std::map<std::string, std::string> fingerprint;  // fact key -> sha256 of the fact
  std::vector<Step> steps;
  std::vector<std::string> warnings;
  std::map<std::string, HostStatus> hosts;  // every host considered, by name
  int batch_size = 0;  // `--batch N` (batches.hpp); 0 = not batched
  bool has_changes() const;  // any step other than Verify
  std::vector<std::string> unobserved_hosts() const;  // names, sorted
};

}  // namespace mvt::plan
