// macvtapctl_bench: how close `macvtapctl plan` runs to libvirt's own floor, how it scales,
// and how it compares with the `virsh dumpxml` loop people write today (issue 7).
//
//   macvtapctl_bench --guests 1000,10000 --uri qemu:///system
//   macvtapctl_bench --guests 1000 --hosts 4 --uri test      (libvirt test driver, no root)
//
// For each size: generate the topology (spec, dir: roots, test-driver node files or defined
// mvtbench-NNNNN domains on libvirtd), then, interleaved, R runs of
//   (a) floor   in-process: open, virConnectListAllDomains, GetXMLDesc(INACTIVE) for each
//   (b) tool    `macvtapctl plan -f spec.yaml` as a child: wall time (spawn to exit) and
//               peak RSS (wait4 ru_maxrss)
//   (c) virsh   `virsh -c URI list --all --name`, then `virsh -c URI dumpxml NAME` per
//               domain, spawned one by one; with --virsh-sample K only K domains are timed
//               and the per-domain cost is extrapolated to all of them (said in the output)
// and, once, (d) apply: `macvtapctl apply` of A config-only interface additions against the
// floor of A virDomainDefineXML calls, and (e) bounded inputs (issue 12): `macvtapctl
// validate` of a 1 MB spec of 100,000 unknown keys, and `macvtapctl plan` of one guest
// (test driver, dir: roots) whose ifcfg file has 200,000 lines. Every figure is the median
// of the runs. --inputs-only runs (e) alone (no libvirtd, no root).
// (f) with --fleet HxG (issue 17 point 3): H hosts of G guests, each its own libvirtd in a
// network namespace behind a link of 10 ms RTT (bench_fleet.hpp), plus unreachable ones:
// plan of each host alone, plan and drift of all at once, the same with the unreachable
// hosts and --host-timeout, apply of one change per host; with the CPU of the tool, the
// daemons and the links (they share this machine's cores).
// The mvtbench-* domains are undefined at the end, on failure and on SIGINT/SIGTERM, unless
// --keep (then the next run reuses the ones that are defined identically).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "bench_fleet.hpp"
#include "bench_libvirt.hpp"
#include "bench_measure.hpp"
#include "bench_topology.hpp"
#include "xml/domain_xml_edit.hpp"

namespace fs = std::filesystem;
using namespace mvt::bench;

