// The bad-input catalogue: every tests/data/spec-bad/*.yaml is a malformed spec whose header
// says what `macvtapctl validate` must report:
//   # kind: structural | yaml | semantic     (structural: the JSON schema rejects it too)
//   # expect: LINE:COL: message fragment      (one line per expected error)
// Each case runs the real binary and must exit 1 with every expected error at its position.
// The YAML-subtleties catalogue (tests/data/yaml-subtleties) is checked the same way.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>

#include "spec_cases.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt::test;

namespace {

struct Expect {
  int line = 0;
  int column = 0;
  std::string fragment;
};

std::vector<Expect> expectations(const std::string& text) {
  static const std::regex re(R"(^# expect: (\d+):(\d+): (.*)$)");
  std::vector<Expect> out;
  std::istringstream in(text);
  std::string l;
  std::smatch m;
  while (std::getline(in, l))
    if (std::regex_match(l, m, re)) out.push_back({std::stoi(m[1]), std::stoi(m[2]), m[3]});
  return out;
}

std::vector<fs::path> bad_cases() { return yaml_files(source_dir() / "tests/data/spec-bad"); }

// `macvtapctl validate -f p` exits 1 with each of the file's `# expect:` errors.
void check_rejected(const fs::path& p) {
  const auto expects = expectations(read_file(p));
  INFO("case ", p.filename().string());
  REQUIRE_FALSE(expects.empty());
  const auto r = run_tool({"validate", "-f", p.string()});
  INFO("output:\n", r.out, r.err);
  CHECK(r.exit_code == 1);
  std::istringstream in(r.out);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  for (const auto& e : expects) {
    const std::string prefix = p.string() + ":" + std::to_string(e.line) + ":" +
                               std::to_string(e.column) + ": error: ";
    const bool found = std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(prefix, 0) == 0 && l.find(e.fragment) != std::string::npos;
    });
    CHECK_MESSAGE(found, "expected '" << prefix << "..." << e.fragment << "'");
  }
}

}  // namespace

TEST_CASE("bad-input catalogue: each case exits 1 with its messages at their positions" *
          doctest::test_suite("spec")) {
  const auto cases = bad_cases();
  CHECK(cases.size() >= 40);
  for (const auto& p : cases) check_rejected(p);
}

TEST_CASE("YAML subtleties: the loader gives each case its catalogue verdict, rejections with "
          "their messages at their positions" * doctest::test_suite("spec")) {
  // The same cases get the same verdicts from the schema in schema_ajv_test.cpp.
  const auto cases = yaml_subtleties();
  CHECK(cases.size() >= 30);
  for (const auto& c : cases) {
    if (!c.accept) {
      check_rejected(c.path);
      continue;
    }
    INFO("case ", c.path.filename().string());
    CHECK(expectations(read_file(c.path)).empty());
    const auto r = run_tool({"validate", "-f", c.path.string()});
    INFO("output:\n", r.out, r.err);
    CHECK(r.exit_code == 0);
    CHECK_FALSE(contains(r.out, ": error: "));
  }
}

TEST_CASE("bad-input catalogue: JSON output carries rule, position and severity" *
          doctest::test_suite("spec")) {
  const auto p = source_dir() / "tests/data/spec-bad";
  fs::path done;
  for (const auto& c : bad_cases())
    if (c.filename().string().find("done-when-three-errors") != std::string::npos) done = c;
  REQUIRE_FALSE(done.empty());
  const auto r = run_tool({"validate", "-f", done.string(), "--format", "json"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("\"valid\": false") != std::string::npos);
  CHECK(r.out.find("\"format_version\": 1") != std::string::npos);
  for (const char* rule : {"guest.one-defroute", "iface.gateway-in-subnet", "yaml.duplicate-key"})
    CHECK_MESSAGE(r.out.find(std::string("\"rule\": \"") + rule + "\"") != std::string::npos, rule);
  CHECK(r.out.find("\"severity\": \"error\"") != std::string::npos);
  CHECK(r.out.find("\"line\": 19") != std::string::npos);
}
