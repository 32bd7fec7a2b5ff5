#pragma once
// Waiting for a guest's QEMU guest agent to answer: after an activation that restarted the
// guest (cold-restart, reboot), before rollback touches the files of a guest that may still be
// booting, and before verify_guests checks a guest. One helper for all three, so that they
// wait the same way and say the same thing.
//
// The bound: kAgentBootWait, 120 s. The lab guest (TCG, direct kernel boot) answers ≈ 7 s
// after its start (LAB.md); a full RHEL guest under KVM boots in 20-60 s; 120 s is the same
// bound as the shutdown wait of a cold restart (Timeouts::shutdown), so a restart costs at
// most 2 x 120 s before the tool gives up with an error naming the host and the guest.
//
// Only agent-sourced guests are waited for (guest_files: agent): the agent is how the tool
// reads and writes their files. A guest with another source (dir:, ssh://, none) is not
// waited for here (status NotAgent).
#include <chrono>
#include <functional>
#include <string>

#include "apply/backends.hpp"

namespace mvt::apply {

inline constexpr std::chrono::milliseconds kAgentBootWait{120000};

enum class AgentWaitStatus {
  Ready,       // guest-ping answered (at once or within the bound)
  NotAgent,    // the guest's files do not come through an agent: nothing to wait for
  NoChannel,   // the domain has no org.qemu.guest_agent.0 channel (waiting cannot help)
  NotRunning,  // the guest is shut off (waiting cannot help)
  TimedOut,    // no answer within the bound
};

struct AgentWait {
  AgentWaitStatus status = AgentWaitStatus::NotAgent;
  std::chrono::milliseconds waited{0};  // from the first ping to the answer (or the give-up)
  // Ready after a wait: "guest agent of web1 on kvm1 answered after 7.2 s";
  // NoChannel/NotRunning: the agent's error; TimedOut: "guest web1 on host kvm1: its guest
  // agent did not answer within 120 s after ... (last error: ...)".
  std::string detail;
  bool ready() const { return status == AgentWaitStatus::Ready; }
};

using ProgressFn = std::function<void(const std::string&)>;

// Pings the guest's agent once (5 s); when it does not answer (not connected yet, not
// responding), says so through `progress` ("waiting up to 120 s for the guest agent of web1
// on kvm1 (after cold-restart)...") and polls guest-ping (AgentSource::wait_until_ready) until
// it answers or `bound` passes. `why` ("after cold-restart") goes into the messages. Never
// throws for what it finds; Refused (the ping itself blocked) counts as answering.
AgentWait wait_for_agent(HostBackends& b, const std::string& host, const std::string& guest,
                         std::chrono::milliseconds bound, const std::string& why,
                         const ProgressFn& progress = {});

// wait_for_agent(), throwing Error with the detail when the agent does not answer in time
// (TimedOut). Ready, NotAgent, NoChannel and NotRunning return normally: the step that needs
// the agent reports those itself, with the agent source's own advice.
AgentWait require_agent(HostBackends& b, const std::string& host, const std::string& guest,
                        std::chrono::milliseconds bound, const std::string& why,
                        const ProgressFn& progress = {});

}  // namespace mvt::apply
