// `macvtapctl [--host NAME]... confirm`: keeps the changes of an `apply --try` that is
// waiting in another process (writes STATE_DIR/HOST.confirm) on every host it waits for, or
// only on the --host ones (the others stay unconfirmed and roll back at the deadline).
// Exit 1 when no apply is waiting (on a --host named: that host is named). When its waiting
// process is gone, confirm keeps the try itself before the deadline and rolls it back after
// it (exit 1) (lib/apply/confirm.hpp, try_cli.hpp).
// `macvtapctl rollback [--host NAME]`: undoes the last apply of every host with a journal
// in the state dir (or only the --host ones), from the journal alone: no spec needed, also
// after a crash. Host by host, each under its own lock: one host's failure (a connection
// that cannot be opened, a step that cannot be undone, a held lock) is reported and the
// other hosts are still rolled back. Exit 0 when everything was undone (or nothing was
// left to undo), 1 when any host's rollback failed (listed; a later rollback retries).
#include <algorithm>
#include <iostream>
#include <memory>

#include "apply/backends.hpp"
#include "apply/confirm.hpp"
#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/rollback.hpp"
#include "apply/state_dir.hpp"
#include "commands.hpp"
#include "plan_common.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "try_cli.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

int run_confirm(const GlobalOptions& g) {
  return run_confirm_tries(g);  // try_cli.hpp
}

int run_rollback(const GlobalOptions& g, const std::string& expired_try) {
  if (!expired_try.empty()) return run_expired_try_rollback(g, expired_try);  // try_cli.hpp
  std::error_code ec;
  std::vector<std::string> hosts = g.hosts;
  try {
    // An unsafe state dir or a journal that cannot be trusted refuses the whole rollback.
    if (std::filesystem::exists(g.state_dir, ec) || std::filesystem::is_symlink(g.state_dir, ec))
      apply::check_state_dir(g.state_dir);
    if (hosts.empty() && std::filesystem::is_directory(g.state_dir, ec))
      hosts = apply::journal_hosts(g.state_dir);
  } catch (const Error& e) {
    std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
  if (hosts.empty()) {
    std::cout << "Nothing to roll back: no apply journal in " << g.state_dir << "\n";
    return 0;
  }
  int rc = 0;
  for (const auto& host : hosts) {
    try {
      apply::HostLock lock(g.state_dir, host);
      // An expired --try is rolled back as such, and said so (try_cli.hpp).
      if (auto settled = settle_try_in_rollback(g, host)) {
        rc = std::max(rc, *settled);
        continue;
      }
      auto chain = apply::rollback_chain(g.state_dir, host);
      if (chain.empty()) {
        std::cout << "host " << host << ": nothing to roll back\n";
        continue;
      }
      const apply::Journal& newest = chain.front();
      // Reopen the host's backends from the journal. A connection or source that cannot be
      // opened leaves its steps undone (reported), the others are still undone.
      std::vector<std::string> open_errors;
      auto owned = open_journal_backends(g, host, newest.sources, open_errors);
      for (const auto& e : open_errors) std::cerr << "macvtapctl: warning: " << terminal_safe(e) << "\n";
      auto rep = apply::rollback_host(g.state_dir, host, owned.view.at(host), {});
      std::cout << "host " << host << ": rolled back apply " << newest.apply_id;
      if (chain.size() > 1)
        std::cout << " (and " << chain.size() - 1 << " interrupted earlier apply)";
      std::cout << ": " << rep.undone.size() << " step" << (rep.undone.size() == 1 ? "" : "s")
                << " undone\n";
      if (g.verbose)
        for (const auto& u : rep.undone) std::cout << "  undone " << terminal_safe(u) << "\n";
      for (const auto& p : rep.pending) std::cout << "  pending: " << terminal_safe(p) << "\n";
      for (const auto& n : rep.notes) std::cerr << "note: " << terminal_safe(n) << "\n";
      for (const auto& e : rep.errors)
        std::cerr << "macvtapctl: error: could not undo " << terminal_safe(e) << "\n";
      stop_try_timer_after_rollback(newest, rep.ok());
      if (!rep.ok()) {
        std::cerr << "macvtapctl: rollback of host " << host
                  << " is incomplete; fix the cause and run `macvtapctl rollback` again\n";
        rc = 1;
      }
    } catch (const Error& e) {  // a held lock, a journal that cannot be trusted: this host only
      std::cerr << "macvtapctl: error: host " << terminal_safe(host) << ": "
                << terminal_safe(e.what()) << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

void add_confirm_rollback(CLI::App& app, GlobalOptions& g, int* rc) {
  auto* confirm = app.add_subcommand(
      "confirm",
      "keep the changes of an `apply --try` waiting for confirmation (every waiting host, or "
      "only the --host ones)");
  confirm->callback([&g, rc] { *rc = run_confirm(g); });
  auto* rollback =
      app.add_subcommand("rollback",
                         "undo the last apply from its journal (also after a crash), host by host: "
                         "every host with a journal, or only the --host ones");
  auto expired_try = std::make_shared<std::string>();
  // Hidden: what the systemd timer of `apply --try` runs (lib/apply/try_timer.hpp).
  rollback
      ->add_option("--expired-try", *expired_try,
                   "roll back only this apply's --try, and only when it is still unconfirmed "
                   "and past its deadline (needs one --host)")
      ->group("");
  rollback->callback([&g, rc, expired_try] { *rc = run_rollback(g, *expired_try); });
}

}  // namespace mvt::cli
