// schemas/topology.schema.json and the loader agree: every spec under specs/ (and specs/lab/)
// every good fixture and every accepted YAML-subtleties case validates against the schema
// (python3-jsonschema, PyYAML: a YAML 1.1 reader) and loads without errors; every catalogue
// case of kind "structural" is rejected by both. (Rejected subtleties: schema_ajv_test.cpp,
// which reads YAML 1.1 and 1.2; PyYAML alone takes `defroute: yes` for a boolean.)
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "spec/loader.hpp"
#include "spec_cases.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

// argv: SCHEMA then EXPECT:PATH... (EXPECT = good | bad). Prints one line per file:
// "ok PATH" when the schema's verdict matches, else "MISMATCH PATH: detail".
const char* kChecker = R"PY(
import json, sys
import jsonschema, yaml
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
for arg in sys.argv[2:]:
    expect, path = arg.split(':', 1)
    try:
        doc = yaml.safe_load(open(path, encoding='utf-8'))
        errors = [e.message for e in v.iter_errors(doc)]
    except Exception as e:
        errors = ['unreadable: %s' % e]
    if (expect == 'good') == (not errors):
        print('ok', path)
    else:
        print('MISMATCH', path + ':', errors[:3] if errors else 'schema accepts it')
)PY";

bool python_ready() {
  const auto r = test::run({"/usr/bin/env", "python3", "-c", "import jsonschema, yaml"});
  return r.exit_code == 0;
}

}  // namespace

TEST_CASE("schema and loader agree on good specs and structural bad ones" *
          doctest::test_suite("spec")) {
  if (!python_ready()) {
    MESSAGE("SKIPPED: python3 with jsonschema and yaml (python3-jsonschema, python3-yaml) "
            "is not installed");
    return;
  }
  const auto src = test::source_dir();
  std::vector<fs::path> good = test::yaml_files(src / "specs");
  for (const auto& p : test::yaml_files(src / "specs/lab")) good.push_back(p);
  for (const auto& p : test::yaml_files(src / "tests/data/spec-good")) good.push_back(p);
  for (const auto& c : test::yaml_subtleties())
    if (c.accept) good.push_back(c.path);
  std::vector<fs::path> bad;
  for (const auto& p : test::yaml_files(src / "tests/data/spec-bad"))
    if (test::has_header(p, "kind", "structural")) bad.push_back(p);
  CHECK(good.size() >= 14);
  CHECK(bad.size() >= 30);

  // The loader's side.
  for (const auto& p : good) {
    const auto r = spec::load({p.string()});
    CHECK_MESSAGE(!r.diagnostics.has_errors(), p.string(), " does not load");
  }
  for (const auto& p : bad) {
    const auto r = spec::load({p.string()});
    CHECK_MESSAGE(r.diagnostics.has_errors(), p.string(), " loads without error");
  }

  // The schema's side.
  test::TempDir t;
  test::write_file(t.path() / "check.py", kChecker);
  std::vector<std::string> argv{"/usr/bin/env", "python3", (t.path() / "check.py").string(),
                                (src / "schemas/topology.schema.json").string()};
  for (const auto& p : good) argv.push_back("good:" + p.string());
  for (const auto& p : bad) argv.push_back("bad:" + p.string());
  const auto r = test::run(argv);
  CHECK(test::count_ok(r) == good.size() + bad.size());
}
