#pragma once
// One step at a time: capture its before-image, run its operation, undo it from the image.
// Everything goes through HostBackends (Hypervisor + FileAccess).
//
// Inverses restore the before-image and are idempotent, so they are safe for a step that
// crashed half-way (journaled as started, not done):
//   WriteFile/RemoveFile -> the old bytes, mode and owner (or absence) are put back;
//   DefineInterface      -> the whole old inactive XML is defined again;
//   LiveAttach           -> detached again if its MAC is live;
//   LiveDetach           -> attached again if its MAC is not live and the guest runs;
//   Activate             -> the same activation runs again at the end of the rollback,
//                           once the old files and devices are back (see rollback.hpp);
//   Verify               -> nothing.
#include <string>
#include <vector>

#include "apply/agent_wait.hpp"
#include "apply/backends.hpp"
#include "apply/domain_ops.hpp"
#include "apply/journal.hpp"
#include "plan/plan.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

// The world moved since the plan was made (a file's bytes are not what was planned against).
class WorldMovedError : public Error {
 public:
  using Error::Error;
};

// The FileAccess a file operation uses; throws AccessError when the host/guest has none.
FileAccess& file_source(HostBackends& b, const std::string& host, const plan::Operation& op);

// Reads what undoing `step` needs. For WriteFile/RemoveFile it also checks that the file is
// what the plan was made against (op.before_sha256) and throws WorldMovedError if not.
BeforeImage capture_before(const plan::Step& step, HostBackends& b);

// Runs a step's operation (not Verify, which the executor handles). Notes about things left
// pending (an activation that cannot run here) are appended to `pending`; `progress` gets
// lines for people while an activation waits (see activate_guest). `before`: the image
// capture_before() just took for this step; a DefineInterface edits its inactive XML instead
// of fetching the same XML again (two round trips fewer per step).
void run_operation(const plan::Step& step, HostBackends& b, const Timeouts& t,
                   std::vector<std::string>& pending, const ProgressFn& progress = {},
                   const BeforeImage* before = nullptr);

// Runs one activation of a guest (also used to re-activate after a rollback).
// Restarts of an agent-sourced guest (guest_files: agent) wait for its agent (agent_wait.hpp,
// bounded by t.agent_boot), so that what follows - the verification's re-plan, rollback's
// file restores - can read and write its files:
//  - cold-restart: before the shutdown, when the agent is not answering yet (a guest still
//    booting ignores libvirt's ACPI fallback; the wait is not an error), and after the start
//    (an error naming host and guest when it never answers);
//  - reboot: libvirt's reboot returns at once, while the old boot's agent may still answer;
//    the guest's boot id (/proc/sys/kernel/random/boot_id, read through the agent) is taken
//    before and the wait lasts until an agent answers with a different one. When the boot id
//    cannot be read before (a refused guest-exec), any answer counts.
// restart-network runs the guest's format's activation (op.config_format: ifcfg restarts the
// network service; keyfile reloads NetworkManager's profiles and brings up each of
// op.profiles - after a rollback each of op.restore_profiles, the profiles it put back).
void activate_guest(const std::string& host, const plan::Operation& op, bool rollback,
                    HostBackends& b, const Timeouts& t, std::vector<std::string>& pending,
                    const ProgressFn& progress = {});
// The same for an activation with the default format's restart.
void activate_guest(const std::string& host, const std::string& guest,
                    plan::ActivationMethod method, HostBackends& b, const Timeouts& t,
                    std::vector<std::string>& pending, const ProgressFn& progress = {});

// Restores the before-image of a journaled step. Activate and Verify are no-ops here.
// For files, refuses (Error) when the file now holds neither the old nor the new bytes:
// someone changed it after the apply, and rollback does not clobber their change.
void undo_operation(const JournalStep& s, HostBackends& b, const Timeouts& t);

}  // namespace mvt::apply
