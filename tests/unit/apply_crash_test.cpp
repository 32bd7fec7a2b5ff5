// Crash safety of the executor, through its documented test-only fault point:
//   MVT_FAULT_AFTER_STEP=k  -> the process _exit(99)s right after step k's completion is
//                              journaled (lib/apply/executor.hpp).
// For every k of a multi-step file plan (host and guest files: create, update, remove), a
// child process applies and dies at k; then (a) no file is torn (each holds its old or its
// new bytes, no temp file is left) and (c) a rollback from the journal alone restores the
// before-state byte for byte, with modes. (b) "apply again converges" needs the planner and
// is checked with the embedded lab in apply_lab_test.cpp.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "apply/executor.hpp"
#include "apply_test_support.hpp"
#include "files/dir_source.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {
const std::string kNs = "etc/sysconfig/network-scripts";

using test::snapshot_tree;
using test::Tree;

struct World {
  fs::path host, guest, state;
  void seed(const fs::path& base) {
    host = base / "host";
    guest = base / "guest";
    state = base / "state";
    write_file(host / kNs / "ifcfg-em2", "DEVICE=em2\nONBOOT=yes\nBOOTPROTO=dhcp\n");
    write_file(guest / kNs / "ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=yes\n");
    ::chmod((guest / kNs / "ifcfg-eth0").c_str(), 0600);
    write_file(guest / kNs / "route-ens7", "10.1.0.0/16 via 192.0.2.1\n");
    write_file(guest / kNs / "ifcfg-ens7", "DEVICE=ens7\n");
  }
};

plan::Plan crash_plan() {
  plan::Plan p;
  p.spec_digest = "d";
  p.steps.push_back(test::write_step(
      "s01", "kvm1", "", kNs + "/ifcfg-em2", "DEVICE=em2\nONBOOT=no\nBOOTPROTO=none\n",
      std::string("DEVICE=em2\nONBOOT=yes\nBOOTPROTO=dhcp\n"), plan::FileScope::Host));
  p.steps.push_back(test::write_step("s02", "kvm1", "web1", kNs + "/ifcfg-ens9",
                                     "DEVICE=ens9\nIPADDR=104.50.201.84\nPREFIX=29\n",
                                     std::nullopt));
  p.steps.push_back(test::write_step("s03", "kvm1", "web1", kNs + "/route-ens9",
                                     "ADDRESS0=10.20.0.0\nNETMASK0=255.255.0.0\n", std::nullopt));
  p.steps.push_back(test::write_step("s04", "kvm1", "web1", kNs + "/ifcfg-eth0",
                                     "DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=no\nPEERDNS=no\n",
                                     std::string("DEVICE=eth0\nBOOTPROTO=dhcp\nDEFROUTE=yes\n")));
  p.steps.push_back(
      test::remove_step("s05", "kvm1", "web1", kNs + "/route-ens7", "10.1.0.0/16 via 192.0.2.1\n"));
  p.steps.push_back(test::remove_step("s06", "kvm1", "web1", kNs + "/ifcfg-ens7", "DEVICE=ens7\n"));
  p.steps.push_back(test::activate_step("s07", "kvm1", "web1", plan::ActivationMethod::None));
  p.steps.push_back(test::verify_step("s08", "kvm1"));
  return p;
}

apply::HostBackends backends(const World& w, DirSource& host, DirSource& guest) {
  apply::HostBackends hb;
  hb.host_files = &host;
  hb.guest_files["web1"] = &guest;
  hb.sources.uri = "test:///default";
  hb.sources.host_files = "dir:" + w.host.string();
  hb.sources.guest_files["web1"] = "dir:" + w.guest.string();
  return hb;
}
}  // namespace

TEST_CASE("crash at every step: no torn file, rollback from the journal restores byte for byte" *
          doctest::test_suite("apply")) {
  const plan::Plan p = crash_plan();
  const int n = static_cast<int>(p.steps.size());
  // The after-state, for the torn-file check: every file holds its before or after bytes.
  Tree after_host, after_guest;
  {
    TempDir t;
    World w;
    w.seed(t.path());
    DirSource h(w.host), g(w.guest);
    apply::ApplyOptions o;
    o.state_dir = w.state;
    o.replan = [] { return plan::Plan{}; };
    apply::ApplySession s({{"kvm1", backends(w, h, g)}}, o);
    REQUIRE(s.apply(p).ok);
    after_host = snapshot_tree(w.host);
    after_guest = snapshot_tree(w.guest);
  }
  for (int k = 1; k <= n; ++k) {
    CAPTURE(k);
    TempDir t;
    World w;
    w.seed(t.path());
    const Tree before_host = snapshot_tree(w.host), before_guest = snapshot_tree(w.guest);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::setenv("MVT_FAULT_AFTER_STEP", std::to_string(k).c_str(), 1);
      DirSource h(w.host), g(w.guest);
      apply::ApplyOptions o;
      o.state_dir = w.state;
      o.replan = [] { return plan::Plan{}; };
      apply::ApplySession s({{"kvm1", backends(w, h, g)}}, o);
      auto r = s.apply(p);
      ::_exit(r.ok ? 0 : 1);  // only reached if the fault point did not fire
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 99);

    // (a) no torn file, no temp file.
    for (const auto& [root, before, after] : {std::tuple{w.host, before_host, after_host},
                                              std::tuple{w.guest, before_guest, after_guest}}) {
      for (const auto& [rel, e] : snapshot_tree(root)) {
        CAPTURE(rel);
        CHECK(fs::path(rel).filename().string().find(".mvt-") == std::string::npos);
        const bool is_before = before.count(rel) && before.at(rel).bytes == e.bytes;
        const bool is_after = after.count(rel) && after.at(rel).bytes == e.bytes;
        CHECK((is_before || is_after));
      }
    }
    // The journal says exactly k steps finished.
    auto jn = apply::read_host_journal(w.state, "kvm1");
    REQUIRE(jn);
    CHECK_FALSE(jn->finished());
    int done = 0;
    for (const auto& s : jn->steps) done += s.done ? 1 : 0;
    CHECK(done == k);

    // (c) rollback (a new process would reopen the sources from the journal: so do we).
    DirSource h(w.host), g(w.guest);
    auto hb = backends(w, h, g);
    auto rep = apply::rollback_host(w.state, "kvm1", hb, {});
    CHECK(rep.ok());
    CHECK(snapshot_tree(w.host) == before_host);
    CHECK(snapshot_tree(w.guest) == before_guest);
  }
}
