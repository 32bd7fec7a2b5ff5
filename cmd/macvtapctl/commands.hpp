#pragma once
// Subcommands: each file registers one (thin: parse flags, call lib, render, pick the exit
// code). Exit codes everywhere: 0 success / nothing to do, 1 error, 2 changes pending / drift.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mvt::cli {

// Options shared by every subcommand (DESIGN.md, Command line).
struct GlobalOptions {
  std::vector<std::string> hosts;  // --host NAME (limit to hosts)
  std::string connect;             // --connect URI (override a one-host spec's uri)
  std::string state_dir = "/var/lib/macvtapctl";
  std::string color = "auto";      // auto | always | never
  int verbose = 0;
  // Trust guard (SECURITY.md): allow-lists given outside the spec; plus MVT_ALLOW_URIS /
  // MVT_ALLOW_ROOTS / MVT_ALLOW_URI_PARAMS from the environment.
  std::vector<std::string> allow_uris;
  std::vector<std::string> allow_roots;
  std::vector<std::string> allow_uri_params;  // libvirt URI query parameters allowed by name
  // --parallel N: hosts observed at once, and guests' file sources read at once within a
  // host (observe/parallel_observe.hpp).
  int parallel = 8;
  // --host-timeout SECONDS: a host whose connection and observation take longer is
  // reported as not observed (its call is abandoned) and the others go on; 0: no limit.
  // Apply bounds its connection opens by it too.
  int host_timeout = 120;
};

// Each add_* registers a subcommand on app; when it runs it stores its exit code in *rc.
void add_validate(CLI::App& app, GlobalOptions& g, int* rc);
void add_show(CLI::App& app, GlobalOptions& g, int* rc);
void add_plan(CLI::App& app, GlobalOptions& g, int* rc);
void add_drift(CLI::App& app, GlobalOptions& g, int* rc);
void add_apply(CLI::App& app, GlobalOptions& g, int* rc);
void add_confirm_rollback(CLI::App& app, GlobalOptions& g, int* rc);

}  // namespace mvt::cli