namespace {

struct Options {
  std::vector<int> guests{1000, 10000};
  int hosts = 1;
  int interfaces = 3;
  std::string uri = "qemu:///system";  // or "test": generated test-driver node files
  int runs = 3;
  int virsh_sample = 200;  // 0: every domain
  int apply_guests = 1000; // 0: skip (d)
  std::string workdir = "/var/tmp/mvtbench";
  std::string macvtapctl;
  std::string tool = "plan";
  std::vector<std::string> tool_args;
  bool keep = false;
  bool inputs = true;        // (e)
  bool inputs_only = false;  // (e) alone
  // Which generated shapes (bench_topology.hpp): the clean one (no warning, no change) and
  // the realistic one (issue 17 point 1); both by default, clean first.
  std::vector<bool> realistic{false, true};
  // (f) the fleet over real links (issue 17 point 3): H hosts x G guests, each host its own
  // libvirtd in a network namespace behind a 10 ms RTT link (bench_fleet.hpp).
  int fleet_hosts = 0;  // 0: no fleet figures
  int fleet_guests = 0;  // per host
  int fleet_unreachable = 1;
  int fleet_timeout = 5;   // --host-timeout of the runs with an unreachable host
  int fleet_parallel = 0;  // --parallel of the fleet runs; 0: one per host
  double fleet_rtt_ms = 10;
  bool fleet_only = false;
  bool fleet_hold = false;  // bring the fleet up, write its specs, wait for SIGINT (profiling)
};

void usage() {
  std::cout <<
      "usage: macvtapctl_bench [options]\n"
      "  --guests N[,N...]     sizes, guests in total (default 1000,10000)\n"
      "  --hosts H             hosts (test driver only; default 1)\n"
      "  --interfaces N        direct interfaces per guest (default 3)\n"
      "  --uri URI|test        libvirtd URI (default qemu:///system) or generated test-driver\n"
      "                        node files, one per host\n"
      "  --runs R              runs per figure, the median is reported (default 3)\n"
      "  --virsh-sample K      time K domains of the virsh loop and extrapolate (default 200;\n"
      "                        0 = all)\n"
      "  --apply-guests A      config-only additions for the apply figure (default 1000;\n"
      "                        0 = skip; real libvirtd only)\n"
      "  --workdir DIR         generated files (default /var/tmp/mvtbench)\n"
      "  --macvtapctl PATH     the binary (default: found next to this program)\n"
      "  --tool CMD            subcommand measured as (b) (default plan; `show` runs\n"
      "                        `macvtapctl --connect URI show`: observation only)\n"
      "  --tool-arg ARG        extra argument for it (repeatable)\n"
      "  --keep                keep the mvtbench-* domains for the next run\n"
      "  --inputs-only         only (e): validate a 1 MB spec of 100,000 unknown keys, plan a\n"
      "                        guest whose ifcfg has 200,000 lines (no libvirtd needed)\n"
      "  --no-inputs           skip (e)\n"
      "  --fleet HxG           (f): H hosts of G guests each, every host its own libvirtd in a\n"
      "                        network namespace reached over TCP across a link with injected\n"
      "                        latency (root; e.g. 20x200)\n"
      "  --fleet-only          only (f)\n"
      "  --fleet-hold          bring the fleet up, write its specs, print their paths and wait\n"
      "                        for Ctrl-C (to profile the tool by hand)\n"
      "  --fleet-unreachable U hosts whose link drops every packet, added for the unreachable\n"
      "                        runs (default 1)\n"
      "  --fleet-timeout S     --host-timeout of those runs (default 5)\n"
      "  --fleet-parallel P    --parallel of the fleet runs (default: every host at once)\n"
      "  --fleet-rtt MS        the links' round-trip time (default 10)\n"
      "  --mode clean|realistic|both\n"
      "                        the generated topology (default both): clean matches the live\n"
      "                        state exactly; realistic spreads guests over a `config: host`\n"
      "                        and an unconfigured NIC (warnings), mixes modes, models, ifcfg\n"
      "                        and keyfile guests, and leaves ~15 % of the guests with a change\n";
}

std::vector<int> parse_list(const std::string& s) {
  std::vector<int> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    auto value = [&]() -> std::string {
      if (k + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++k];
    };
    if (a == "--guests") o.guests = parse_list(value());
    else if (a == "--hosts") o.hosts = std::stoi(value());
    else if (a == "--interfaces") o.interfaces = std::stoi(value());
    else if (a == "--uri") o.uri = value();
    else if (a == "--runs") o.runs = std::max(1, std::stoi(value()));
    else if (a == "--virsh-sample") o.virsh_sample = std::stoi(value());
    else if (a == "--apply-guests") o.apply_guests = std::stoi(value());
    else if (a == "--workdir") o.workdir = value();
    else if (a == "--macvtapctl") o.macvtapctl = value();
    else if (a == "--tool") o.tool = value();
    else if (a == "--tool-arg") o.tool_args.push_back(value());
    else if (a == "--keep") o.keep = true;
    else if (a == "--inputs-only") o.inputs_only = true;
    else if (a == "--no-inputs") o.inputs = false;
    else if (a == "--fleet") {
      const std::string v = value();
      const auto x = v.find('x');
      if (x == std::string::npos) throw std::runtime_error("--fleet wants HxG, e.g. 20x200");
      o.fleet_hosts = std::stoi(v.substr(0, x));
      o.fleet_guests = std::stoi(v.substr(x + 1));
      if (o.fleet_hosts < 1 || o.fleet_guests < 1) throw std::runtime_error("--fleet wants HxG >= 1x1");
    }
    else if (a == "--fleet-only") o.fleet_only = true;
    else if (a == "--fleet-hold") o.fleet_only = o.fleet_hold = true;
    else if (a == "--fleet-unreachable") o.fleet_unreachable = std::stoi(value());
    else if (a == "--fleet-timeout") o.fleet_timeout = std::stoi(value());
    else if (a == "--fleet-parallel") o.fleet_parallel = std::stoi(value());
    else if (a == "--fleet-rtt") o.fleet_rtt_ms = std::stod(value());
    else if (a == "--mode") {
      const std::string m = value();
      if (m == "clean") o.realistic = {false};
      else if (m == "realistic") o.realistic = {true};
      else if (m == "both") o.realistic = {false, true};
      else throw std::runtime_error("--mode must be clean, realistic or both");
    }
    else if (a == "-h" || a == "--help") { usage(); std::exit(0); }
    else throw std::runtime_error("unknown option " + a + " (see --help)");
  }
  if (o.fleet_only && o.fleet_hosts == 0) throw std::runtime_error("--fleet-only needs --fleet HxG");
  if (o.uri != "test" && o.hosts != 1 && !o.inputs_only)
    throw std::runtime_error("--hosts > 1 needs --uri test (one libvirtd is one host)");
  std::sort(o.guests.begin(), o.guests.end());
  if (o.macvtapctl.empty()) {
    const fs::path self = fs::read_symlink("/proc/self/exe").parent_path();
    for (const auto& c : {self / "macvtapctl", self.parent_path() / "macvtapctl"})
      if (fs::exists(c)) { o.macvtapctl = c.string(); break; }
    if (o.macvtapctl.empty()) throw std::runtime_error("macvtapctl not found: give --macvtapctl");
  }
  return o;
}

std::string fmt_s(double s) {
  char b[32];
  std::snprintf(b, sizeof b, s < 10 ? "%.3f" : "%.1f", s);
  return b;
}
std::string fmt_x(double r) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", r);
  return b;
}

struct SizeResult {
  std::string mode;  // "clean" | "realistic"
  int guests = 0;
  int hosts = 0;
  int domains_seen = 0;
  double floor_s = 0;
  double tool_s = 0;
  long tool_rss_kb = 0;
  int tool_exit = 0;
  std::string tool_summary;  // last line of the tool's stdout
  double virsh_s = 0;
  int virsh_timed = 0;       // domains actually spawned for
  bool virsh_extrapolated = false;
};

