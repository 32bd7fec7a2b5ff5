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
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "netconf/ifcfg/ifcfg_format.hpp"
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
    if (!o.inputs_only) {
      // The apply figure (config-only additions) on the first size of the first shape.
      for (std::size_t m = 0; m < o.realistic.size(); ++m)
        for (std::size_t k = 0; k < o.guests.size(); ++k) {
          std::optional<ApplyResult>* ap =
              (m == 0 && k == 0 && o.apply_guests > 0) ? &apply : nullptr;
          results.push_back(measure_size(o, o.guests[k], o.realistic[m], ap));
        }
    }
    std::optional<InputsResult> inputs;
    if (o.inputs || o.inputs_only) inputs = measure_inputs(o);
    if (!o.inputs_only) report(o, results, apply);
    if (inputs) report_inputs(*inputs);
  } catch (const Interrupted&) {
    std::cerr << "macvtapctl_bench: interrupted\n";
    rc = 130;
  } catch (const std::exception& e) {
    std::cerr << "macvtapctl_bench: " << e.what() << "\n";
    rc = 1;
  }
  if (o.uri != "test" && !o.inputs_only && (!o.keep || rc != 0)) {
    std::string err;
    const int n = remove_all_bench_domains(o.uri, &err);
    log("undefined " + std::to_string(n) + " mvtbench-* domains" + (err.empty() ? "" : ": " + err));
  }
  return rc;
}
