// macvtapctl show --connect URI [--host NAME] [--host-files SRC] [--guest-files GUEST=SRC]...
// macvtapctl show -f PATH... [--host NAME]...
// Prints the live topology of one host (--connect) or of every host of a spec (-f: each
// host's URI and file sources, each guest's guest_files) as a spec (YAML) that `validate`
// accepts. Read-only: a read-only libvirt connection, read-only file sources, no command
// inside any guest.
// A host that cannot be observed (unreachable libvirt, malformed domain XML, an unsafe ifcfg
// value) is named at the top of the output ("# host kvm3: NOT OBSERVED (URI): why") and on
// stderr, and the other hosts are printed; nothing is printed when no host could be.
// Exit codes: 0 printed; 1 bad arguments, or any host not observed.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "observe/show_yaml.hpp"
#include "observe/to_topology.hpp"
#include "plan_common.hpp"
#include "reconcile/reconcile.hpp"
#include "spec/loader.hpp"
#include "util/diagnostics.hpp"
#include "util/errors.hpp"

namespace mvt::cli {
namespace {

struct ShowOptions {
  std::vector<std::string> paths;  // -f: the hosts of a spec
  std::string host_files;
  std::vector<std::string> guest_files;  // GUEST=SRC
};

bool valid_name(const std::string& n) {
  return !n.empty() && n.front() != '-' && n.find_first_of("/ \t\n:") == std::string::npos &&
         n != "." && n != "..";
}

// The host name for a URI: its host part (qemu+ssh://root@kvm1/system -> kvm1); for a
// test-driver file, the file's stem; else this machine's short host name.
std::string host_name_for(const std::string& uri) {
  const auto scheme_end = uri.find("://");
  if (scheme_end != std::string::npos) {
    std::string rest = uri.substr(scheme_end + 3);
    rest = rest.substr(0, rest.find_first_of("/?"));
    if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    if (!rest.empty() && rest.front() != '[') rest = rest.substr(0, rest.find(':'));
    if (valid_name(rest)) return rest;
  }
  if (uri.rfind("test:", 0) == 0) {
    const std::string path = uri.substr(uri.find_first_not_of('/', 5) - 1);
    std::string stem = std::filesystem::path(path).stem().string();
    if (valid_name(stem)) return stem;
  }
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) == 0) {
    std::string h = buf;
    h = h.substr(0, h.find('.'));
    if (valid_name(h)) return h;
  }
  return "localhost";
}

// Parses a source; a relative dir: path is made absolute against the working directory.
std::optional<FileSourceSpec> source(const std::string& text) {
  auto s = FileSourceSpec::parse(text);
  if (s && s->kind == FileSourceKind::Dir)
    s->path = std::filesystem::absolute(s->path).lexically_normal().string();
  return s;
}

// test:REL -> test:///ABS, as the spec loader does.
std::string resolve_uri(const std::string& uri) {
  if (uri.rfind("test:", 0) == 0 && uri.rfind("test://", 0) != 0)
    return "test://" + std::filesystem::absolute(uri.substr(5)).lexically_normal().string();
  return uri;
}

// The hosts to read from --connect and --host-files/--guest-files: one host.
bool want_from_connect(const GlobalOptions& g, const ShowOptions& o, Topology& want) {
  if (g.connect.empty()) {
    std::cerr << "macvtapctl: error: show needs --connect URI (or -f SPEC)\n";
    return false;
  }
  if (g.hosts.size() > 1) {
    std::cerr << "macvtapctl: error: show reads one host: give at most one --host NAME\n";
    return false;
  }
  Host host;
  host.uri = resolve_uri(g.connect);
  host.pos["uri"] = SourcePos{"--connect"};
  host.name = g.hosts.empty() ? host_name_for(host.uri) : g.hosts.front();
  if (!valid_name(host.name)) {
    std::cerr << "macvtapctl: error: invalid host name '" << host.name << "'\n";
    return false;
  }
  if (!o.host_files.empty()) {
    auto s = source(o.host_files);
    if (!s) {
      std::cerr << "macvtapctl: error: --host-files: invalid file source '" << o.host_files
                << "' (local | dir:PATH | ssh://user@host | agent | none)\n";
      return false;
    }
    host.files = *s;
  }
  for (const auto& gf : o.guest_files) {
    const auto eq = gf.find('=');
    std::optional<FileSourceSpec> s;
    if (eq != std::string::npos) s = source(gf.substr(eq + 1));
    if (eq == std::string::npos || !valid_name(gf.substr(0, eq)) || !s) {
      std::cerr << "macvtapctl: error: --guest-files: expected GUEST=SRC, got '" << gf << "'\n";
      return false;
    }
    Guest guest;
    guest.name = gf.substr(0, eq);
    guest.guest_files = *s;
    host.guests[guest.name] = guest;
  }
  want.hosts[host.name] = host;
  return true;
}

