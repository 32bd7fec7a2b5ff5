// Replays tests/data/fuzz-regressions/<target>/* (inputs found by tests/fuzz/run.sh, plus
// hand-made hostile ones) through the same parsers and invariants as the fuzz targets, in
// the ordinary test build: a crash found once stays fixed.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/route_file.hpp"
#include "plan/plan_file.hpp"
#include "spec/decode.hpp"
#include "spec/rules.hpp"
#include "spec/yaml_reader.hpp"
#include "test_support.hpp"
#include "xml/domain_xml.hpp"

namespace fs = std::filesystem;

namespace {
std::vector<fs::path> inputs(const char* target) {
  std::vector<fs::path> out;
  const auto dir = mvt::test::source_dir() / "tests/data/fuzz-regressions" / target;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("fuzz regressions: spec reader" * doctest::test_suite("security")) {
  const auto files = inputs("fuzz_spec");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    mvt::Diagnostics diags;
    auto root = mvt::spec::read_yaml(f.filename().string(), mvt::test::read_file(f), diags);
    if (root) {
      mvt::spec::check_file_header(*root, diags);
      auto t = mvt::spec::decode_topology(*root, diags);
      mvt::spec::check_rules(t, diags);
    }
    CHECK(diags.has_errors());  // every one of these is bad input, reported not crashed on
  }
}

TEST_CASE("fuzz regressions: ifcfg and route files round-trip" * doctest::test_suite("security")) {
  const auto files = inputs("fuzz_ifcfg");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    const auto text = mvt::test::read_file(f);
    const auto i = mvt::ifcfg::File::parse(text);
    CHECK(i.write() == text);
    for (const auto& k : i.unsafe_keys()) CHECK_FALSE(i.get(k));
    CHECK(mvt::ifcfg::RouteFile::parse(text).write() == text);
  }
}

TEST_CASE("fuzz regressions: domain XML is refused or parsed, never expanded from outside" *
          doctest::test_suite("security")) {
  const auto files = inputs("fuzz_domain_xml");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    try {
      auto d = mvt::xml::parse_domain(mvt::test::read_file(f), "regression input");
      CHECK(d.name.find("root:") == std::string::npos);  // no external entity was read
      CHECK(d.name.size() < 100000);                      // no entity blow-up
    } catch (const mvt::Error& e) {
      CHECK(std::string(e.what()).size() > 0);
    }
  }
}

TEST_CASE("fuzz regressions: bad plan files are refused with a reason" *
          doctest::test_suite("security")) {
  const auto files = inputs("fuzz_plan_file");
  REQUIRE(!files.empty());
  for (const auto& f : files) {
    CAPTURE(f.string());
    mvt::Diagnostics diags;
    auto p = mvt::plan::load_plan(mvt::test::read_file(f), f.filename().string(), diags);
    CHECK_FALSE(p);
    CHECK(diags.has_errors());
  }
}
