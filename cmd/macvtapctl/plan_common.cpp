#include "plan_common.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "reconcile/reconcile.hpp"
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

reconcile::Selection selection_for(const GlobalOptions& g) {
  reconcile::Selection sel;
  sel.hosts = g.hosts;
  sel.connect = g.connect;
  sel.guard = guard_for(g);
  return sel;
}

bool narrow_topology(Topology& topo, const GlobalOptions& g, std::ostream& err) {
  Diagnostics d;
  const bool ok = reconcile::select(topo, selection_for(g), d);
  print(err, d);
  return ok;
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

  reconcile::Options o;
  o.parallel = g.parallel;
  o.host_timeout = std::chrono::seconds(g.host_timeout);
  o.spec_digest = spec.digest;
  // Per-host progress on a terminal, for a fleet.
  if (::isatty(2) == 1)
    o.progress = [&err](const HostProgress& p) {
      if (p.total > 1 && p.event != HostProgress::Event::Started) err << format_progress(p) << "\n";
    };
  reconcile::Result r = reconcile::run(std::move(spec.topology), selection_for(g), o);
  print(err, r.diagnostics, g.verbose > 0);
  keep_warnings(run.spec_warnings, r.diagnostics);
  run.changes = std::move(r.changes);
  for (const auto& [n, st] : r.hosts) {
    run.host_observed[n] = st.observed;
    if (st.observed) continue;
    err << "macvtapctl: error: host " << terminal_safe(n) << ": not observed ("
        << terminal_safe(st.uri) << "): " << terminal_safe(st.error)
        << "; it is left out, the other hosts are planned\n";
  }
  run.plan = std::move(r.plan);
  run.ok = r.ok;
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