struct ApplyResult {
  int guests = 0;
  double floor_define_s = 0;
  double apply_s = 0;
  int apply_exit = 0;
  std::string note;
};

std::string last_line(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

void log(const std::string& s) { std::cerr << "[bench] " << s << std::endl; }

// (c): `virsh list --all --name`, then `virsh dumpxml NAME` for `sample` of the names.
double virsh_loop(const std::string& uri, const std::vector<std::string>& names, int sample,
                  int* timed) {
  double list_s = seconds_of([&] {
    auto r = run_child({"virsh", "-c", uri, "list", "--all", "--name"});
    if (r.exit_code != 0) throw std::runtime_error("virsh list failed");
  });
  std::vector<std::string> pick;
  if (sample <= 0 || sample >= static_cast<int>(names.size())) {
    pick = names;
  } else {
    for (int k = 0; k < sample; ++k)
      pick.push_back(names[static_cast<std::size_t>(k) * names.size() / static_cast<std::size_t>(sample)]);
  }
  double each_s = 0;
  for (const auto& n : pick) {
    check_interrupted();
    each_s += seconds_of([&] {
      auto r = run_child({"virsh", "-c", uri, "dumpxml", n});
      if (r.exit_code != 0) throw std::runtime_error("virsh dumpxml " + n + " failed");
    });
  }
  *timed = static_cast<int>(pick.size());
  return list_s + each_s * static_cast<double>(names.size()) / static_cast<double>(pick.size());
}

SizeResult measure_size(const Options& o, int guests, bool realistic,
                        std::optional<ApplyResult>* apply) {
  SizeResult res;
  Shape s{o.uri == "test" ? o.hosts : 1, guests, o.interfaces, realistic};
  res.mode = mode_name(s);
  res.guests = guests;
  res.hosts = s.hosts;
  const fs::path dir = fs::path(o.workdir) / ("g" + std::to_string(guests) + "-h" +
                                              std::to_string(s.hosts) + "-i" +
                                              std::to_string(s.interfaces) +
                                              (realistic ? "-realistic" : ""));
  fs::create_directories(dir);
  std::vector<std::string> uris;
  if (o.uri == "test") {
    for (int h = 0; h < s.hosts; ++h) {
      const fs::path node = dir / ("node-" + host_name(h) + ".xml");
      std::ofstream(node, std::ios::trunc) << test_node_xml(h, s);
      uris.push_back("test://" + fs::absolute(node).string());
    }
  } else {
    uris.push_back(o.uri);
  }
  const int add = (apply && o.uri != "test") ? std::min(o.apply_guests, guests) : 0;
  double gen_s = 0;
  GeneratedFiles files;
  gen_s = seconds_of([&] { files = write_fixture(dir, s, uris, add); });
  log("generated " + dir.string() + " (" + std::to_string(files.files_written) + " files, " +
      fmt_s(gen_s) + " s)");
  if (o.uri != "test") {
    FixtureStats st;
    const double def_s = seconds_of([&] {
      st = ensure_domains(o.uri, s, [](int done, int total) {
        log("  defined " + std::to_string(done) + "/" + std::to_string(total));
      });
    });
    log("domains on " + o.uri + ": " + std::to_string(st.reused) + " reused, " +
        std::to_string(st.defined) + " defined, " + std::to_string(st.removed) + " removed (" +
        fmt_s(def_s) + " s)");
  }

  std::vector<std::string> names;
  for (int i = 0; i < guests; ++i) names.push_back(guest_name(i));

  std::vector<double> floor_t, tool_t, virsh_t;
  std::vector<long> rss;
  // `show` reads live state only (no spec): it stands in for plan's observation half.
  std::vector<std::string> argv =
      o.tool == "show" ? std::vector<std::string>{o.macvtapctl, "--connect", uris.front(), "show"}
                       : std::vector<std::string>{o.macvtapctl, o.tool, "-f", files.spec.string()};
  for (const auto& a : o.tool_args) argv.push_back(a);
  const std::string out_path = (dir / "tool.out").string();
  const std::string err_path = (dir / "tool.err").string();
  // Settle before timing: defining thousands of domains leaves libvirtd's config files being
  // written back (the first runs after it measured up to 2x slower, floor and tool alike, but
  // not equally), and the first run of either pays for cold caches. One untimed round of
  // each, after a sync; every timed run then starts from the same state.
  ::sync();
  floor_list_xml(uris);
  run_child(argv, out_path, err_path);
  log("settled: sync, one untimed floor and " + o.tool + " run");
  for (int r = 0; r < o.runs; ++r) {
    check_interrupted();
    FloorResult fl;
    floor_t.push_back(seconds_of([&] { fl = floor_list_xml(uris); }));
    res.domains_seen = fl.domains;
    check_interrupted();
    const auto c = run_child(argv, out_path, err_path);
    tool_t.push_back(c.wall_s);
    rss.push_back(c.max_rss_kb);
    res.tool_exit = c.exit_code;
    check_interrupted();
    if (o.uri != "test" || s.hosts == 1) {
      virsh_t.push_back(virsh_loop(uris.front(), names, o.virsh_sample, &res.virsh_timed));
    }
    log("run " + std::to_string(r + 1) + ": floor " + fmt_s(floor_t.back()) + " s, " + o.tool +
        " " + fmt_s(tool_t.back()) + " s (exit " + std::to_string(c.exit_code) + ", " +
        std::to_string(c.max_rss_kb / 1024) + " MB)" +
        (virsh_t.empty() ? "" : ", virsh " + fmt_s(virsh_t.back()) + " s"));
  }
  res.floor_s = median(floor_t);
  res.tool_s = median(tool_t);
  res.tool_rss_kb = median(rss);
  res.virsh_s = median(virsh_t);
  res.virsh_extrapolated = res.virsh_timed < guests;
  res.tool_summary = last_line(out_path);
  if (res.tool_exit != 0 && res.tool_exit != 2)
    log(o.tool + " failed (exit " + std::to_string(res.tool_exit) + "): " + last_line(err_path));

  if (add > 0) {
    ApplyResult ar;
    ar.guests = add;
    std::vector<std::string> an(names.begin(), names.begin() + add);
    const auto originals = inactive_xml_of(o.uri, an);
    std::vector<std::string> added, restore;
    for (int i = 0; i < add; ++i) {
      const auto& base = originals.at(guest_name(i));
      const auto ifs = guest_interfaces(i, s, true);
      added.push_back(mvt::xml::add_interface(base, mvt::xml::interface_xml(ifs.back(), *ifs.back().mac)));
      restore.push_back(base);
    }
    std::vector<double> fd, ap;
    const fs::path state = dir / "state";
    for (int r = 0; r < o.runs; ++r) {
      check_interrupted();
      ::sync();  // each timed round starts with nothing left to write back (see above)
      fd.push_back(seconds_of([&] { floor_define(o.uri, added); }));
      floor_define(o.uri, restore);
      fs::remove_all(state);
      ::sync();
      const auto c = run_child({o.macvtapctl, "--state-dir", state.string(), "apply", "-f",
                                files.spec_add.string(), "--yes"},
                               (dir / "apply.out").string(), (dir / "apply.err").string());
      ap.push_back(c.wall_s);
      ar.apply_exit = c.exit_code;
      floor_define(o.uri, restore);
      for (int i = 0; i < add; ++i)  // a file apply may have created for the extra interface
        fs::remove(dir / "guests" / guest_name(i) / mvt::ifcfg::kDir /
                   ("ifcfg-ens" + std::to_string(3 + s.interfaces)));
      log("apply run " + std::to_string(r + 1) + ": define floor " + fmt_s(fd.back()) +
          " s, apply " + fmt_s(ap.back()) + " s (exit " + std::to_string(c.exit_code) + ")");
    }
    ar.floor_define_s = median(fd);
    ar.apply_s = median(ap);
    if (ar.apply_exit != 0) ar.note = last_line((dir / "apply.err").string());
    *apply = ar;
  }
  return res;
}

// (f) the fleet over real links (issue 17 point 3). Each host is its own libvirtd behind a
// link with the given RTT (bench_fleet.hpp); plan and drift run over the realistic shape,
// apply over the clean one (one interface added on one guest of each host).
struct FleetRun {
  double wall_s = 0;
  int exit_code = 0;
  long rss_kb = 0;
  std::string said;  // last line of stdout
  // CPU seconds during the run: the tool's, the daemons' and the links' (they all share
  // this machine's cores; real hosts would not).
  double cpu_tool = 0, cpu_daemons = 0, cpu_links = 0;
};
struct FleetResult {
  int hosts = 0, guests = 0, unreachable = 0, parallel = 0, timeout_s = 0;
  double rtt_ms = 0;        // measured: one TCP handshake to host 0
  double setup_s = 0;       // namespaces, links and daemons
  double floor_one_s = 0;   // the C API, one call at a time, host 0
  double single_slowest_s = 0, single_median_s = 0;  // `plan` of one host alone
  FleetRun single_slowest;  // the slowest one's run (its CPU figures)
  std::string single_slowest_host;
  FleetRun plan, drift, plan_unreachable, drift_unreachable, apply;
  double apply_single_s = 0;  // apply of host 0's one change alone
};

FleetRun median_run(std::vector<FleetRun> v) {
  std::sort(v.begin(), v.end(), [](const FleetRun& a, const FleetRun& b) { return a.wall_s < b.wall_s; });
  return v[v.size() / 2];
}

FleetResult measure_fleet(const Options& o) {
  FleetResult res;
  res.hosts = o.fleet_hosts;
  res.guests = o.fleet_guests;
  res.unreachable = o.fleet_unreachable;
  res.parallel = o.fleet_parallel > 0 ? o.fleet_parallel : o.fleet_hosts + o.fleet_unreachable;
  res.timeout_s = o.fleet_timeout;
  const fs::path base = fs::absolute(fs::path(o.workdir) / "fleet");
  fs::create_directories(base);
  fs::permissions(o.workdir, fs::perms(0755));  // the daemons (uid 65534) read node files
  FleetOptions fo;
  fo.hosts = o.fleet_hosts;
  fo.unreachable = o.fleet_unreachable;
  fo.one_way_delay = std::chrono::microseconds(static_cast<long>(o.fleet_rtt_ms * 500.0));
  fo.workdir = base;
  std::unique_ptr<Fleet> fleet;
  res.setup_s = seconds_of([&] { fleet = std::make_unique<Fleet>(fo); });
  res.rtt_ms = static_cast<double>(fleet->measured_rtt(0).count()) / 1000.0;
  log("(f) fleet up: " + std::to_string(fleet->total()) + " libvirtd (" +
      std::to_string(o.fleet_unreachable) + " unreachable), " + fmt_s(res.setup_s) +
      " s; RTT to host 0: " + fmt_x(res.rtt_ms) + " ms");

  // The fixtures: realistic (plan, drift) and clean (apply), node files readable by the
  // daemons.
  auto fixture = [&](bool realistic, int add) {
    Shape s{o.fleet_hosts, o.fleet_hosts * o.fleet_guests, o.interfaces, realistic};
    const fs::path dir = base / (std::to_string(s.hosts) + "x" + std::to_string(o.fleet_guests) +
                                 "-" + mode_name(s));
    fs::create_directories(dir);
    std::vector<std::string> uris;
    for (int h = 0; h < s.hosts; ++h) {
      const fs::path node = dir / ("node-" + host_name(h) + ".xml");
      std::ofstream(node, std::ios::trunc) << test_node_xml(h, s);
      fs::permissions(node, fs::perms(0644));
      uris.push_back(fleet->uri(h, node));
    }
    const GeneratedFiles files = write_fixture(dir, s, uris, add);
    return std::make_tuple(s, dir, uris, files);
  };
  const auto [rs, rdir, ruris, rfiles] = fixture(true, 0);
  const auto [cs, cdir, curis, cfiles] = fixture(false, o.fleet_hosts);  // one guest per host
  std::vector<fs::path> single;
  for (int h = 0; h < rs.hosts; ++h) single.push_back(write_host_spec(rdir, rs, ruris, h));
  // spec.yaml and, after it, the unreachable hosts (a guest each), whose links drop packets.
  const fs::path spec_unreachable = rdir / "spec-unreachable.yaml";
  {
    std::ifstream in(rfiles.spec);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (int u = 0; u < o.fleet_unreachable; ++u) {
      const int h = o.fleet_hosts + u;
      text += "  " + host_name(h) + ":\n    uri: \"" + fleet->uri(h, rdir / ("node-" + host_name(0) + ".xml")) +
              "\"\n    nics:\n      em2: {config: unconfigured}\n    guests:\n      mvtbench-lost" +
              std::to_string(u) + ":\n        interfaces:\n          - name: ens3\n"
              "            direct: {dev: em2, mode: private}\n";
    }
    std::ofstream(spec_unreachable, std::ios::trunc) << text;
  }
  if (o.fleet_hold) {
    std::cout << "fleet up: " << rfiles.spec.string() << " (every host), "
              << spec_unreachable.string() << " (and the unreachable ones), " << single.front().string()
              << " (one host), " << cfiles.spec_add.string() << " (apply); Ctrl-C ends it" << std::endl;
    for (;;) {
      check_interrupted();
      ::usleep(200000);
    }
  }
  const std::string par = std::to_string(res.parallel);
  const std::string out = (rdir / "tool.out").string(), err = (rdir / "tool.err").string();
  auto tool = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{o.macvtapctl, "--parallel", par, "--host-timeout",
                                  std::to_string(o.fleet_timeout)};
    argv.insert(argv.end(), args.begin(), args.end());
    const Fleet::Cpu before = fleet->cpu();
    const auto c = run_child(argv, out, err);
    const Fleet::Cpu after = fleet->cpu();
    return FleetRun{c.wall_s, c.exit_code, c.max_rss_kb, last_line(out), c.cpu_s,
                    after.daemons - before.daemons, after.links - before.links};
  };
  ::sync();
  tool({"plan", "-f", rfiles.spec.string()});  // settle
  std::vector<FleetRun> plan, drift, plan_u, drift_u;
  std::vector<double> floor_t, single_max, single_med;
  for (int r = 0; r < o.runs; ++r) {
    check_interrupted();
    floor_t.push_back(seconds_of([&] { floor_list_xml({ruris.front()}); }));
    std::vector<double> one;
    double worst = 0;
    for (int h = 0; h < rs.hosts; ++h) {
      check_interrupted();
      const auto c = tool({"plan", "-f", single[static_cast<std::size_t>(h)].string()});
      one.push_back(c.wall_s);
      if (c.wall_s > worst) {
        worst = c.wall_s;
        res.single_slowest_host = host_name(h);
        res.single_slowest = c;
      }
    }
    single_max.push_back(worst);
    single_med.push_back(median(one));
    plan.push_back(tool({"plan", "-f", rfiles.spec.string()}));
    drift.push_back(tool({"drift", "-f", rfiles.spec.string()}));
    plan_u.push_back(tool({"plan", "-f", spec_unreachable.string()}));
    drift_u.push_back(tool({"drift", "-f", spec_unreachable.string()}));
    log("(f) run " + std::to_string(r + 1) + ": slowest single host " + fmt_s(worst) +
        " s; plan " + fmt_s(plan.back().wall_s) + " s, drift " + fmt_s(drift.back().wall_s) +
        " s; with " + std::to_string(o.fleet_unreachable) + " unreachable: plan " +
        fmt_s(plan_u.back().wall_s) + " s (exit " + std::to_string(plan_u.back().exit_code) +
        "), drift " + fmt_s(drift_u.back().wall_s) + " s");
  }
  res.floor_one_s = median(floor_t);
  res.single_slowest_s = median(single_max);
  res.single_median_s = median(single_med);
  res.plan = median_run(plan);
  res.drift = median_run(drift);
  res.plan_unreachable = median_run(plan_u);
  res.drift_unreachable = median_run(drift_u);

  // apply: one interface added to one guest of each host (the test driver keeps a define
  // for the connection's life: apply's own verification sees it, the next run starts over).
  std::vector<FleetRun> ap;
  std::vector<double> ap1;
  for (int r = 0; r < o.runs; ++r) {
    check_interrupted();
    auto clean_up = [&] {
      for (int i = 0; i < o.fleet_hosts; ++i)
        fs::remove(cdir / "guests" / guest_name(i) / mvt::ifcfg::kDir /
                   ("ifcfg-ens" + std::to_string(3 + o.interfaces)));
    };
    const fs::path state = cdir / "state";
    fs::remove_all(state);
    ap.push_back(tool({"--state-dir", state.string(), "apply", "-f", cfiles.spec_add.string(), "--yes"}));
    clean_up();
    fs::remove_all(state);
    ap1.push_back(tool({"--state-dir", state.string(), "--host", host_name(0), "apply", "-f",
                        cfiles.spec_add.string(), "--yes"}).wall_s);
    clean_up();
    log("(f) apply run " + std::to_string(r + 1) + ": " + std::to_string(o.fleet_hosts) +
        " hosts " + fmt_s(ap.back().wall_s) + " s (exit " + std::to_string(ap.back().exit_code) +
        "), host 0 alone " + fmt_s(ap1.back()) + " s");
  }
  res.apply = median_run(ap);
  res.apply_single_s = median(ap1);
  return res;
}

