// Issue 16 point 6, command-line habits, through the real binary over the embedded lab (a
// temp copy of specs/lab: dir: roots, libvirt's test:/// node file), as apply_lab_test.cpp:
//  - single-dash long options (Terraform's -out=, -auto-approve, -var-file) refused with a
//    hint, nothing written; clusters of one-letter flags still work;
//  - `plan -o json` refused (did you mean --format json), `-o ./json` writes the file;
//  - `apply PLAN -f spec` and `apply -f spec PLAN` both run the plan file;
//  - apply's step progress (forced with --progress always: the tests' stderr is a pipe);
//  - `apply --format json`: one document on stdout, valid against
//    schemas/apply-result.schema.json (python3-jsonschema, as render_plan_test.cpp);
//  - the last line says "verified" only about checks that ran.
#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "apply/executor.hpp"
#include "apply_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::contains;
using mvt::test::read_file;
using mvt::test::run_argv_env;
using mvt::test::run_tool_env;
using mvt::test::snapshot_tree;
using mvt::test::TempDir;
using mvt::test::Tree;
using mvt::test::write_file;

namespace {

struct Lab {
  TempDir t;
  fs::path lab, state;
  Lab() {
    lab = t.path() / "lab";
    state = t.path() / "state";
    fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive);
  }
  std::vector<std::string> specs() const {
    return {"-f", (test::source_dir() / "specs" / "seed.yaml").string(), "-f",
            (lab / "seed-lab.yaml").string()};
  }
  // --state-dir, then `a`, then the -f options.
  std::vector<std::string> args(std::vector<std::string> a) const {
    std::vector<std::string> out{"--state-dir", state.string()};
    out.insert(out.end(), a.begin(), a.end());
    for (const auto& s : specs()) out.push_back(s);
    return out;
  }
  Tree files() const { return snapshot_tree(lab); }
};

// The binary run in `dir` (coreutils env -C): where a misread -o would have written.
test::ProcResult run_in(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/env", "-C", dir.string(), test::binary().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_argv_env(argv);
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool python_ready() {
  return test::run({"/usr/bin/env", "python3", "-c", "import jsonschema"}).exit_code == 0;
}

// Validates a JSON text against schemas/apply-result.schema.json (checked as a draft 2020-12
// schema first). Exit 0 when valid.
test::RunResult validate_result(const std::string& json) {
  TempDir d;
  write_file(d.path() / "doc.json", json);
  return test::run({"/usr/bin/python3", "-c",
                    "import json,sys,jsonschema\n"
                    "s=json.load(open(sys.argv[1]))\n"
                    "jsonschema.Draft202012Validator.check_schema(s)\n"
                    "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))\n",
                    (test::source_dir() / "schemas/apply-result.schema.json").string(),
                    (d.path() / "doc.json").string()});
}

std::string last_line(const std::string& s) {
  auto end = s.find_last_not_of('\n');
  if (end == std::string::npos) return {};
  auto start = s.rfind('\n', end);
  return s.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

// The number of steps `plan` shows for the lab.
std::size_t planned_steps(const Lab& lab) {
  auto r = run_tool_env(lab.args({"plan", "--format", "json"}));
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out).at("steps").size();
}

}  // namespace

TEST_CASE("cli habits: single-dash long options are refused with a hint, nothing written" *
          doctest::test_suite("cli")) {
  Lab lab;
  const fs::path cwd = lab.t.path() / "cwd";
  fs::create_directories(cwd);
  const Tree before = lab.files();
  struct Case {
    std::vector<std::string> args;
    std::string hint;
  };
  const std::vector<Case> cases = {
      {{"plan", "-out=x.plan"}, "did you mean --out=x.plan?"},
      {{"plan", "-out", "x.plan"}, "did you mean --out?"},
      {{"plan", "-detailed-exitcode"}, "did you mean --detailed-exitcode?"},
      {{"plan", "-format=json"}, "did you mean --format=json?"},
      {{"apply", "-auto-approve"}, "did you mean --yes?"},
      {{"apply", "-var-file=prod.yaml"}, "did you mean -f/--file?"},
      {{"-no-color", "plan"}, "did you mean --color never?"},
      {{"plan", "-fseed"}, "did you mean -f seed?"},
      {{"apply", "-yes"}, "did you mean --yes?"},
      {{"-verbose", "drift"}, "did you mean --verbose?"},
  };
  for (const auto& c : cases) {
    const auto r = run_in(cwd, lab.args(c.args));
    CAPTURE(c.args[1]);
    INFO(r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "an option name of more than one letter takes two dashes"));
    CHECK(contains(r.err, c.hint));
    CHECK(r.out.empty());
    CHECK(entries(cwd).empty());  // no `ut=x.plan`, no plan file of any name
  }
  CHECK(lab.files() == before);
  CHECK_FALSE(fs::exists(lab.state));

  // A word after `--` is not an option; a dash-led value of a long option is its value.
  const auto after = run_in(cwd, lab.args({"plan", "--", "-out=x.plan"}));
  CHECK_FALSE(contains(after.err, "two dashes"));
}

