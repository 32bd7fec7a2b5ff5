// The JSON Schemas as JavaScript tooling and schema-driven editors read them (issue 16): ajv
// (draft 2020-12, strict mode) compiles schemas/topology.schema.json and
// schemas/plan.schema.json, and the `yaml` package reads each spec as YAML 1.1 and as YAML 1.2.
// Every spec under specs/, every good fixture and every accepted YAML-subtleties case is
// valid under both; every structural bad case and every rejected subtlety is refused;
// semantic bad cases pass the schema (the rules catch them). The checker is
// tests/tools/ajv_check.js; ajv and yaml come from npm into build/tools/ajv (cmake/test.sh
// installs them) or $MVT_AJV_DIR.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "spec_cases.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt::test;

namespace {

// The directory whose node_modules hold ajv and yaml; empty when they are not installed.
fs::path ajv_dir() {
  fs::path d = source_dir() / "build/tools/ajv";
  if (const char* e = std::getenv("MVT_AJV_DIR"); e && *e) d = e;
  const bool ok = fs::exists(d / "node_modules/ajv/dist/2020.js") &&
                  fs::exists(d / "node_modules/yaml/package.json") &&
                  run({"/usr/bin/env", "node", "--version"}).exit_code == 0;
  return ok ? d : fs::path{};
}

bool ajv_ready() {
  if (!ajv_dir().empty()) return true;
  MESSAGE("SKIPPED: node with ajv and yaml not found (run cmake/test.sh, which installs them "
          "from npm into build/tools/ajv, or set MVT_AJV_DIR)");
  // Under CI the schemas must be checked: a missing ajv is a failure, not a silent pass.
  CHECK_MESSAGE(std::getenv("CI") == nullptr, "ajv is missing under CI");
  return false;
}

// Runs the checker: the schemas (the last one validates), then EXPECT:FILE arguments.
RunResult ajv_check(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/env", "NODE_PATH=" + (ajv_dir() / "node_modules").string(),
                                "node", (source_dir() / "tests/tools/ajv_check.js").string(),
                                (source_dir() / "schemas/plan.schema.json").string(),
                                (source_dir() / "schemas/topology.schema.json").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv);
}


}  // namespace

TEST_CASE("ajv: both JSON Schemas compile in strict mode (draft 2020-12)" *
          doctest::test_suite("spec")) {
  if (!ajv_ready()) return;
  const auto r = ajv_check({});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
}

TEST_CASE("ajv: a schema ajv refuses fails the check (the u-flag escape of issue 16)" *
          doctest::test_suite("spec")) {
  if (!ajv_ready()) return;
  TempDir t;
  // A `\"` escape in a pattern: fine for Python's re, an error for a u-flag RegExp.
  write_file(t.path() / "bad.schema.json",
             R"({"$schema": "https://json-schema.org/draft/2020-12/schema",
                 "type": "string", "pattern": "^[^\\\"]+$"})");
  const auto r = run({"/usr/bin/env", "NODE_PATH=" + (ajv_dir() / "node_modules").string(), "node",
                      (source_dir() / "tests/tools/ajv_check.js").string(),
                      (t.path() / "bad.schema.json").string()});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out, "SCHEMA-ERROR"));
  CHECK(contains(r.out, "Invalid escape"));
}

TEST_CASE("ajv: specs and good fixtures pass, structural bad cases fail, semantic ones pass "
          "the schema" * doctest::test_suite("spec")) {
  if (!ajv_ready()) return;
  const auto src = source_dir();
  std::vector<std::string> args;
  for (const auto& dir : {src / "specs", src / "specs/lab", src / "tests/data/spec-good"})
    for (const auto& p : yaml_files(dir)) args.push_back("accept:" + p.string());
  const std::size_t good = args.size();
  std::size_t structural = 0;
  for (const auto& p : yaml_files(src / "tests/data/spec-bad")) {
    if (has_header(p, "kind", "structural")) {
      args.push_back("reject:" + p.string());
      ++structural;
    } else if (has_header(p, "kind", "semantic") && !contains(read_file(p), "duplicate key")) {
      // (82-done-when-three-errors also has a duplicate key: a YAML error to the package)
      args.push_back("accept:" + p.string());
    }
  }
  CHECK(good >= 9);
  CHECK(structural >= 50);
  CHECK(count_ok(ajv_check(args)) == args.size());
}

TEST_CASE("ajv: each YAML subtlety gets its catalogue verdict from the schema" *
          doctest::test_suite("spec")) {
  if (!ajv_ready()) return;
  std::vector<std::string> args;
  std::size_t accepted = 0;
  for (const auto& c : yaml_subtleties()) {
    args.push_back((c.accept ? "accept:" : "reject:") + c.path.string());
    accepted += c.accept;
  }
  CHECK(args.size() >= 30);
  CHECK(accepted >= 5);
  CHECK(accepted + 10 <= args.size());
  CHECK(count_ok(ajv_check(args)) == args.size());
}
