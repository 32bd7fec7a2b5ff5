// `macvtapctl [--host NAME]... confirm`: keeps the changes of an `apply --try` that is
// waiting in another process (writes STATE_DIR/HOST.confirm) on every host it waits for, or
// only on the --host ones (the others stay unconfirmed and roll back at the deadline).
// Exit 1 when no apply is waiting (on a --host named: that host is named).
// `macvtapctl rollback [--host NAME]`: undoes the last apply of every host with a journal
// in the state dir (or only the --host ones), from the journal alone: no spec needed, also
// after a crash. Host by host, each under its own lock: one host's failure (a connection
// that cannot be opened, a step that cannot be undone, a held lock) is reported and the
// other hosts are still rolled back. Exit 0 when everything was undone (or nothing was
// left to undo), 1 when any host's rollback failed (listed; a later rollback retries).
#include <iostream>

#include "apply/backends.hpp"
#include "apply/confirm.hpp"
#include "apply/host_lock.hpp"
#include "apply/journal.hpp"
#include "apply/rollback.hpp"
#include "apply/state_dir.hpp"
#include "commands.hpp"
#include "plan_common.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

int run_confirm(const GlobalOptions& g) {
  std::error_code ec;
  if (!std::filesystem::is_directory(g.state_dir, ec)) {
    std::cerr << "macvtapctl: nothing to confirm: no apply --try is waiting (state dir "
              << g.state_dir << " does not exist)\n";
    return 1;
  }
  std::vector<apply::Confirmed> confirmed;
  try {
    apply::check_state_dir(g.state_dir);
    confirmed = apply::confirm_trying(g.state_dir, g.hosts);
  } catch (const Error& e) {
    std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
  for (const auto& c : confirmed)
    std::cout << "Confirmed apply " << terminal_safe(c.apply_id) << " on host "
              << terminal_safe(c.host) << "\n";
  // A --host named that has no try waiting is an error, named.
  int rc = confirmed.empty() ? 1 : 0;
  for (const auto& h : g.hosts) {
    bool found = false;
    for (const auto& c : confirmed) found = found || c.host == h;
    if (!found) {
      std::cerr << "macvtapctl: nothing to confirm on host " << terminal_safe(h)
                << ": no apply --try is waiting there\n";
      rc = 1;
    }
  }
  if (confirmed.empty() && g.hosts.empty())
    std::cerr << "macvtapctl: nothing to confirm: no apply --try is waiting\n";
  return rc;
}

int run_rollback(const GlobalOptions& g) {
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
      auto chain = apply::rollback_chain(g.state_dir, host);
      if (chain.empty()) {
        std::cout << "host " << host << ": nothing to roll back\n";
        continue;
      }
      const apply::Journal& newest = chain.front();
      // Reopen the host's backends from the journal. A connection or source that cannot be
      // opened leaves its steps undone (reported), the others are still undone.
      std::vector<std::string> open_errors;
      auto owned = apply::open_backends(
          {{host, newest.sources}},
          [&](const std::string& uri) -> std::unique_ptr<Hypervisor> {
            // The journal's URI passes the same guard as a spec's (libvirt_uri.hpp).
            if (auto why = libvirt_uri_refusal(uri, guard_for(g))) {
              open_errors.push_back(*why);
              return nullptr;
            }
            try {
              return LibvirtHypervisor::connect(uri, false);
            } catch (const Error& e) {
              open_errors.push_back(e.what());
              return nullptr;
            }
          },
          [&](const FileSourceSpec& spec, Hypervisor* hv,
              const std::string& guest) -> std::unique_ptr<FileAccess> {
            try {
              return apply::default_file_source(spec, hv, guest);
            } catch (const Error& e) {
              open_errors.push_back((guest.empty() ? "host files" : "guest " + guest) + ": " +
                                    e.what());
              return nullptr;
            }
          });
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
  rollback->callback([&g, rc] { *rc = run_rollback(g); });
}

}  // namespace mvt::cli