TEST_CASE("cli habits: clusters of one-letter flags and attached values still work" *
          doctest::test_suite("cli")) {
  Lab lab;
  // -vy: --verbose and --yes (apply runs); -f with an attached path.
  auto specs = lab.specs();
  const auto r = run_tool_env({"--state-dir", lab.state.string(), "apply", "-vy",
                               "-f" + specs[1], "-f", specs[3]});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "Summary:"));
  CHECK_FALSE(contains(r.err, "two dashes"));
}

TEST_CASE("cli habits: plan -o with a format name is refused, -o ./json writes the file" *
          doctest::test_suite("cli")) {
  Lab lab;
  const fs::path cwd = lab.t.path() / "cwd";
  fs::create_directories(cwd);
  for (const auto& [value, format] : std::vector<std::pair<std::string, std::string>>{
           {"json", "json"}, {"markdown", "markdown"}, {"md", "markdown"}, {"text", "text"},
           {"JSON", "json"}}) {
    for (const auto& form : {std::vector<std::string>{"-o", value},
                             std::vector<std::string>{"--out=" + value}}) {
      std::vector<std::string> a{"plan"};
      a.insert(a.end(), form.begin(), form.end());
      const auto r = run_in(cwd, lab.args(a));
      CAPTURE(value);
      INFO(r.out, r.err);
      CHECK(r.exit_code == 1);
      CHECK(contains(r.err, "did you mean --format " + format + "?"));
      CHECK(contains(r.err, "write -o ./" + value));
      CHECK(entries(cwd).empty());
    }
  }
  // An explicit path is taken as given.
  const auto ok = run_in(cwd, lab.args({"plan", "-o", "./json"}));
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(entries(cwd) == std::vector<std::string>{"json"});
  CHECK(contains(read_file(cwd / "json"), "\"kind\": \"macvtapctl-plan\""));
}

TEST_CASE("cli habits: apply PLAN -f spec and apply -f spec PLAN both run the plan file" *
          doctest::test_suite("cli")) {
  for (const bool plan_first : {true, false}) {
    CAPTURE(plan_first);
    Lab lab;
    const fs::path planfile = lab.t.path() / "x.plan";
    REQUIRE(run_tool_env(lab.args({"plan", "-o", planfile.string()})).exit_code == 0);
    std::vector<std::string> a{"--state-dir", lab.state.string(), "apply", "--yes"};
    if (plan_first) a.push_back(planfile.string());
    for (const auto& s : lab.specs()) a.push_back(s);
    if (!plan_first) a.push_back(planfile.string());
    const auto r = run_tool_env(a);
    INFO(r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "Plan file " + planfile.string() + " matches what the spec produces"));
    CHECK(contains(r.out, "Summary:"));
  }
  // Two specs after one -f: the second is not silently a plan file (nor a spec).
  Lab lab;
  const Tree before = lab.files();
  const auto specs = lab.specs();
  const auto r = run_tool_env(
      {"--state-dir", lab.state.string(), "apply", "--yes", "-f", specs[1], specs[3]});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "looks like a spec, not a plan file: give each spec with its own -f"));
  CHECK(lab.files() == before);
}

