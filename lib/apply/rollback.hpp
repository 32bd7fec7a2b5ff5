#pragma once
// Rollback from the journal: undoes the steps of a host's last apply (and of the interrupted
// applies it continued, see journal.hpp Chaining), newest first, each through its journaled
// before-image, without re-observing. Works the same in the applying process (a failed
// step, an unconfirmed --try) and in a later `macvtapctl rollback` (also after a crash:
// steps journaled as started but not done are undone too; their inverses are idempotent).
//
// Best effort: a step whose undo fails is reported and the others are still undone; the
// journal then says rollback-incomplete and a later rollback retries what is left.
// Activations are re-run once per guest at the end, when the old files and devices are back.
//
// A guest whose files come through its agent may be booting when the rollback starts (the
// apply restarted it; a reboot is under way): before the first undo of one of its files the
// rollback waits for its agent (agent_wait.hpp, bounded by Timeouts::agent_boot, once per
// guest); when the agent never answers, that guest's file undos fail with the wait's error
// (naming host and guest) without waiting again, and the others still run.
#include <filesystem>
#include <string>
#include <vector>

#include "apply/agent_wait.hpp"
#include "apply/backends.hpp"
#include "apply/domain_ops.hpp"

namespace mvt::apply {

struct RollbackReport {
  bool nothing_to_do = false;        // no journal, or already rolled back
  std::vector<std::string> undone;   // "s03 guest/web1/file/ifcfg-ens9", in undo order
  std::vector<std::string> errors;   // "s02 ...: message"
  std::vector<std::string> pending;  // re-activations that could not run here
  std::vector<std::string> notes;    // e.g. the journal could not record the rollback
  bool ok() const { return errors.empty(); }
  // Adds another host's (or batch's) report after this one's lines.
  void append(const RollbackReport& other);
};

// The caller holds the host's lock. `b` must reach the host's hypervisor and file sources
// (open_backends(journal sources) after a crash).
// `progress` gets lines for people while it waits for an agent.
// `from_seq` > 0 (a failed batch, executor.hpp): only the newest journal's steps from that
// seq on are undone, and the journal is then marked applied (rollback-incomplete when an
// undo failed): the steps before it stay applied and a later rollback undoes them.
RollbackReport rollback_host(const std::filesystem::path& state_dir, const std::string& host,
                             HostBackends& b, const Timeouts& t,
                             const ProgressFn& progress = {}, int from_seq = 0);

// The journals rollback_host() would process for a host, newest first (empty when nothing
// is left to undo).
std::vector<Journal> rollback_chain(const std::filesystem::path& state_dir,
                                    const std::string& host);

}  // namespace mvt::apply
