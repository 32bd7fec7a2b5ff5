#pragma once
// The command-line side of a `--try` that survives its own death (lib/apply/try_deadline.hpp,
// try_timer.hpp, confirm.hpp): what apply, rollback and confirm do first on each host, the
// `confirm` command itself, the hidden `rollback --expired-try ID` the systemd timer runs,
// and what plan and drift report.
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "apply/backends.hpp"
#include "apply/journal.hpp"
#include "apply/try_deadline.hpp"
#include "apply/try_timer.hpp"
#include "commands.hpp"

namespace mvt::cli {

// Opens a host's backends from journaled sources; the journal's URI passes the trust guard
// (--allow-uri...) like a spec's. What cannot be opened is appended to `errors` (its steps
// then fail, the others still run).
apply::OwnedBackends open_journal_backends(const GlobalOptions& g, const std::string& host,
                                           const apply::HostSources& sources,
                                           std::vector<std::string>& errors);
apply::JournalBackendsOpener journal_opener(const GlobalOptions& g);

// apply, before it observes: for each host, under its lock, rolls back an expired
// unconfirmed try (saying so on `err`). False (the apply must stop, exit 1) when a rollback
// was incomplete, a journal cannot be trusted, or a host has an unexpired try whose waiting
// process is gone (the operator confirms or rolls it back first). A host whose lock is held
// is skipped (the apply reports the lock itself).
bool settle_tries_before_apply(const GlobalOptions& g, const std::vector<std::string>& hosts,
                               std::ostream& err);

// rollback, holding the host's lock: settles an expired try first. nullopt: there was none
// (go on with the rollback); else the exit code (the settle was the rollback).
std::optional<int> settle_try_in_rollback(const GlobalOptions& g, const std::string& host);
// After rollback_host() of a journal that was an open try: stops its timer (note on stderr).
void stop_try_timer_after_rollback(const apply::Journal& newest, bool rollback_ok);

// `rollback --host HOST --expired-try ID` (what the systemd timer runs): rolls back exactly
// that try when it is still open and past its deadline; exit 0 doing nothing otherwise.
int run_expired_try_rollback(const GlobalOptions& g, const std::string& apply_id);

// `confirm` (confirm.hpp confirm_host() per host: every host with a journal, or --host).
int run_confirm_tries(const GlobalOptions& g);

// What `apply --try` uses for its timers: enabled where systemd runs.
apply::TryTimerConfig try_timer_config(const GlobalOptions& g);

// plan and drift: the open tries of `hosts` (read-only), one line each on `out` prefixed by
// `prefix` ("warning: "), notes about an unreadable state dir on `err`. Returns the scan.
apply::OpenTryScan report_open_tries(const GlobalOptions& g, const std::vector<std::string>& hosts,
                                     std::ostream& out, const std::string& prefix,
                                     std::ostream& err);
// "host kvm1: unconfirmed --try of apply ID open, deadline T (expired: ...)".
std::string describe_open_try(const apply::OpenTry& t, long long now);

}  // namespace mvt::cli
