#pragma once
// Domain-side building blocks of the executor, over the Hypervisor interface only.
// Quirks worked around here:
//  - libvirt's live detach can return before the device is gone (the guest must ack the
//    unplug): wait_detached() polls the live XML until the MAC disappears, bounded.
//  - a guest's ACPI shutdown may be ignored: cold_restart() waits bounded, then destroys as a
//    last resort, then starts. libvirt's shutdown goes through the guest agent when the agent
//    is connected and falls back to the ACPI power button when it is not (a guest still
//    booting): activate_guest() therefore first waits for an agent-sourced guest's agent.
//  - libvirt's test:/// driver cannot attach/detach devices; persistent changes use
//    define_xml there (DefineInterface), which it supports.
#include <chrono>
#include <optional>
#include <string>

#include "libvirt/hypervisor.hpp"
#include "model/net_types.hpp"
#include "plan/plan.hpp"

namespace mvt::apply {

struct Timeouts {
  std::chrono::milliseconds detach{30000};
  std::chrono::milliseconds shutdown{120000};
  std::chrono::milliseconds command{120000};
  std::chrono::milliseconds poll{200};
  // How long an agent-sourced guest's agent is given to answer after a restart (and before
  // rollback touches its files): agent_wait.hpp kAgentBootWait.
  std::chrono::milliseconds agent_boot{120000};
};

// Whether the guest runs (from list_domains); false when it does not exist.
bool is_running(Hypervisor& hv, const std::string& guest);

// Whether the guest's live XML has an <interface> with that MAC (false when not running).
bool live_has_mac(Hypervisor& hv, const std::string& guest, const MacAddress& mac);

// Parses op.mac; throws Error naming the step when malformed.
MacAddress op_mac(const plan::Operation& op);

// The inactive domain XML with op's interface change applied (add: old_interface_xml empty;
// remove: interface_xml empty; else replace, keeping the PCI address). Idempotent: adding an
// interface whose MAC is present replaces it, removing an absent one changes nothing.
// Throws Error when a replace finds no interface with that MAC (the world moved).
std::string edited_inactive_xml(const std::string& guest, const std::string& inactive_xml,
                                const plan::Operation& op);

// Polls the live XML until no interface has `mac`; throws Error after `t.detach`.
void wait_detached(Hypervisor& hv, const std::string& guest, const MacAddress& mac,
                   const Timeouts& t);

// Shutdown, wait (bounded), destroy as a last resort, start. Nothing when not running.
// Returns a note when it had to destroy.
std::optional<std::string> cold_restart(Hypervisor& hv, const std::string& guest,
                                        const Timeouts& t);

}  // namespace mvt::apply
