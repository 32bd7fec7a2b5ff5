// Issue 15, points 2 to 4 through the whole pipeline: the golden case tests/data/golden/keyfile
// (a RHEL 9 host and guest on NetworkManager keyfiles) planned by the tool, applied by the
// executor, re-planned empty, and rolled back byte for byte. The activation's commands are
// recorded instead of run: a dir: root stands in for the guest here (the test driver cannot
// boot a guest and a unit test cannot run nmcli against it); the real NetworkManager guest
// runs them in tests/system/nm_apply_test.cpp. The host's profiles are loaded and activated by
// the real NetworkManager, isolated (tests/data/keyfile/generate.sh --check --up).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>
#include <nlohmann/json.hpp>

#include "apply/executor.hpp"
#include "apply/rollback.hpp"
#include "files/dir_source.hpp"
#include "libvirt/libvirt_hypervisor.hpp"
#include "netconf/ifcfg/ifcfg_format.hpp"
#include "plan/plan_file.hpp"
#include "netconf_keyfile_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::contains;
using mvt::test::read_file;

namespace {

const std::string kKf = "etc/NetworkManager/system-connections";

// A dir: root whose commands are recorded (exit 0) instead of run.
class RecordingDir : public DirSource {
 public:
  using DirSource::DirSource;
  std::vector<std::vector<std::string>> runs;
  bool can_run() const override { return true; }
  CommandResult run(const std::vector<std::string>& argv, std::chrono::milliseconds) override {
    runs.push_back(argv);
    return {0, "", ""};
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

struct Case {
  test::TempDir tmp;
  fs::path dir;
  Case() {
    dir = tmp.path() / "keyfile";
    fs::copy(test::source_dir() / "tests/data/golden/keyfile", dir, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(dir))
      if (e.path().extension() == ".nmconnection") fs::permissions(e.path(), fs::perms(0600));
    // NetworkManager would ignore this one: the edit makes it 0600.
    fs::permissions(guest() / kKf / "ens9.nmconnection", fs::perms(0644));
  }
  fs::path guest() const { return dir / "guest-web1"; }
  fs::path host() const { return dir / "host"; }
  std::optional<plan::Plan> plan(Diagnostics& d, int want_exit = 2) {
    const auto out = (tmp.path() / "plan.out").string();
    const auto r = test::run_tool({"plan", "-f", (dir / "spec.yaml").string(), "--out", out,
                                   "--detailed-exitcode"});
    INFO(r.err);
    REQUIRE(r.exit_code == want_exit);
    return plan::load_plan(read_file(out), "plan.out", d);
  }
};

std::string uuid_of(const std::string& text) {
  const auto at = text.find("\nuuid=");
  REQUIRE(at != std::string::npos);
  return text.substr(at + 6, 36);
}

}  // namespace

TEST_CASE("keyfile guest and host: planned, applied with NetworkManager's activation, "
          "re-planned empty, rolled back byte for byte" * doctest::test_suite("apply")) {
  Case c;
  const std::string ens9_before = read_file(c.guest() / kKf / "ens9.nmconnection");
  const std::string eth0_before = read_file(c.guest() / kKf / "eth0.nmconnection");
  const std::string em2_before = read_file(c.host() / kKf / "Wired connection 2.nmconnection");
  Diagnostics d;
  auto p = c.plan(d);
  REQUIRE(p);
  // The activation names the format and the profiles: ens9's (kept UUID) and the new ens8's.
  const plan::Step* act = nullptr;
  for (const auto& s : p->steps)
    if (s.op.kind == plan::OpKind::Activate) act = &s;
  REQUIRE(act != nullptr);
  CHECK(act->op.config_format == "keyfile");
  const std::string u9 = uuid_of(ens9_before);
  const std::string u8 = ifcfg::guest_interface_uuid("kvm1", "web1", "ens8");
  const std::string u0 = uuid_of(eth0_before);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(act->op.profiles == sorted({u9, u8, u0}));  // eth0's never-default changes too
  CHECK(act->op.restore_profiles == sorted({u9, u0}));

  auto hv = LibvirtHypervisor::connect("test://" + (c.dir / "node.xml").string(), false);
  RecordingDir guest(c.guest());
  DirSource host(c.host());
  apply::HostBackends hb;
  hb.hypervisor = hv.get();
  hb.host_files = &host;
  hb.guest_files["web1"] = &guest;
  hb.sources.uri = hv->uri();
  hb.sources.host_files = "dir:" + c.host().string();
  hb.sources.guest_files["web1"] = "dir:" + c.guest().string();
  apply::ApplyOptions o;
  o.state_dir = c.tmp.path() / "state";
  o.verify_attempts = 1;
  o.replan = [&] {
    Diagnostics rd;
    auto again = c.plan(rd, 0);  // nothing left to do
    REQUIRE(again);
    return *again;
  };
  {
    apply::ApplySession s({{"kvm1", hb}}, o);
    const auto r = s.apply(*p);
    INFO(r.error);
    for (const auto& v : r.verify_diffs) INFO(v);
    REQUIRE(r.ok);
    s.commit();
  }
  // Files: 0600 (the 0644 one too), in place, NetworkManager's keys and comments kept.
  const std::string ens9 = read_file(c.guest() / kKf / "ens9.nmconnection");
  CHECK(mode_of(c.guest() / kKf / "ens9.nmconnection") == 0600);
  CHECK(contains(ens9, "address1=104.50.201.83/29,104.50.201.86\n"));
  CHECK(contains(ens9, "# the macvtap interface provides the default route\n"));
  CHECK(contains(ens9, "addr-gen-mode=default\n"));
  CHECK(contains(ens9, "\n[proxy]\n"));
  CHECK(uuid_of(ens9) == u9);
  const std::string ens8 = read_file(c.guest() / kKf / "ens8.nmconnection");
  CHECK(mode_of(c.guest() / kKf / "ens8.nmconnection") == 0600);
  CHECK(contains(ens8, "mac-address=52:54:00:5D:9C:34\n"));
  CHECK(contains(ens8, "uuid=" + u8 + "\n"));
  const std::string em2 = read_file(c.host() / kKf / "Wired connection 2.nmconnection");
  CHECK(contains(em2, "[ipv4]\nmethod=disabled\n"));
  CHECK(contains(em2, "id=Wired connection 2\n"));
  CHECK(mode_of(c.host() / kKf / "Wired connection 2.nmconnection") == 0600);
  CHECK_FALSE(fs::exists(c.host() / kKf / "em2.nmconnection"));
  // The real NetworkManager (isolated, generate.sh --check --up) loads the host's profiles
  // and brings em2 up with no address of either family (em1, config: host, keeps its own).
  if (auto nm = test::nm_check(c.host() / kKf, "em1=18:66:da:9f:96:d6,em2=18:66:da:9f:96:d7")) {
    CHECK(nm->at("em2").at("GENERAL.STATE") == "100 (connected)");
    CHECK(nm->at("em2").at("GENERAL.CONNECTION") == "Wired connection 2");
    const auto em2_dev = nlohmann::json::parse(nm->at("em2").at("addr"));
    CHECK(em2_dev.at(0).at("operstate") == "UP");
    CHECK(em2_dev.at(0).at("addr_info").empty());
    CHECK(nm->at("Wired connection 2.nmconnection").at("ipv4.method") == "disabled");
    CHECK(nm->at("Wired connection 2.nmconnection").at("ipv6.method") == "disabled");
    CHECK(nm->at("em1").at("GENERAL.STATE") == "100 (connected)");
    CHECK(contains(nm->at("em1").at("addr"), "\"local\":\"198.51.100.10\""));
  }
  // Activation: one reload, then each written profile up by UUID; nothing else ran.
  std::vector<std::vector<std::string>> want{{"nmcli", "connection", "reload"}};
  for (const auto& u : act->op.profiles) want.push_back({"nmcli", "connection", "up", "uuid", u});
  CHECK(guest.runs == want);

  // Rollback: the bytes and modes back, then reload and the restored profiles up again.
  guest.runs.clear();
  {
    // `macvtapctl rollback` after the apply was committed.
    const auto rep = apply::rollback_host(o.state_dir, "kvm1", hb, {});
    std::string errors;
    for (const auto& e : rep.errors) errors += e + "\n";
    INFO(errors);
    CHECK_FALSE(rep.nothing_to_do);
    CHECK(rep.errors.empty());
  }
  CHECK(read_file(c.guest() / kKf / "ens9.nmconnection") == ens9_before);
  CHECK(mode_of(c.guest() / kKf / "ens9.nmconnection") == 0644);
  CHECK(read_file(c.guest() / kKf / "eth0.nmconnection") == eth0_before);
  CHECK_FALSE(fs::exists(c.guest() / kKf / "ens8.nmconnection"));
  CHECK(read_file(c.host() / kKf / "Wired connection 2.nmconnection") == em2_before);
  if (auto nm = test::nm_check(c.host() / kKf, ""))  // NetworkManager reads DHCP again
    CHECK(nm->at("Wired connection 2.nmconnection").at("ipv4.method") == "auto");
  std::vector<std::vector<std::string>> back{{"nmcli", "connection", "reload"}};
  for (const auto& u : act->op.restore_profiles) back.push_back({"nmcli", "connection", "up", "uuid", u});
  CHECK(guest.runs == back);
}

TEST_CASE("keyfile guest: show imports it, and the plan of its output is empty" *
          doctest::test_suite("apply")) {
  Case c;
  // The state the spec declares: plan, apply its files (no activation: dir: roots), then show.
  const auto a = test::run_tool({"apply", "-f", (c.dir / "spec.yaml").string(), "--yes"});
  INFO(a.out << a.err);
  REQUIRE(a.exit_code == 0);
  const auto shown = test::run_tool({"show", "-f", (c.dir / "spec.yaml").string()});
  INFO(shown.err);
  REQUIRE(shown.exit_code == 0);
  CHECK(contains(shown.out, "config_format: keyfile"));
  CHECK(contains(shown.out, "em2: {mac: \"18:66:da:9f:96:d7\", config: unconfigured}"));
  CHECK(contains(shown.out, "104.50.201.83/29"));
  CHECK(contains(shown.out, "2001:db8:0:9::84/64"));
  const auto out = c.dir / "shown.yaml";
  test::write_file(out, shown.out);
  const auto r = test::run_tool({"plan", "-f", out.string(), "--detailed-exitcode"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
}
