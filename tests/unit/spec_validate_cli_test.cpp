// `macvtapctl validate` end to end: exit codes, text and JSON output, --help.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace mvt::test;

TEST_CASE("validate -f specs/ merges every example and exits 0" * doctest::test_suite("cli")) {
  const auto r = run_tool({"validate", "-f", (source_dir() / "specs").string()});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("0 errors, ") != std::string::npos);
}

TEST_CASE("validate: warnings do not fail, text ends with a summary" * doctest::test_suite("cli")) {
  const auto seed = (source_dir() / "specs/seed.yaml").string();
  const auto r = run_tool({"validate", "-f", seed});
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(seed + ":34:27: warning: ") != std::string::npos);
  CHECK(r.out.find("[nic.host-shared-no-host-reach]") != std::string::npos);
  CHECK(r.out.find("\n0 errors, 1 warning\n") != std::string::npos);
}

TEST_CASE("validate --format json" * doctest::test_suite("cli")) {
  TempDir t;
  write_file(t.path() / "x.yaml", "version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n    urii: x\n");
  const auto r = run_tool({"validate", "-f", (t.path() / "x.yaml").string(), "--format", "json"});
  CHECK(r.exit_code == 1);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j.at("format_version") == 1);
  CHECK(j.at("valid") == false);
  REQUIRE(j.at("diagnostics").size() == 1);
  const auto& d = j.at("diagnostics")[0];
  CHECK(d.at("file") == (t.path() / "x.yaml").string());
  CHECK(d.at("line") == 5);
  CHECK(d.at("column") == 5);
  CHECK(d.at("severity") == "error");
  CHECK(d.at("rule") == "spec.unknown-key");
  CHECK(d.at("message") == "unknown key 'urii' in host 'kvm1' (did you mean 'uri'?)");

  const auto ok = run_tool({"validate", "-f", (source_dir() / "specs").string(), "--format", "json"});
  CHECK(ok.exit_code == 0);
  CHECK(nlohmann::json::parse(ok.out).at("valid") == true);
}

TEST_CASE("validate --help and bad usage" * doctest::test_suite("cli")) {
  const auto h = run_tool({"validate", "--help"});
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("--format") != std::string::npos);
  CHECK(h.out.find("-f") != std::string::npos);
  CHECK(run_tool({"validate"}).exit_code == 1);                       // -f is required
  CHECK(run_tool({"validate", "-f", "x", "--format", "xml"}).exit_code == 1);
  CHECK(run_tool({"validate", "-f", "/nonexistent/spec.yaml"}).exit_code == 1);
}

TEST_CASE("validate --color always marks the severity, never (and a pipe) do not" *
          doctest::test_suite("cli")) {
  const auto seed = (source_dir() / "specs/seed.yaml").string();
  const auto c = run_tool({"--color", "always", "validate", "-f", seed});
  CHECK(c.exit_code == 0);
  CHECK(c.out.find("\033[1;33mwarning:\033[0m") != std::string::npos);
  const auto p = run_tool({"validate", "-f", seed});
  CHECK(p.out.find('\033') == std::string::npos);
}
