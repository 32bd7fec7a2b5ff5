#include <malloc.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli_habits.hpp"
#include "commands.hpp"
#include "util/diagnostics.hpp"
#include "util/errors.hpp"

int main(int argc, char** argv) {
  // A libvirt client must not die of SIGPIPE when the daemon goes away mid-call (libvirt's
  // own advice; virsh does the same): the write fails with EPIPE, libvirt reports the lost
  // connection, and apply journals and reports it like any other failed step. Found by the
  // system test that kills libvirtd mid-apply.
  std::signal(SIGPIPE, SIG_IGN);
  // glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
  // memory freed in one arena is not reused by another: with observation's threads (domain
  // fetches, file reads, parsing) a 10,000-guest plan peaked 30-60 % higher than on one
  // thread, varying from run to run. Two arenas keep the peak near the single-threaded one
  // at no measurable cost in speed here. MALLOC_ARENA_MAX in the environment still wins.
  if (!std::getenv("MALLOC_ARENA_MAX")) ::mallopt(M_ARENA_MAX, 2);
  using namespace mvt::cli;
  CLI::App app{"macvtapctl: declarative libvirt direct (macvtap) networking"};
  app.set_version_flag("--version", std::string("macvtapctl ") + MVT_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions g;
  app.add_option("--host", g.hosts, "limit to these hosts (repeatable)");
  app.add_option("--connect", g.connect, "override a one-host spec's libvirt URI");
  app.add_option("--state-dir", g.state_dir, "journal and lock directory")
      ->capture_default_str();
  app.add_option("--color", g.color, "colour output")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  app.add_flag("-v,--verbose", g.verbose, "more detail");
  app.add_option("--allow-uri", g.allow_uris,
                 "only contact libvirt/ssh URIs matching these patterns, component by "
                 "component (also MVT_ALLOW_URIS)");
  app.add_option("--allow-uri-param", g.allow_uri_params,
                 "allow this libvirt URI query parameter (refused by default: command, socket, "
                 "keyfile...; also MVT_ALLOW_URI_PARAMS)");
  app.add_option("--allow-root", g.allow_roots,
                 "only read/write dir: roots inside these directories (also MVT_ALLOW_ROOTS)");

  app.add_option("--parallel", g.parallel,
                 "hosts observed at once, one libvirt connection each (also guest file reads "
                 "per host)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--host-timeout", g.host_timeout,
                 "seconds a host may take to connect and be observed before it is reported "
                 "as not observed and the others go on (0: no limit)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();

  int rc = 0;
  add_validate(app, g, &rc);
  add_show(app, g, &rc);
  add_plan(app, g, &rc);
  add_drift(app, g, &rc);
  add_apply(app, g, &rc);
  add_confirm_rollback(app, g, &rc);

  // Habits CLI11 would misread (`-out=x.plan` as `-o ut=x.plan`): refused before parsing.
  if (const std::string msg =
          single_dash_long_option(app, std::vector<std::string>(argv + 1, argv + argc));
      !msg.empty()) {
    std::cerr << "macvtapctl: error: " << mvt::terminal_safe(msg) << "\n";
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 1;
  } catch (const mvt::Error& e) {
    std::cerr << "macvtapctl: error: " << mvt::terminal_safe(e.what()) << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "macvtapctl: internal error: " << mvt::terminal_safe(e.what()) << "\n";
    return 1;
  }
  return rc;
}
