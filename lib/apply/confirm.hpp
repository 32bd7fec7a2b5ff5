#pragma once
// `macvtapctl confirm` talks to an `apply --try` waiting in another process through the
// state dir: it writes HOST.confirm holding the apply id of every journal whose status is
// "trying"; the waiting apply polls for it.
//
// When the waiting process is gone (try_deadline.hpp: the host's lock can be taken),
// confirm_host() settles the try itself, under the lock: before the deadline it keeps the
// change (the journal becomes "applied", the try's timer is stopped); after the deadline it
// refuses and rolls the try back instead. While the waiting process lives, a confirm after
// the deadline is refused (that process is rolling back), one before it is signalled.
#include <filesystem>
#include <string>
#include <vector>

#include "apply/try_deadline.hpp"

namespace mvt::apply {

struct Confirmed {
  std::string host;
  std::string apply_id;
};

// Confirms every trying apply in the state dir (only those of `hosts` when not empty);
// empty when none is waiting.
std::vector<Confirmed> confirm_trying(const std::filesystem::path& state_dir,
                                      const std::vector<std::string>& hosts = {});

// Whether HOST.confirm holds apply_id.
bool is_confirmed(const std::filesystem::path& state_dir, const std::string& host,
                  const std::string& apply_id);

// Removes HOST.confirm (after the waiting apply saw it).
void clear_confirm(const std::filesystem::path& state_dir, const std::string& host);

enum class TryConfirm {
  NoTry,           // the host has no open try: nothing done
  Signalled,       // its waiting process lives: HOST.confirm written, it keeps the change
  Kept,            // its waiting process is gone, before the deadline: marked applied
  Expired,         // its waiting process is gone, past the deadline: rolled back (settled)
  ExpiredWaiting,  // past the deadline, its waiting process lives (and rolls back): refused
};

struct HostConfirm {
  std::string host;
  std::optional<OpenTry> open;
  TryConfirm outcome = TryConfirm::NoTry;
  long waiter_pid = -1;            // ExpiredWaiting / Signalled: the lock holder
  SettleResult settled;            // Expired
  std::vector<std::string> notes;  // Kept: the timer could not be stopped...
};

// Confirms the open try of one host as described above (takes the host's lock when it can).
// Throws like read_journal() for a journal it cannot trust.
HostConfirm confirm_host(const std::filesystem::path& state_dir, const std::string& host,
                         const JournalBackendsOpener& open, const Timeouts& t, long long now);

}  // namespace mvt::apply
