#pragma once
// A `--try` that survives its own death. `apply --try=S` writes, before it waits, a try
// record into each host's journal (journal.hpp: the apply id, the deadline in UTC = now + S,
// the waiting process, the timer unit) and then status "trying". While the waiting process
// lives it holds the host's lock (host_lock.hpp), so "the waiting process is gone" is exactly
// "the lock can be taken". When it dies (kill -9, a lost SSH session) the try stays open
// until one of these settles it:
//  - every later mutating command on the host (apply, rollback, confirm) first takes the
//    host's lock and calls settle_expired_try(): an open try past its deadline is rolled back
//    from the journal ("host kvm1: the --try of apply ID expired at T unconfirmed: rolled back
//    (N steps)") and its timer stopped;
//  - the transient systemd timer (try_timer.hpp) runs `rollback --expired-try ID`, which does
//    the same for that very try only;
//  - `confirm` before the deadline keeps it (confirm.hpp).
// Read-only commands (plan, drift) only report open tries (scan_open_tries()).
//
// A journal with status "trying" but no try record (written before the record existed) is
// an open try without a deadline: never expired, reported, confirmed or rolled back by hand.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apply/backends.hpp"
#include "apply/domain_ops.hpp"
#include "apply/journal.hpp"
#include "apply/rollback.hpp"

namespace mvt::apply {

struct OpenTry {
  std::string host;
  std::string apply_id;
  std::optional<TryRecord> record;  // nullopt: an older journal without deadline
  bool expired(long long now) const { return record && now >= record->deadline_epoch; }
  // "2026-11-24T00:42:00Z" or "(no deadline recorded)".
  std::string deadline() const { return record ? record->deadline : "(no deadline recorded)"; }
};

// The open try of a journal: its status is "trying".
std::optional<OpenTry> open_try_of(const Journal& jn);

// Seconds since the epoch, now.
long long epoch_now();

// Opens a host's backends from its journal's sources (the CLI's: it applies the trust guard
// to the journal's URI); open failures go to `errors` (then the steps needing them fail).
using JournalBackendsOpener = std::function<OwnedBackends(
    const std::string& host, const HostSources& sources, std::vector<std::string>& errors)>;

struct SettleResult {
  std::optional<OpenTry> open;  // the host's open try, expired or not
  bool rolled_back = false;     // it was expired and its rollback ran (see report)
  RollbackReport report;
  std::vector<std::string> notes;  // backends that could not be opened, the timer's stop
  // The line for stderr when rolled_back: "host kvm1: the --try of apply ID expired at T
  // unconfirmed: rolled back (N steps)" (or "rollback INCOMPLETE (...)").
  std::string message() const;
};

// The caller holds the host's lock. When the host's journal is an open try past its deadline
// (and, with only_apply_id, that very try), rolls it back (rollback_host) and, when that
// succeeded, stops its timer. Otherwise changes nothing. Throws like read_journal() for a
// journal it cannot trust.
SettleResult settle_expired_try(const std::filesystem::path& state_dir, const std::string& host,
                                const JournalBackendsOpener& open, const Timeouts& t,
                                long long now,
                                const std::optional<std::string>& only_apply_id = std::nullopt);

// Stops the try timer a journal names (after the try was settled another way); the note
// when that failed, nullopt when it worked or there was none.
std::optional<std::string> stop_timer_of(const Journal& jn);

// For read-only commands: the open tries of these hosts (all journals when empty) in the
// state dir, read without a lock and without writing. Never throws: a missing state dir has
// none; an unsafe or unreadable one, or a journal that cannot be read, becomes a note.
struct OpenTryScan {
  std::vector<OpenTry> tries;
  std::vector<std::string> notes;
};
OpenTryScan scan_open_tries(const std::filesystem::path& state_dir,
                            const std::vector<std::string>& hosts);

}  // namespace mvt::apply