TEST_CASE("cli habits: apply shows each step's progress when forced, never by default on a pipe" *
          doctest::test_suite("cli")) {
  Lab lab;
  const std::size_t n = planned_steps(lab);
  REQUIRE(n >= 3);
  const auto r = run_tool_env(lab.args({"apply", "--yes", "--progress", "always"}));
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  // One line per step, in order: "[k/n] sKK TARGET ... 0.0 s".
  const std::regex line(R"(\[(\d+)/(\d+)\] (s\d\d) (\S+) \.\.\. \d+\.\d s)");
  std::size_t k = 0;
  for (std::sregex_iterator it(r.err.begin(), r.err.end(), line), end; it != end; ++it) {
    ++k;
    CHECK((*it)[1] == std::to_string(k));
    CHECK((*it)[2] == std::to_string(n));
    CHECK((*it)[3] == (k < 10 ? "s0" : "s") + std::to_string(k));
  }
  CHECK(k == n);
  CHECK_FALSE(contains(r.out, "] s01 "));  // progress is on stderr only

  // Auto (the default) on a pipe, and never: no progress.
  for (const auto& extra : {std::vector<std::string>{}, std::vector<std::string>{"--progress", "never"}}) {
    Lab quiet;
    std::vector<std::string> a{"apply", "--yes"};
    a.insert(a.end(), extra.begin(), extra.end());
    const auto q = run_tool_env(quiet.args(a));
    CHECK(q.exit_code == 0);
    CHECK_FALSE(contains(q.err, "[1/"));
  }
}

TEST_CASE("cli habits: apply --format json prints one result document valid against its schema" *
          doctest::test_suite("cli")) {
  if (!python_ready()) {
    MESSAGE("SKIPPED: python3-jsonschema is not installed");
    return;
  }
  Lab lab;
  const std::size_t n = planned_steps(lab);
  // Progress is forced on: it goes to stderr, never into the document.
  const auto r = run_tool_env(lab.args({"apply", "--yes", "--format", "json", "--progress", "always"}));
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  const auto v = validate_result(r.out);
  INFO(v.err);
  CHECK(v.exit_code == 0);
  const auto j = nlohmann::json::parse(r.out);  // the whole of stdout is the document
  CHECK(j["kind"] == "apply-result");
  CHECK(j["outcome"] == "applied");
  CHECK(j["exit_code"] == 0);
  CHECK(j["steps_planned"] == n);
  REQUIRE(j["hosts"].size() == 1);
  const auto& h = j["hosts"][0];
  CHECK(h["host"] == "kvm1");
  CHECK(h["outcome"] == "applied");
  CHECK(h["steps_done"] == n);
  CHECK(h["verification"]["replan"] == "clean");
  CHECK(contains(r.err, "Summary:"));  // the text report went to stderr
  CHECK(contains(r.err, "[1/"));
  // The summary line and `verified` agree: "verified" only when every check ran.
  const bool verified = h["verification"]["verified"];
  const std::string summary = h["summary"];
  CHECK(contains(summary, ", verified") == verified);
  if (!verified)
    CHECK(h["verification"]["counts"]["skipped"].get<int>() + h["verification"]["counts"]["pending"].get<int>() > 0);

  // Refused (no --yes; a spec that does not load): a document with the errors, nothing run.
  Lab fresh;
  const Tree before = fresh.files();
  const auto no_yes = run_tool_env(fresh.args({"apply", "--format", "json"}));
  CHECK(no_yes.exit_code == 1);
  CHECK(validate_result(no_yes.out).exit_code == 0);
  const auto nj = nlohmann::json::parse(no_yes.out);
  CHECK(nj["outcome"] == "refused");
  CHECK(nj["exit_code"] == 1);
  REQUIRE(nj["errors"].size() == 1);
  CHECK(contains(nj["errors"][0].get<std::string>(), "needs --yes"));
  write_file(fresh.t.path() / "bad.yaml", "version: 1\nhosts: [\n");
  const auto bad = run_tool_env({"--state-dir", fresh.state.string(), "apply", "--yes", "--format",
                                 "json", "-f", (fresh.t.path() / "bad.yaml").string()});
  CHECK(bad.exit_code == 1);
  CHECK(validate_result(bad.out).exit_code == 0);
  const auto bj = nlohmann::json::parse(bad.out);
  CHECK(bj["outcome"] == "refused");
  REQUIRE_FALSE(bj["errors"].empty());
  CHECK(contains(bj["errors"][0].get<std::string>(), "bad.yaml:"));
  CHECK(fresh.files() == before);
}