void report_fleet(const FleetResult& f) {
  const int total_guests = f.hosts * f.guests;
  std::cout << "\n(f) fleet over real links (issue 17 point 3): " << f.hosts << " hosts x "
            << f.guests << " guests (" << total_guests << "), realistic shape; each host its own "
            << "libvirtd in a network namespace, test+tcp:// over a link of " << fmt_x(f.rtt_ms)
            << " ms RTT (measured); --parallel " << f.parallel << "; medians; setup "
            << fmt_s(f.setup_s) << " s\n";
  std::cout << "  one host alone (plan of its own spec): slowest " << fmt_s(f.single_slowest_s)
            << " s (" << f.single_slowest_host << " in the last run), median "
            << fmt_s(f.single_median_s) << " s; libvirt C API, one call at a time (list, "
            << "then each inactive XML), host 0: " << fmt_s(f.floor_one_s) << " s\n";
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto cpu = [&](const FleetRun& r) {
    const double all = r.cpu_tool + r.cpu_daemons + r.cpu_links;
    return "CPU: tool " + fmt_s(r.cpu_tool) + " s, daemons " + fmt_s(r.cpu_daemons) +
           " s, links " + fmt_s(r.cpu_links) + " s; / " + std::to_string(cores) + " cores = " +
           fmt_s(all / cores) + " s";
  };
  std::cout << "  (the slowest single host's " << cpu(f.single_slowest) << ")\n";
  auto line = [&](const char* what, const FleetRun& r) {
    std::cout << "  " << what << ": " << fmt_s(r.wall_s) << " s (exit " << r.exit_code << ", "
              << r.rss_kb / 1024 << " MB; " << cpu(r) << ")";
    if (!r.said.empty()) std::cout << "\n      said: " << r.said;
    std::cout << "\n";
  };
  line("plan, every host", f.plan);
  line("drift, every host", f.drift);
  std::cout << "  with " << f.unreachable << " more host" << (f.unreachable == 1 ? "" : "s")
            << " unreachable (its link drops every packet; --host-timeout " << f.timeout_s << "):\n";
  line("  plan", f.plan_unreachable);
  line("  drift", f.drift_unreachable);
  line("apply, one interface added on one guest of each host", f.apply);
  std::cout << "  apply of host 0's change alone: " << fmt_s(f.apply_single_s) << " s\n";
  std::cout << "  ratios (target <= 1.3): plan/slowest single host = "
            << fmt_x(f.plan.wall_s / f.single_slowest_s) << ", drift/slowest single host = "
            << fmt_x(f.drift.wall_s / f.single_slowest_s) << "; with the unreachable host: "
            << "plan - timeout = " << fmt_s(f.plan_unreachable.wall_s - f.timeout_s)
            << " s, drift - timeout = " << fmt_s(f.drift_unreachable.wall_s - f.timeout_s)
            << " s; apply/(hosts x one host alone) = "
            << fmt_x(f.apply.wall_s / (f.hosts * f.apply_single_s)) << "\n";
}

