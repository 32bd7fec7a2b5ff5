#pragma once
// Post-apply verification of a host's guests: what the plan's Verify step (one per host,
// planner.hpp kOrder) checks after the re-plan came back empty — the procedure's
// Verification section, inside `apply` itself:
//  1. MAC equality, per interface: the host's macvtap device (read from the host kernel,
//     `ip -j -d link show`) on the spec's NIC with the spec's MAC and mode, its MAC different
//     from the NIC's; the guest interface carrying that MAC (guest-network-get-interfaces)
//     has the spec's name. `network` interfaces have no macvtap: only the guest side.
//  2. The guest's routing table (`ip -j -4 route show table main` through guest-exec) equals
//     the one the spec implies (rules and what is ignored: verify_checks.hpp); for a guest
//     whose spec has IPv6, the IPv6 table too (`ip -j -6 route show table main`, check
//     "routes6").
//  3. Reachability: each static gateway of the guest, IPv4 and IPv6, answers one bounded ping
//     (`ping -c 1 -W 2 GATEWAY`, `ping -6 -c 1 -W 2 GATEWAY`: iputils, as a RHEL guest has
//     it) sent *from inside the guest* through guest-exec. Not from
//     the host: a macvtap guest and its own host cannot reach each other (the macvtap
//     device hands the NIC's frames to the guest, never to the host's stack; the procedure's
//     "guests on a config: host NIC cannot reach the host" warning).
//
// Activation policy (issue 13): a guest with `activate: none` whose apply changed it has its
// files written and its persistent definition replaced, but nothing re-reads them: the
// checks that depend on that activation are Pending ("pending activation (WHY)", with what
// the live state has now), not Failed, and never fail the apply (the persistent state is
// verified by the executor's re-plan). Which checks, from the applied plan
// (VerifyOptions::applied; without it, every failing check of an `activate: none` guest):
//  - routes and reach: pending while the guest's network has not been restarted;
//  - mac, guest side: pending for an interface not hot-plugged by this apply (a hot-plugged
//    device is named by the guest when it appears: live even with activate: none);
//  - mac, host side: pending only for an interface whose persistent definition changed
//    without a hot-plug (its device change waits for the next cold restart: the old device
//    stays live); a hot-plugged macvtap is checked live.
// A check that passes anyway is Ok. A guest with another policy is activated by the plan
// (restart-network, reboot or cold restart): nothing of it is pending.
//
// Reachability policy: `verify: {reach: true | warn | false}` per guest or interface
// (the interface's wins; model/topology.hpp reach_policy): false skips the ping ("reach
// skipped: verify.reach is false for ens9 (spec)"), warn turns a missing answer into a
// Warning ("reach WARNING (verify.reach: warn): ...") that never fails the apply.
//
// Who is checked: every guest of the host's spec with interfaces. Skipped, with the reason
// as a line (not a failure): a guest that is not running (checked when it runs), a guest
// whose files are not agent-sourced (nothing reads its live state out of band), a domain
// without an agent channel, a guest whose agent refuses guest-exec (its allow list; the
// advice says which config line enables it). The host side of (1) is skipped, with the
// reason, when the host's links cannot be read (test:/// driver; a remote URI without a
// host file source that runs commands).
//
// Timing: a guest is re-checked up to `attempts` times, `interval` apart, while any check
// fails (interfaces and routes settle after a network restart, an agent after a reboot);
// the agent is first given `agent_wait` to answer (wait_for_agent, agent_wait.hpp). The lines of the last attempt are kept.
// Guests are checked one after the other (each costs about 4 agent round trips and a ping).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apply/agent_wait.hpp"
#include "apply/backends.hpp"
#include "model/topology.hpp"
#include "plan/plan.hpp"

namespace mvt::apply {

// Warning: a check failed for a guest this apply did not change (the executor downgrades
// such failures, see executor.hpp), or a reach check with `verify.reach: warn`: reported,
// but it neither fails nor rolls back the apply. Pending: the check depends on an activation
// the spec left out (activate: none, see above): reported with why, never a failure.
enum class CheckStatus { Ok, Failed, Skipped, Warning, Pending };

struct VerifyLine {
  std::string host, guest;
  std::string interface;  // empty for a whole-guest line (routes, a skipped guest)
  std::string check;      // "mac" | "routes" | "routes6" | "reach" | "guest"
  CheckStatus status = CheckStatus::Ok;
  std::string detail;     // Ok: what was found; Skipped: why
  std::string expected;   // Failed/Warning: what the spec implies
  std::string found;      // Failed/Warning/Pending: what the live state has
  std::string why;        // Warning/Pending: why it does not fail (Warning: empty = "not
                          // changed by this apply")
  // One line for people:
  //   "verify guest web1 ens9: mac ok: host macvtap3@em2 52:54:00:.. = guest ens9 52:54:00:.."
  //   "verify guest web1 ens9: reach FAILED: expected ..., found ..."
  //   "verify guest db1: skipped: not running: checked when it runs"
  //   "verify guest db1 eth0: reach WARNING (not changed by this apply): expected ...; found ..."
  //   "verify guest db1 eth0: reach WARNING (verify.reach: warn): expected ...; found ..."
  //   "verify guest db1: routes pending activation (WHY): expected ...; found ..."
  std::string str() const;
};

struct VerifyReport {
  std::vector<VerifyLine> lines;
  bool ok() const;                          // no Failed line
  std::vector<std::string> failures() const;  // str() of the Failed lines
  std::size_t pending() const;                // how many lines are Pending
};

// Reads the host's `ip -j -d link show` JSON; nullopt with `why` set when it cannot.
using HostLinksReader = std::function<std::optional<std::string>(std::string& why)>;

// The default reader for a host: a local libvirt URI (no host part: qemu:///system) runs
// `ip -j -d link show` here (Boost.Process, argv); a remote URI runs it through the host's
// file source when that can run commands (ssh://); the test:/// driver has no host devices.
HostLinksReader host_links_reader(const std::string& uri, FileAccess* host_files);

struct VerifyOptions {
  int attempts = 5;
  std::chrono::milliseconds interval{1000};
  std::chrono::milliseconds agent_wait = kAgentBootWait;
  std::chrono::milliseconds command_timeout{20000};  // `ip` and `ping` inside the guest
  HostLinksReader host_links;  // unset: host_links_reader(b.sources.uri, b.host_files)
  // The plan this apply ran: which guests and interfaces it changed (hot-plugged, defined,
  // files) decides which checks of an `activate: none` guest are pending (see above).
  // Not owned; null: every failing check of an `activate: none` guest is taken as pending.
  const plan::Plan* applied = nullptr;
};

// Checks every guest of `spec` (one host of the topology) through `b`. Never throws for
// what it finds; environment failures become Failed lines.
VerifyReport verify_guests(const Host& spec, HostBackends& b, const VerifyOptions& o = {});

}  // namespace mvt::apply