// The hosts of a spec (-f); the pipeline narrows them by --host/--connect.
bool want_from_spec(const ShowOptions& o, Topology& want) {
  if (!o.host_files.empty() || !o.guest_files.empty()) {
    std::cerr << "macvtapctl: error: show -f takes the file sources from the spec: "
                 "--host-files and --guest-files do not apply\n";
    return false;
  }
  auto spec = spec::load(o.paths);
  for (const auto& d : spec.diagnostics.items()) std::cerr << format_diagnostic(d) << "\n";
  if (spec.diagnostics.has_errors()) return false;
  want = std::move(spec.topology);
  return true;
}

int run_show(const GlobalOptions& g, const ShowOptions& o) {
  Topology want;
  if (!(o.paths.empty() ? want_from_connect(g, o, want) : want_from_spec(o, want))) return 1;

  // The pipeline up to the observation: the trust guard (and, for -f, --host/--connect),
  // then every host observed read-only.
  reconcile::Selection sel = selection_for(g);
  if (o.paths.empty()) {  // --connect and --host made `want` already: the guard only
    sel.hosts.clear();
    sel.connect.clear();
  }
  reconcile::Options ro;
  ro.until = reconcile::Until::Observe;
  ro.parallel = g.parallel;
  ro.host_timeout = std::chrono::seconds(g.host_timeout);
  ro.keep_domain_xml = true;
  reconcile::Result r = reconcile::run(std::move(want), sel, ro);
  for (const auto& d : r.diagnostics.items()) std::cerr << format_diagnostic(d) << "\n";
  if (!r.ok) return 1;
  const Observation& obs = r.observation;
  Diagnostics diags;
  std::map<std::string, std::string> failed;
  Topology live = to_topology(obs, diags, &failed);
  diags.sort();
  for (const auto& d : diags.items()) std::cerr << format_diagnostic(d) << "\n";
  // Each host that could not be observed: named on stderr and at the top of the output.
  std::string block;
  for (const auto& [name, why] : failed) {
    auto it = obs.hosts.find(name);
    const std::string uri = it != obs.hosts.end() ? it->second.uri : "";
    const std::string line = "host " + terminal_safe(name) + ": NOT OBSERVED (" +
                             terminal_safe(uri) + "): " + terminal_safe(why);
    std::cerr << "macvtapctl: error: " << line << "\n";
    block += "# " + line + "\n";
  }
  if (!live.hosts.empty()) {
    if (!block.empty())
      block += "# (not shown below: the other hosts are)\n";
    std::cout << block << show_yaml(live, obs);
  }
  return failed.empty() && !diags.has_errors() ? 0 : 1;
}

}  // namespace

void add_show(CLI::App& app, GlobalOptions& g, int* rc) {
  auto opts = std::make_shared<ShowOptions>();
  auto* sub = app.add_subcommand(
      "show", "print a host's live state (libvirt domains, host and guest ifcfg) as a spec");
  sub->add_option("-f,--file", opts->paths,
                  "read every host of this spec (its URIs and file sources) instead of "
                  "--connect; repeatable");
  sub->add_option("--host-files", opts->host_files,
                  "host file source: local | dir:PATH | none (ifcfg and NIC facts)");
  sub->add_option("--guest-files", opts->guest_files,
                  "a guest's file source, GUEST=SRC (repeatable), e.g. web1=dir:/mnt/web1");
  sub->footer("Needs the global --connect URI (--host NAME names the host in the output), or "
              "-f SPEC (--host NAME limits it to those hosts).");
  sub->callback([&g, rc, opts] { *rc = run_show(g, *opts); });
}

}  // namespace mvt::cli
