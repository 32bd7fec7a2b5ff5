// Golden tests by folder (STYLE.md habit 9): tests/data/golden/<case>/ holds a spec and its
// lab state (libvirt test-driver node XML, host and guest file roots), and the expected
// plan.txt / plan.json / plan.md and exit code of `macvtapctl plan --detailed-exitcode`.
// The spec is <case>/spec.yaml, or the files listed in <case>/specs.txt (paths relative to
// the source tree, one per line).
//
// MVT_REGEN_GOLDEN=1 rewrites the expectations from the current output instead of
// comparing: review every changed file (git diff) before committing it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>

#include "netconf/ifcfg/ifcfg_format.hpp"
#include "diff_fixtures.hpp"
#include "plan/planner.hpp"
#include "render/json.hpp"
#include "render/markdown.hpp"
#include "render/text.hpp"
#include "test_support.hpp"

using namespace mvt;
using namespace mvt::test;
namespace fs = std::filesystem;

namespace {

fs::path golden_root() { return source_dir() / "tests/data/golden"; }

bool regen() {
  const char* e = std::getenv("MVT_REGEN_GOLDEN");
  return e && std::string(e) == "1";
}

// First differing line, for a readable failure.
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return "(only the final newline differs)";
    if (ea || eb || la != lb)
      return "line " + std::to_string(line) + ":\n  expected: " + (ea ? "<end>" : la) +
             "\n  actual:   " + (eb ? "<end>" : lb);
  }
}

void expect_file(const fs::path& p, const std::string& actual) {
  if (regen()) {
    write_file(p, actual);
    MESSAGE("regenerated " << p.string() << " - review it");
    return;
  }
  REQUIRE_MESSAGE(fs::exists(p), "missing " << p.string()
                                            << " (run with MVT_REGEN_GOLDEN=1, then review)");
  const std::string want = read_file(p);
  CHECK_MESSAGE(want == actual, p.string() << " differs at " << first_difference(want, actual));
}

std::vector<std::string> spec_args(const fs::path& dir) {
  std::vector<std::string> args;
  if (fs::exists(dir / "specs.txt")) {
    std::istringstream in(read_file(dir / "specs.txt"));
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') {
        args.push_back("-f");
        args.push_back((source_dir() / line).string());
      }
  } else {
    args = {"-f", (dir / "spec.yaml").string()};
  }
  return args;
}

