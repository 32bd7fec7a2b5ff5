#include "plan_common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "diff/diff.hpp"
#include "observe/observe.hpp"
#include "observe/parallel_observe.hpp"
#include "plan/planner.hpp"
#include "render/text.hpp"
#include "spec/guard.hpp"
#include "spec/loader.hpp"
#include "util/diagnostic_groups.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

// Errors one by one; warnings one line per finding (group_diagnostics) unless -v (issue 16:
// 3,000 identical warnings with carets before).
void print(std::ostream& err, const Diagnostics& d, bool verbose = false) {
  err << format_diagnostics(d.items(), verbose);
}

void keep_warnings(std::vector<Diagnostic>& into, const Diagnostics& d) {
  for (const auto& x : d.items())
    if (x.severity == Severity::Warning) into.push_back(x);
}

}  // namespace

bool stdout_colour(const GlobalOptions& g) {
  return render::colour_wanted(g.color, ::isatty(1) == 1, std::getenv("NO_COLOR"));
}

bool narrow_topology(Topology& topo, const GlobalOptions& g, std::ostream& err) {
  // --host: keep only the named hosts.
  if (!g.hosts.empty()) {
    bool bad = false;
    for (const auto& h : g.hosts)
      if (!topo.hosts.count(h)) {
        std::string known;
        for (const auto& [n, _] : topo.hosts) known += (known.empty() ? "" : ", ") + n;
        err << "macvtapctl: error: --host " << h << ": no such host in the spec (hosts: " << known
            << ")\n";
        bad = true;
      }
    if (bad) return false;
    for (auto it = topo.hosts.begin(); it != topo.hosts.end();)
      if (std::find(g.hosts.begin(), g.hosts.end(), it->first) == g.hosts.end())
        it = topo.hosts.erase(it);
      else
        ++it;
  }
  // --connect: only for a one-host spec (after --host).
  if (!g.connect.empty()) {
    if (topo.hosts.size() != 1) {
      err << "macvtapctl: error: --connect needs exactly one host (the spec has "
          << topo.hosts.size() << "; use --host NAME)\n";
      return false;
    }
    topo.hosts.begin()->second.uri = g.connect;
    topo.hosts.begin()->second.pos["uri"] = SourcePos{"--connect"};
  }
  Diagnostics gd;
  check_guard(topo, guard_for(g), gd);
  print(err, gd);
  return !gd.has_errors();
}

Guard guard_for(const GlobalOptions& g) {
  Guard guard;
  guard.uris = g.allow_uris;
  guard.roots = g.allow_roots;
  guard.uri_params = g.allow_uri_params;
  guard.add_from_environment();
  return guard;
}

PlanRun compute_plan(const std::vector<std::string>& paths, const GlobalOptions& g,
                     std::ostream& err) {
  PlanRun run;
  auto spec = spec::load(paths);
  print(err, spec.diagnostics, g.verbose > 0);
  keep_warnings(run.spec_warnings, spec.diagnostics);
  if (spec.diagnostics.has_errors()) return run;
  Topology topo = std::move(spec.topology);

  if (!narrow_topology(topo, g, err)) return run;

  ObserveOptions oo;
  oo.read_only = true;
  oo.file_parallel = g.parallel;
  oo.keep_domain_xml = false;  // only their SHA-256 (the fingerprints) is used from here on
  // Hosts in parallel (--parallel, one connection each); per-host progress on a terminal.
  ParallelOptions po;
  po.parallel = g.parallel;
  if (topo.hosts.size() > 1 && ::isatty(2) == 1)
    po.progress = [&err](const HostProgress& p) {
      if (p.event != HostProgress::Event::Started) err << format_progress(p) << "\n";
    };
  Observation obs;
  try {
    obs = observe_parallel(topo, oo, po);
  } catch (const Error& e) {
    err << "macvtapctl: error: " << terminal_safe(e.what()) << "\n";
    return run;
  }
  run.changes = diff::compute(topo, obs);
  // The changes hold all that is needed from here on: free the observation and the topology
  // before the plan is built, so that their memory is reused (at 10,000 guests ~100 MB).
  obs = Observation{};
  topo = Topology{};
  print(err, run.changes.diagnostics, g.verbose > 0);
  keep_warnings(run.spec_warnings, run.changes.diagnostics);
  bool any_failed = false;
  for (const auto& [n, st] : run.changes.hosts) {
    run.host_observed[n] = st.observed;
    if (st.observed) continue;
    any_failed = true;
    err << "macvtapctl: error: host " << terminal_safe(n) << ": not observed ("
        << terminal_safe(st.uri) << "): " << terminal_safe(st.error)
        << "; it is left out, the other hosts are planned\n";
  }
  // Every error of the diff belongs to a host that failed (diff::compute); an error without
  // one would be a bug, and is fatal rather than silently planned past.
  if (run.changes.diagnostics.has_errors() && !any_failed) return run;
  run.plan = plan::make_plan(run.changes, spec.digest);
  run.ok = true;
  return run;
}

void write_file_atomic(const std::string& path, const std::string& bytes, unsigned mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw SystemError("cannot create a temporary file next to " + path, errno);
  auto fail = [&](const char* what) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw SystemError(std::string(what) + " " + path, e);
  };
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) fail("cannot set the mode of");
  if (::fsync(fd) != 0) fail("cannot sync");
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmpl.c_str());
    throw SystemError("cannot close " + path, e);
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmpl.c_str());
    throw SystemError("cannot rename into " + path, e);
  }
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void add_spec_and_format_options(CLI::App* sub, std::vector<std::string>& paths,
                                 std::string& format) {
  sub->add_option("-f,--file", paths,
                  "spec file or directory (every *.yaml inside, lexical order); repeatable")
      ->required();
  sub->add_option("--format", format, "output format")
      ->check(CLI::IsMember({"text", "json", "markdown"}))
      ->capture_default_str();
}

void add_max_bytes_option(CLI::App* sub, std::size_t& max_bytes) {
  sub->add_option("--max-bytes", max_bytes,
                  "size limit of --format markdown, for a PR comment (GitHub: 65536 characters "
                  "with its wrapper): guests' details, then the topology diagram, are left out "
                  "to fit; the summary rows never are")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{100000000}))
      ->capture_default_str();
}

}  // namespace mvt::cli
