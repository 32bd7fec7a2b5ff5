#include "try_cli.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "apply/confirm.hpp"
#include "apply/host_lock.hpp"
#include "apply/state_dir.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "plan_common.hpp"
#include "spec/guard.hpp"
#include "util/diagnostics.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

bool state_dir_present(const GlobalOptions& g) {
  std::error_code ec;
  return std::filesystem::exists(g.state_dir, ec) || std::filesystem::is_symlink(g.state_dir, ec);
}

void print_settled(const apply::SettleResult& s, std::ostream& err) {
  for (const auto& n : s.notes) err << "note: " << terminal_safe(n) << "\n";
  err << terminal_safe(s.message()) << "\n";
  for (const auto& p : s.report.pending) err << "  pending: " << terminal_safe(p) << "\n";
  for (const auto& n : s.report.notes) err << "note: " << terminal_safe(n) << "\n";
}

}  // namespace

apply::OwnedBackends open_journal_backends(const GlobalOptions& g, const std::string& host,
                                           const apply::HostSources& sources,
                                           std::vector<std::string>& errors) {
  return apply::open_backends(
      {{host, sources}},
      [&](const std::string& uri) -> std::unique_ptr<Hypervisor> {
        // The journal's URI passes the same guard as a spec's (libvirt_uri.hpp).
        if (auto why = libvirt_uri_refusal(uri, guard_for(g))) {
          errors.push_back(*why);
          return nullptr;
        }
        try {
          return LibvirtHypervisor::connect(uri, false);
        } catch (const Error& e) {
          errors.push_back(e.what());
          return nullptr;
        }
      },
      [&](const FileSourceSpec& spec, Hypervisor* hv,
          const std::string& guest) -> std::unique_ptr<FileAccess> {
        try {
          return apply::default_file_source(spec, hv, guest);
        } catch (const Error& e) {
          errors.push_back((guest.empty() ? "host files" : "guest " + guest) + ": " + e.what());
          return nullptr;
        }
      });
}

apply::JournalBackendsOpener journal_opener(const GlobalOptions& g) {
  return [&g](const std::string& host, const apply::HostSources& sources,
              std::vector<std::string>& errors) {
    return open_journal_backends(g, host, sources, errors);
  };
}

std::string describe_open_try(const apply::OpenTry& t, long long now) {
  std::string s = "host " + t.host + ": an unconfirmed --try of apply " + t.apply_id + " is open";
  if (!t.record)
    return s + " (no deadline recorded: written by an older macvtapctl); `macvtapctl confirm` "
               "keeps it, `macvtapctl rollback --host " + t.host + "` undoes it";
  s += ", deadline " + t.record->deadline;
  if (t.expired(now))
    return s + " (expired: the next macvtapctl apply, rollback or confirm on " + t.host +
           " rolls it back" + (t.record->timer_unit.empty() ? "" : ", as does its systemd timer") +
           ")";
  return s + " (`macvtapctl confirm` keeps it)";
}

bool settle_tries_before_apply(const GlobalOptions& g, const std::vector<std::string>& hosts,
                               std::ostream& err) {
  if (!state_dir_present(g)) return true;  // never applied here: no try can be open
  bool ok = true;
  for (const auto& host : hosts) {
    try {
      if (!apply::read_host_journal(g.state_dir, host)) continue;  // checked again under the lock
      apply::HostLock lock(g.state_dir, host);
      auto s = apply::settle_expired_try(g.state_dir, host, journal_opener(g), {}, apply::epoch_now());
      if (s.rolled_back) {
        print_settled(s, err);
        if (!s.report.ok()) ok = false;
      } else if (s.open) {
        // We hold the lock: the process that waited for its confirmation is gone.
        err << "macvtapctl: error: " << terminal_safe(describe_open_try(*s.open, apply::epoch_now()))
            << "; its waiting process is gone. Refusing to apply over an unconfirmed change: "
               "keep it (`macvtapctl confirm`) or undo it (`macvtapctl rollback --host "
            << terminal_safe(host) << "`) first\n";
        ok = false;
      }
    } catch (const apply::LockHeldError&) {
      // A live apply (maybe the try's own waiting process) holds the host: apply reports it.
    } catch (const Error& e) {
      err << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
      ok = false;
    }
  }
  return ok;
}