std::vector<fs::path> cli_cases() {
  std::vector<fs::path> out;
  if (!fs::exists(golden_root())) return out;
  for (const auto& e : fs::directory_iterator(golden_root()))
    if (e.is_directory() &&
        (fs::exists(e.path() / "spec.yaml") || fs::exists(e.path() / "specs.txt")))
      out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("golden: plan of every case folder" * doctest::test_suite("golden")) {
  const auto cases = cli_cases();
  REQUIRE_MESSAGE(cases.size() >= 5, "golden cases missing under " << golden_root().string());
  for (const auto& dir : cases) {
    INFO("case " << dir.filename().string());
    const auto specs = spec_args(dir);
    int exit_code = -1;
    for (const auto& [format, name] :
         std::vector<std::pair<std::string, std::string>>{
             {"text", "plan.txt"}, {"json", "plan.json"}, {"markdown", "plan.md"}}) {
      std::vector<std::string> args{"--color", "never", "plan"};
      args.insert(args.end(), specs.begin(), specs.end());
      args.insert(args.end(), {"--format", format, "--detailed-exitcode"});
      const auto r = run_tool(args);
      INFO("stderr: " << r.err);
      REQUIRE(r.exit_code != 1);
      if (exit_code >= 0) CHECK(r.exit_code == exit_code);  // same in every format
      exit_code = r.exit_code;
      // Spec warnings name their file as given (here under the source tree): made relative,
      // so that the goldens do not depend on where the tree is checked out.
      expect_file(dir / name, replace_all(r.out, source_dir().string() + "/", ""));
    }
    expect_file(dir / "exitcode", std::to_string(exit_code) + "\n");
  }
}

TEST_CASE("golden: the procedure's plan, in a valid order" * doctest::test_suite("golden")) {
  const auto r = run_tool({"plan", "-f", (source_dir() / "specs/seed.yaml").string(), "-f",
                           (source_dir() / "specs/lab/seed-lab.yaml").string(), "--format",
                           "json", "--detailed-exitcode"});
  REQUIRE_MESSAGE(r.exit_code == 2, r.err);
  const auto j = nlohmann::json::parse(r.out);
  std::map<std::string, int> pos;  // "target op-kind" -> index
  const auto& steps = j["steps"];
  for (std::size_t i = 0; i < steps.size(); ++i)
    pos[steps[i]["target"].get<std::string>() + " " +
        steps[i]["operation"]["kind"].get<std::string>()] = static_cast<int>(i);
  auto at = [&](const std::string& k) {
    INFO(k);
    REQUIRE(pos.count(k));
    return pos[k];
  };
  const int em2 = at("host/kvm1/nic/em2 write-file");
  const int ens9 = at("guest/web1/interface/ens9 define-interface");
  const int ens8 = at("guest/web1/interface/ens8 define-interface");
  const int eth0 = at("guest/web1/file/ifcfg-eth0 write-file");
  const int f9 = at("guest/web1/file/ifcfg-ens9 write-file");
  const int f8 = at("guest/web1/file/ifcfg-ens8 write-file");
  const int act = at("guest/web1/activation activate");
  const int ver = at("host/kvm1/verify verify");
  CHECK(em2 < ens9);
  CHECK(em2 < ens8);
  CHECK(f9 < ens9);
  CHECK(f8 < ens8);
  for (int i : {em2, ens9, ens8, eth0, f9, f8}) CHECK(i < act);
  CHECK(act < ver);
  // em2 private with the procedure's MAC and model; em1 private.
  const auto& x9 = steps[ens9]["operation"]["interface_xml"].get<std::string>();
  const auto i9 = xml::parse_interface_element(x9, "ens9");
  CHECK(i9.source_dev == "em2");
  CHECK(i9.source_mode == "private");
  CHECK(i9.mac->str() == "52:54:00:5d:9c:33");
  CHECK(i9.model == "rtl8139");
  const auto i8 = xml::parse_interface_element(
      steps[ens8]["operation"]["interface_xml"].get<std::string>(), "ens8");
  CHECK(i8.source_dev == "em1");
  CHECK(i8.source_mode == "private");
  // eth0: DEFROUTE and PEERDNS to no, nothing else.
  const auto& c = steps[eth0]["changes"];
  REQUIRE(c.size() == 2);
  CHECK(c[0]["field"] == "DEFROUTE");
  CHECK(c[0]["after"] == "no");
  CHECK(c[1]["field"] == "PEERDNS");
  CHECK(c[1]["after"] == "no");
  // The procedure's values in the new files.
  const auto content9 = steps[f9]["operation"]["content"].get<std::string>();
  for (const char* kv : {"NAME=ens9", "DEVICE=ens9", "TYPE=Ethernet", "ONBOOT=yes",
                         "BOOTPROTO=none", "IPADDR=104.50.201.84", "PREFIX=29",
                         "GATEWAY=104.50.201.86", "DEFROUTE=yes", "PEERROUTES=no", "PEERDNS=no",
                         "DNS1=8.8.8.8", "IPV4_FAILURE_FATAL=yes", "IPV6INIT=no",
                         "IPV6_AUTOCONF=no", "IPV6_DEFROUTE=no", "IPV6_PEERDNS=no",
                         "IPV6_PEERROUTES=no", "IPV6_FAILURE_FATAL=no", "UUID=",
                         "HWADDR=52:54:00:5d:9c:33"})
    CHECK_MESSAGE(content9.find(std::string("\n") + kv) != std::string::npos, kv);
  const auto content8 = steps[f8]["operation"]["content"].get<std::string>();
  for (const char* kv : {"IPADDR=192.168.1.15", "PREFIX=24", "GATEWAY=192.168.1.1",
                         "DEFROUTE=no"})
    CHECK_MESSAGE(content8.find(std::string("\n") + kv) != std::string::npos, kv);
  const auto em2c = steps[em2]["operation"]["content"].get<std::string>();
  for (const char* kv : {"ONBOOT=no", "BOOTPROTO=no", "DEFROUTE=no", "PEERDNS=no",
                         "PEERROUTES=no", "IPV6INIT=no",
                         "UUID=85e14c6b-f9d3-49a0-b566-f122d47001c6"})
    CHECK_MESSAGE(em2c.find(std::string("\n") + kv) != std::string::npos, kv);
}

// live != persistent cannot be staged with libvirt's test driver (its guests' live and
// persistent definitions are one), so these cases are built in-process with hand-made values
// on a host that hot-plugs: ens9 is defined but was never plugged in, ens8 runs as `ens8_live`
// (its definition is right), and an unlisted macvtap device is still plugged in.
namespace {
void live_drift_case(const DomainInterface& ens8_live, const std::string& name,
                     const std::function<void(const plan::Plan&)>& check) {
  auto t = seed_topology();
  t.hosts["kvm1"].guests["web1"].interfaces[2].model = "virtio";
  Observation o = seed_before(true);
  auto& h = o.hosts["kvm1"];
  auto& d = h.domains["web1"];
  const auto ens8_mac = effective_mac("kvm1", "web1", t.hosts["kvm1"].guests["web1"].interfaces[2]);
  d.config.push_back(observed_direct("52:54:00:5d:9c:33", "em2", "private", "rtl8139", 1));
  d.config.push_back(observed_direct(ens8_mac.str().c_str(), "em1", "private", "virtio", 2));
  d.live->push_back(ens8_live);
  d.live->back().mac = ens8_mac;
  d.live->push_back(observed_direct("52:54:00:77:00:01", "em1", "vepa", std::nullopt, 2));
  // Files already right, so only the devices differ.
  const auto& g = t.hosts["kvm1"].guests["web1"];
  h.files["ifcfg-em2"].bytes =
      host_nic_file("kvm1", t.hosts["kvm1"].nics["em2"], &h.files["ifcfg-em2"])->after;
  auto& gf = h.guests["web1"].files;
  gf["ifcfg-eth0"].bytes =
      guest_ifcfg_file("kvm1", "web1", g.interfaces[0], mac("52:54:00:b4:87:0f"),
                             &gf["ifcfg-eth0"])->after;
  gf["ifcfg-ens9"] = file("ifcfg-ens9", guest_ifcfg_file("kvm1", "web1", g.interfaces[1],
                                                               mac("52:54:00:5d:9c:33"), nullptr)
                                            ->after);
  gf["ifcfg-ens8"] = file(
      "ifcfg-ens8", guest_ifcfg_file("kvm1", "web1", g.interfaces[2], ens8_mac, nullptr)->after);
  diff::DiffOptions opts;
  opts.hotplug["kvm1"] = true;
  const auto cs = diff::compute(t, o, opts);
  REQUIRE_FALSE(cs.diagnostics.has_errors());
  const auto p = plan::make_plan(cs, "hand-built");
  const auto v = render::make_view(p, render::Mode::Drift);
  const fs::path dir = golden_root() / name;
  if (regen()) fs::create_directories(dir);
  expect_file(dir / "plan.txt", render::render_text(v));
  expect_file(dir / "plan.json", render::render_json(v));
  expect_file(dir / "plan.md", render::render_markdown(v));
  // No persistent change: every step is live or the activation.
  for (const auto& s : p.steps)
    CHECK(s.op.kind != plan::OpKind::DefineInterface);
  check(p);
}
}  // namespace

// ens8 runs as e1000 where it should be virtio: a model change, so the guest is cold-restarted
// and nothing is hot-plugged (the restart brings ens9 and drops the unlisted device).
TEST_CASE("golden: live differs from persistent in a model (hand-built observation)" *
          doctest::test_suite("golden")) {
  live_drift_case(observed_direct("52:54:00:00:00:00", "em1", "private", "e1000", 1),
                  "live-drift", [](const plan::Plan& p) {
                    REQUIRE(p.steps.size() == 2);
                    CHECK(p.steps[0].op.kind == plan::OpKind::Activate);
                    CHECK(p.steps[0].op.method == plan::ActivationMethod::ColdRestart);
                  });
}

// ens8 runs in mode vepa where it should be private (same model): hot-plugged, detached and
// attached anew; the unlisted device detached, ens9 attached; the spec's activation.
TEST_CASE("golden: live differs from persistent in a mode (hand-built observation)" *
          doctest::test_suite("golden")) {
  live_drift_case(observed_direct("52:54:00:00:00:00", "em1", "vepa", "virtio", 1),
                  "live-replace", [](const plan::Plan& p) {
                    int detach = 0, attach = 0;
                    for (const auto& s : p.steps) {
                      detach += s.op.kind == plan::OpKind::LiveDetach;
                      attach += s.op.kind == plan::OpKind::LiveAttach;
                      if (s.op.kind == plan::OpKind::Activate)
                        CHECK(s.op.method == plan::ActivationMethod::Reboot);
                    }
                    CHECK(detach == 2);
                    CHECK(attach == 2);
                  });
}

TEST_CASE("golden: a plan of what `show` prints is empty" * doctest::test_suite("golden")) {
  const fs::path lab = source_dir() / "specs/lab";
  TempDir d;
  const auto shown = run_tool(
      {"--connect", "test://" + (lab / "node.xml").string(), "--host", "kvm1", "show",
       "--host-files", "dir:" + (lab / "host").string(), "--guest-files",
       "web1=dir:" + (lab / "guest-web1").string()});
  REQUIRE_MESSAGE(shown.exit_code == 0, shown.err);
  write_file(d.path() / "live.yaml", shown.out);
  const auto r = run_tool(
      {"plan", "-f", (d.path() / "live.yaml").string(), "--detailed-exitcode",
       // the shown spec names the lab's node file, outside its own directory
       "--allow-root", lab.string()});
  CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
  CHECK(r.out == "No changes. Live state matches the topology.\n");
}