TEST_CASE("cli habits: the apply result schema is strict" * doctest::test_suite("cli")) {
  if (!python_ready()) {
    MESSAGE("SKIPPED: python3-jsonschema is not installed");
    return;
  }
  const std::string good =
      R"({"format_version": 1, "kind": "apply-result", "outcome": "applied", "exit_code": 0,
          "hosts": [{"host": "kvm1", "outcome": "no_changes", "summary": "kvm1: no changes"}],
          "errors": [], "warnings": []})";
  CHECK(validate_result(good).exit_code == 0);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {R"("outcome": "applied")", R"("outcome": "done")"},
           {R"("exit_code": 0)", R"("exit_code": 2)"},
           {R"("errors": [])", R"("errors": [], "extra": 1)"},
           {R"("summary": "kvm1: no changes")", R"("summary": "kvm1: no changes", "x": 1)"},
           {R"("kind": "apply-result")", R"("kind": "plan")"},
           {R"(, "warnings": [])", ""}}) {
    CAPTURE(to);
    const std::string doc = test::replace_all(good, from, to);
    REQUIRE(doc != good);
    CHECK(validate_result(doc).exit_code != 0);
  }
}

TEST_CASE("cli habits: the summary says verified only when every check ran" *
          doctest::test_suite("cli")) {
  auto host = [](std::vector<apply::CheckStatus> statuses) {
    apply::HostResult h;
    h.host = "kvm1";
    h.outcome = apply::HostOutcome::Applied;
    h.result.ok = true;
    h.result.steps_done = 4;
    for (auto s : statuses) {
      apply::VerifyLine l;
      l.host = "kvm1";
      l.guest = "web1";
      l.check = "mac";
      l.status = s;
      h.result.verification.push_back(l);
    }
    return h;
  };
  using S = apply::CheckStatus;
  CHECK(apply::outcome_line(host({S::Ok, S::Ok})) == "kvm1: applied 4 steps, verified");
  CHECK(apply::outcome_line(host({S::Ok, S::Warning})) ==
        "kvm1: applied 4 steps, verified; 1 check warning");
  CHECK(apply::outcome_line(host({S::Ok, S::Skipped, S::Skipped})) ==
        "kvm1: applied 4 steps, re-plan clean; guest checks: 1 ok, 2 skipped (not verified live)");
  CHECK(apply::outcome_line(host({S::Pending})) ==
        "kvm1: applied 4 steps, re-plan clean; guest checks: 1 pending activation (not verified "
        "live)");
  auto none = host({});
  none.result.guest_checks_skipped = true;
  CHECK(apply::outcome_line(none) ==
        "kvm1: applied 4 steps, re-plan clean; guest checks: not run (not verified live)");
  none.result.replan_skipped = true;
  CHECK(apply::outcome_line(none) == "kvm1: applied 4 steps, NOT verified (verification skipped)");
  auto batched = host({S::Skipped});
  batched.result.batches = 2;
  CHECK_FALSE(contains(apply::outcome_line(batched), "each verified"));
}

TEST_CASE("cli habits: apply's last line does not say verified about skipped checks (lab)" *
          doctest::test_suite("cli")) {
  Lab lab;
  const auto r = run_tool_env(lab.args({"apply", "--yes"}));
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  const std::string last = last_line(r.out);
  CHECK(contains(last, "kvm1: applied "));
  // What the lab's verification did, from its own lines.
  const bool skipped = contains(r.out, ": skipped") || contains(r.out, "skipped:");
  const bool pending = contains(r.out, "pending activation");
  if (skipped || pending) {
    CHECK_FALSE(contains(last, "verified,"));
    CHECK_FALSE(contains(last, ", verified"));
    CHECK(contains(last, skipped ? "skipped" : "pending"));
    CHECK_FALSE(contains(r.out, "verified: the live state matches the spec"));
  } else {
    CHECK(contains(last, ", verified"));
  }
}