std::optional<int> settle_try_in_rollback(const GlobalOptions& g, const std::string& host) {
  auto s = apply::settle_expired_try(g.state_dir, host, journal_opener(g), {}, apply::epoch_now());
  if (!s.rolled_back) return std::nullopt;
  print_settled(s, std::cerr);
  return s.report.ok() ? 0 : 1;
}

void stop_try_timer_after_rollback(const apply::Journal& newest, bool rollback_ok) {
  if (!rollback_ok || !apply::open_try_of(newest)) return;
  if (auto note = apply::stop_timer_of(newest)) std::cerr << "note: " << terminal_safe(*note) << "\n";
}

int run_expired_try_rollback(const GlobalOptions& g, const std::string& apply_id) {
  if (g.hosts.size() != 1) {
    std::cerr << "macvtapctl: error: --expired-try needs exactly one --host\n";
    return 1;
  }
  const std::string& host = g.hosts.front();
  const std::string what = "host " + host + ": the --try of apply " + apply_id;
  if (!state_dir_present(g)) {
    std::cout << terminal_safe(what) << ": nothing to do (no state dir " << g.state_dir << ")\n";
    return 0;
  }
  try {
    apply::check_state_dir(g.state_dir);
    auto jn = apply::read_host_journal(g.state_dir, host);
    if (!jn || jn->apply_id != apply_id || !apply::open_try_of(*jn)) {
      std::cout << terminal_safe(what) << ": nothing to do (no longer open)\n";
      return 0;
    }
    std::unique_ptr<apply::HostLock> lock;
    try {
      lock = std::make_unique<apply::HostLock>(g.state_dir, host);
    } catch (const apply::LockHeldError& e) {
      std::cout << terminal_safe(what) << ": nothing to do (the host is locked by pid "
                << e.pid() << ", which finishes it)\n";
      return 0;
    }
    auto s = apply::settle_expired_try(g.state_dir, host, journal_opener(g), {}, apply::epoch_now(),
                                       apply_id);
    if (s.rolled_back) {
      print_settled(s, std::cerr);
      return s.report.ok() ? 0 : 1;
    }
    std::cout << terminal_safe(what) << ": nothing to do ("
              << (s.open && s.open->apply_id == apply_id
                      ? "not expired yet: deadline " + terminal_safe(s.open->deadline())
                      : std::string("no longer open"))
              << ")\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
}

int run_confirm_tries(const GlobalOptions& g) {
  std::error_code ec;
  if (!std::filesystem::is_directory(g.state_dir, ec)) {
    std::cerr << "macvtapctl: nothing to confirm: no apply --try is waiting (state dir "
              << g.state_dir << " does not exist)\n";
    return 1;
  }
  std::vector<std::string> hosts = g.hosts;
  try {
    apply::check_state_dir(g.state_dir);
    if (hosts.empty()) hosts = apply::journal_hosts(g.state_dir);
  } catch (const Error& e) {
    std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return 1;
  }
  int rc = 0;
  bool any = false;
  for (const auto& host : hosts) {
    const std::string h = terminal_safe(host);
    try {
      auto c = apply::confirm_host(g.state_dir, host, journal_opener(g), {}, apply::epoch_now());
      if (c.outcome == apply::TryConfirm::NoTry) {
        if (!g.hosts.empty()) {  // a --host named that has no try waiting is an error, named
          std::cerr << "macvtapctl: nothing to confirm on host " << h
                    << ": no apply --try is waiting there\n";
          rc = 1;
          any = true;
        }
        continue;
      }
      any = true;
      const std::string id = terminal_safe(c.open->apply_id);
      const std::string deadline = terminal_safe(c.open->deadline());
      switch (c.outcome) {
        case apply::TryConfirm::NoTry:
          break;
        case apply::TryConfirm::Signalled: {
          // The waiting apply keeps the change when it sees the confirmation: wait (bounded)
          // for its journal to say so, so that "Confirmed" is true when printed.
          std::string status = "trying";
          for (int i = 0; i < 100 && status == "trying"; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            auto jn = apply::read_host_journal(g.state_dir, host);
            status = jn && jn->apply_id == c.open->apply_id ? jn->status : "replaced";
          }
          if (status == "applied") {
            std::cout << "Confirmed apply " << id << " on host " << h << "\n";
          } else if (status == "trying") {
            std::cout << "Confirmation of apply " << id << " on host " << h
                      << " sent; its waiting process (pid " << c.waiter_pid
                      << ") has not taken it yet\n";
          } else {
            std::cerr << "macvtapctl: error: host " << h << ": the --try of apply " << id
                      << " ended before its waiting process saw the confirmation (journal: "
                      << terminal_safe(status) << ")\n";
            rc = 1;
          }
          break;
        }
        case apply::TryConfirm::Kept:
          std::cout << "Confirmed apply " << id << " on host " << h
                    << " (its waiting process is gone: the journal is marked applied"
                    << (c.open->record && !c.open->record->timer_unit.empty()
                            ? ", its timer stopped"
                            : "")
                    << ")\n";
          for (const auto& n : c.notes) std::cerr << "note: " << terminal_safe(n) << "\n";
          break;
        case apply::TryConfirm::Expired:
          print_settled(c.settled, std::cerr);
          std::cerr << "macvtapctl: error: host " << h << ": the --try of apply " << id
                    << " expired at " << deadline
                    << ": too late to confirm it; it was rolled back instead\n";
          rc = 1;
          break;
        case apply::TryConfirm::ExpiredWaiting:
          std::cerr << "macvtapctl: error: host " << h << ": the --try of apply " << id
                    << " expired at " << deadline
                    << ": too late to confirm it; its waiting process (pid " << c.waiter_pid
                    << ") rolls it back\n";
          rc = 1;
          break;
      }
    } catch (const Error& e) {
      std::cerr << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
      rc = 1;
      any = true;
    }
  }
  if (!any) {
    std::cerr << "macvtapctl: nothing to confirm: no apply --try is waiting\n";
    return 1;
  }
  return rc;
}

apply::TryTimerConfig try_timer_config(const GlobalOptions& g) {
  apply::TryTimerConfig c;
  if (!apply::systemd_present()) return c;
  try {
    c.exe = apply::self_executable();
  } catch (const Error&) {
    return c;  // no timer; apply notes that the next command reverts the try
  }
  c.enabled = true;
  // The timer's rollback opens the journal's URI through the same trust guard.
  const Guard guard = guard_for(g);
  for (const auto& u : guard.uris) c.global_args.insert(c.global_args.end(), {"--allow-uri", u});
  for (const auto& p : guard.uri_params)
    c.global_args.insert(c.global_args.end(), {"--allow-uri-param", p});
  for (const auto& r : guard.roots) c.global_args.insert(c.global_args.end(), {"--allow-root", r});
  return c;
}

apply::OpenTryScan report_open_tries(const GlobalOptions& g, const std::vector<std::string>& hosts,
                                     std::ostream& out, const std::string& prefix,
                                     std::ostream& err) {
  auto scan = apply::scan_open_tries(g.state_dir, hosts);
  const long long now = apply::epoch_now();
  for (const auto& t : scan.tries) out << prefix << terminal_safe(describe_open_try(t, now)) << "\n";
  for (const auto& n : scan.notes) err << "note: " << terminal_safe(n) << "\n";
  return scan;
}

}  // namespace mvt::cli