// (e) bounded inputs (issue 12): linear parsing of hostile sizes, target < 1 s each.
struct InputsResult {
  std::size_t spec_bytes = 0;
  int spec_keys = 0;
  double validate_s = 0;
  int validate_exit = 0;
  std::string validate_said;
  int ifcfg_lines = 0;
  std::size_t ifcfg_bytes = 0;
  double plan_s = 0;
  int plan_exit = 0;
  std::string plan_said;
};

InputsResult measure_inputs(const Options& o) {
  InputsResult res;
  const fs::path dir = fs::path(o.workdir) / "inputs";
  fs::create_directories(dir);
  // A spec of 100,000 keys macvtapctl does not know: one "unknown key" error each, every one
  // placed at its line (a line table, not a rescan of the file per diagnostic).
  res.spec_keys = 100000;
  {
    std::string spec = "# Generated by macvtapctl_bench (e): 100,000 unknown keys.\nversion: 1\n";
    char line[32];
    for (int k = 0; k < res.spec_keys; ++k) {
      std::snprintf(line, sizeof line, "k%06d: 1\n", k);
      spec += line;
    }
    res.spec_bytes = spec.size();
    std::ofstream(dir / "keys.yaml", std::ios::trunc) << spec;
  }
  // One guest on the test driver whose ifcfg-ens3 (managed: address, gateway, DNS1) has
  // 200,000 more lines: comments, unknown keys, DNSn the spec removes.
  const Shape s{1, 1, o.interfaces};
  const fs::path node = dir / "node.xml";
  std::ofstream(node, std::ios::trunc) << test_node_xml(0, s);
  fs::remove(dir / ".generated");  // the guest's files are rewritten every time
  const GeneratedFiles files = write_fixture(dir, s, {"test://" + fs::absolute(node).string()}, 0);
  res.ifcfg_lines = 200000;
  {
    const fs::path ifcfg = dir / "guests" / guest_name(0) / mvt::ifcfg::kDir / "ifcfg-ens3";
    std::ifstream in(ifcfg);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    char line[96];
    for (int k = 0; k < res.ifcfg_lines; ++k) {
      switch (k % 4) {
        case 0: std::snprintf(line, sizeof line, "# note %d\n", k); break;
        case 1: std::snprintf(line, sizeof line, "X_OPTION_%d=\"value %d\"\n", k, k); break;
        case 2: std::snprintf(line, sizeof line, "DNS%d=192.0.2.%d\n", 2 + k, k % 250); break;
        default: std::snprintf(line, sizeof line, "ETHTOOL_%d='-K ens3 tx off'\n", k); break;
      }
      text += line;
    }
    res.ifcfg_bytes = text.size();
    std::ofstream(ifcfg, std::ios::trunc) << text;
  }
  const std::string out = (dir / "tool.out").string(), err = (dir / "tool.err").string();
  auto timed = [&](const std::vector<std::string>& argv, int* exit_code) {
    run_child(argv, out, err);  // settle: one untimed run
    std::vector<double> t;
    for (int r = 0; r < o.runs; ++r) {
      check_interrupted();
      const auto c = run_child(argv, out, err);
      t.push_back(c.wall_s);
      *exit_code = c.exit_code;
    }
    return median(t);
  };
  res.validate_s = timed({o.macvtapctl, "validate", "-f", (dir / "keys.yaml").string()},
                         &res.validate_exit);
  res.validate_said = last_line(err);
  log("(e) validate of " + std::to_string(res.spec_keys) + " unknown keys: " +
      fmt_s(res.validate_s) + " s (exit " + std::to_string(res.validate_exit) + ")");
  res.plan_s = timed({o.macvtapctl, "plan", "-f", files.spec.string()}, &res.plan_exit);
  res.plan_said = last_line(out);
  log("(e) plan of a " + std::to_string(res.ifcfg_lines) + "-line ifcfg: " + fmt_s(res.plan_s) +
      " s (exit " + std::to_string(res.plan_exit) + ")");
  return res;
}

