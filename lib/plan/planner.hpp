#pragma once
// The planner: ChangeSet -> ordered Plan (pure). It decides how each difference is carried
// out and in what order:
//  - persistent <interface> changes are DefineInterface steps; a running guest's live
//    difference is hot-plugged (LiveDetach then LiveAttach) when its host can, otherwise the
//    guest needs a cold restart (a guest reboot keeps QEMU's old device set);
//  - a NIC model change on a running guest is not hot-plugged even where the host can: the
//    persistent definition is replaced and the guest's activation is raised to cold-restart
//    (kModelChangeReason); its other live differences are then carried by that restart too
//    (no hot-plug steps into a guest about to be restarted);
//  - which live field changes are a hot-plug replace and which a cold restart is one table,
//    live_change.hpp (with what was measured on libvirt 9.0 for trustGuestRxFilters and mtu);
//  - a shut-off guest gets config steps only and no activation;
//  - each running guest with changes gets one activation (its spec's `activate`, raised to
//    cold-restart when needed; `activate: none` -> no step and a warning);
//  - each host with changes ends with a verification step;
//  - step order and dependencies come from one table, kOrder (one row per kind of step,
//    each with its rank, its dependencies and the reason for its place).
// Deterministic: steps sorted by (host, rank, guest, target), ids s01, s02, ... in order.
#include <array>
#include <string>
#include <string_view>

#include "diff/change_set.hpp"
#include "plan/plan.hpp"

namespace mvt::plan {

enum class StepKind {
  HostNicFile,      // host NIC ifcfg written
  GuestFileNew,     // guest file of an interface the guest will see appear
  GuestFile,        // guest file of an existing interface
  DomainConfig,     // persistent <interface> add / replace / remove
  LiveDetach,       // hot-unplug from the running guest
  LiveAttach,       // hot-plug into the running guest
  GuestFileRemove,  // guest file of a removed interface
  Activation,       // per guest
  Verify,           // per host
};

// Which earlier steps a step waits for: same host, same host NIC, same guest, or same
// interface (MAC).
enum class DepScope { SameHost, SameNic, SameGuest, SameInterface };

struct OrderDep {
  StepKind kind;
  DepScope scope;
};

struct OrderRow {
  StepKind kind;
  int rank;
  std::string_view name;
  std::string_view why;  // why the step sits here (documentation and `explain`)
  std::array<OrderDep, 8> deps;
  int ndeps;
};

// The one ordering table. Ranks ascend; every dependency names a lower rank.
inline constexpr std::array<OrderRow, 9> kOrder = {{
    {StepKind::HostNicFile, 10, "host-nic-file",
     "host NIC files first: the NIC is left to the guests before any guest uses it",
     {}, 0},
    {StepKind::GuestFileNew, 20, "guest-file-new",
     "a new interface's ifcfg/route files are written before its hot-plug, so the guest "
     "brings it up with the right configuration as it appears",
     {}, 0},
    {StepKind::GuestFile, 30, "guest-file",
     "files of existing interfaces take effect at activation; written before device changes",
     {}, 0},
    {StepKind::DomainConfig, 40, "domain-config",
     "the persistent definition changes before the live one, so a restart at any point "
     "boots the new device set",
     {{{StepKind::HostNicFile, DepScope::SameNic}}}, 1},
    {StepKind::LiveDetach, 50, "live-detach",
     "old devices leave the running guest before their replacements arrive (one MAC, one "
     "device)",
     {{{StepKind::DomainConfig, DepScope::SameInterface}}}, 1},
    {StepKind::LiveAttach, 60, "live-attach",
     "devices are hot-plugged once the NIC is prepared, their files written and any old "
     "device detached",
     {{{StepKind::HostNicFile, DepScope::SameNic},
       {StepKind::GuestFileNew, DepScope::SameInterface},
       {StepKind::DomainConfig, DepScope::SameInterface},
       {StepKind::LiveDetach, DepScope::SameInterface}}},
     4},
    {StepKind::GuestFileRemove, 70, "guest-file-remove",
     "a removed interface's files go after its device is detached, never while it is live",
     {{{StepKind::DomainConfig, DepScope::SameInterface},
       {StepKind::LiveDetach, DepScope::SameInterface}}},
     2},
    {StepKind::Activation, 80, "activation",
     "one activation per guest, after all of its files and devices are in place",
     {{{StepKind::HostNicFile, DepScope::SameHost},
       {StepKind::GuestFileNew, DepScope::SameGuest},
       {StepKind::GuestFile, DepScope::SameGuest},
       {StepKind::DomainConfig, DepScope::SameGuest},
       {StepKind::LiveDetach, DepScope::SameGuest},
       {StepKind::LiveAttach, DepScope::SameGuest},
       {StepKind::GuestFileRemove, DepScope::SameGuest}}},
     7},
    {StepKind::Verify, 90, "verify",
     "verification last: re-observe, re-plan (must be empty), compare MACs and routes",
     {{{StepKind::HostNicFile, DepScope::SameHost},
       {StepKind::GuestFileNew, DepScope::SameHost},
       {StepKind::GuestFile, DepScope::SameHost},
       {StepKind::DomainConfig, DepScope::SameHost},
       {StepKind::LiveDetach, DepScope::SameHost},
       {StepKind::LiveAttach, DepScope::SameHost},
       {StepKind::GuestFileRemove, DepScope::SameHost},
       {StepKind::Activation, DepScope::SameHost}}},
     8},
}};

const OrderRow& order_row(StepKind k);

// Why a model change on a running guest is a cold restart (the activation's reason).
inline constexpr std::string_view kModelChangeReason =
    "a NIC of another model is another PCI device to the guest, bound by another driver "
    "(virtio_net, e1000, 8139cp) that may not be loaded, and the guest may name and order it "
    "anew; swapping it under the running guest (detach + attach) would leave its network "
    "half-configured, and a guest reboot keeps QEMU's old device set: the guest is shut down "
    "and started again with its new definition";

// Builds the plan. spec_digest: LoadResult::digest. The ChangeSet's diagnostics are not
// looked at (the caller refuses to plan when it has errors).
Plan make_plan(const diff::ChangeSet& changes, const std::string& spec_digest);

}  // namespace mvt::plan