void report_inputs(const InputsResult& r) {
  std::cout << "\n(e) bounded inputs (issue 12; target < 1 s each; medians):\n"
            << "  validate, spec of " << r.spec_keys << " unknown keys (" << r.spec_bytes / 1024
            << " KiB): " << fmt_s(r.validate_s) << " s (exit " << r.validate_exit << ")\n"
            << "  plan, one guest whose ifcfg-ens3 has " << r.ifcfg_lines << " more lines ("
            << r.ifcfg_bytes / 1024 << " KiB): " << fmt_s(r.plan_s) << " s (exit " << r.plan_exit
            << ")\n";
  if (!r.plan_said.empty()) std::cout << "    plan said: " << r.plan_said << "\n";
}

void report(const Options& o, const std::vector<SizeResult>& rs,
            const std::optional<ApplyResult>& ap) {
  std::cout << "\nmacvtapctl_bench: " << o.interfaces << " direct interfaces per guest, "
            << o.runs << " runs each, medians; uri " << o.uri << "; tool: macvtapctl "
            << o.tool << "\n\n";
  std::printf("%-9s %8s %6s %8s | %10s | %10s %9s %5s | %12s\n", "mode", "guests", "hosts",
              "domains", "(a) floor", "(b) tool", "peak RSS", "exit", "(c) virsh");
  for (const auto& r : rs)
    std::printf("%-9s %8d %6d %8d | %8s s | %8s s %6ld MB %5d | %10s s%s\n", r.mode.c_str(),
                r.guests, r.hosts,
                r.domains_seen, fmt_s(r.floor_s).c_str(), fmt_s(r.tool_s).c_str(),
                r.tool_rss_kb / 1024, r.tool_exit,
                r.virsh_timed ? fmt_s(r.virsh_s).c_str() : "-",
                r.virsh_timed && r.virsh_extrapolated ? " *" : "");
  bool extrapolated = false;
  for (const auto& r : rs) extrapolated = extrapolated || (r.virsh_timed && r.virsh_extrapolated);
  if (extrapolated)
    std::cout << "  * virsh loop: `virsh list --all --name` plus " << rs.front().virsh_timed
              << " spawned `virsh dumpxml NAME` timed, per-domain cost extrapolated to all "
                 "domains\n";
  for (const auto& r : rs)
    if (!r.tool_summary.empty())
      std::cout << "  tool output (" << r.mode << ", " << r.guests << " guests): " << r.tool_summary
                << "\n";
  if (ap) {
    std::cout << "\n(d) apply of " << ap->guests << " config-only interface additions: "
              << fmt_s(ap->apply_s) << " s (exit " << ap->apply_exit << "); floor of "
              << ap->guests << " virDomainDefineXML: " << fmt_s(ap->floor_define_s) << " s";
    if (!ap->note.empty()) std::cout << "\n    apply said: " << ap->note;
    std::cout << "\n";
  }
  std::cout << "\nratios (targets, issue 17 on the realistic shape: b/a <= 1.3 at 1,000 guests, "
               "c/b >= 50, b(10x guests)/b <= 11, RSS <= 150 MB at 10,000, apply/define <= 1.5; "
               "clean shape, issue 7: b/a <= 2.0, <= 12 for 10x guests)\n";
  for (const auto& r : rs) {
    std::cout << "  " << r.mode << ", " << r.guests << " guests: b/a = " << fmt_x(r.tool_s / r.floor_s);
    if (r.virsh_timed) std::cout << ", c/b = " << fmt_x(r.virsh_s / r.tool_s);
    std::cout << ", peak RSS " << r.tool_rss_kb / 1024 << " MB\n";
  }
  for (const char* mode : {"clean", "realistic"}) {
    std::vector<const SizeResult*> m;
    for (const auto& r : rs)
      if (r.mode == mode) m.push_back(&r);
    if (m.size() >= 2)
      std::cout << "  " << mode << " scaling " << m.front()->guests << " -> " << m.back()->guests
                << " guests: b x" << fmt_x(m.back()->tool_s / m.front()->tool_s) << " (floor x"
                << fmt_x(m.back()->floor_s / m.front()->floor_s) << ")\n";
  }
  if (ap)
    std::cout << "  apply/define = " << fmt_x(ap->apply_s / ap->floor_define_s) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    o = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "macvtapctl_bench: " << e.what() << "\n";
    return 1;
  }
  install_interrupt_handler();
  int rc = 0;
  std::vector<SizeResult> results;
  std::optional<ApplyResult> apply;
  try {
    if (!o.inputs_only && !o.fleet_only) {
      // The apply figure (config-only additions) on the first size of the first shape.
      for (std::size_t m = 0; m < o.realistic.size(); ++m)
        for (std::size_t k = 0; k < o.guests.size(); ++k) {
          std::optional<ApplyResult>* ap =
              (m == 0 && k == 0 && o.apply_guests > 0) ? &apply : nullptr;
          results.push_back(measure_size(o, o.guests[k], o.realistic[m], ap));
        }
    }
    std::optional<InputsResult> inputs;
    if ((o.inputs || o.inputs_only) && !o.fleet_only) inputs = measure_inputs(o);
    std::optional<FleetResult> fleet;
    if (o.fleet_hosts > 0 && !o.inputs_only) fleet = measure_fleet(o);
    if (!o.inputs_only && !o.fleet_only) report(o, results, apply);
    if (inputs) report_inputs(*inputs);
    if (fleet) report_fleet(*fleet);
  } catch (const Interrupted&) {
    std::cerr << "macvtapctl_bench: interrupted\n";
    rc = 130;
  } catch (const std::exception& e) {
    std::cerr << "macvtapctl_bench: " << e.what() << "\n";
    rc = 1;
  }
  if (o.uri != "test" && !o.inputs_only && !o.fleet_only && (!o.keep || rc != 0)) {
    std::string err;
    const int n = remove_all_bench_domains(o.uri, &err);
    log("undefined " + std::to_string(n) + " mvtbench-* domains" + (err.empty() ? "" : ": " + err));
  }
  return rc;
}
