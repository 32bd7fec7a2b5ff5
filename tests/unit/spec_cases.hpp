#pragma once
// The spec fixture catalogues shared by the loader, schema and ajv tests:
//   tests/data/spec-good        specs that load and validate;
//   tests/data/spec-bad         bad input, header `# kind: structural | yaml | semantic`;
//   tests/data/yaml-subtleties  YAML 1.1/1.2 look-alikes, header `# verdict: accept | reject`
//                               (README.md there).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace mvt::test {

// The *.yaml / *.yml files of `dir`, sorted; empty when `dir` does not exist.
inline std::vector<std::filesystem::path> yaml_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> v;
  if (!std::filesystem::is_directory(dir)) return v;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

// Whether a catalogue file's header has the line `# LABEL: VALUE`.
inline bool has_header(const std::filesystem::path& p, const std::string& label,
                       const std::string& value) {
  return contains("\n" + read_file(p), "\n# " + label + ": " + value + "\n");
}

struct Subtlety {
  std::filesystem::path path;
  bool accept = false;  // `# verdict: accept` (else reject)
};

// Every case of tests/data/yaml-subtleties.
inline std::vector<Subtlety> yaml_subtleties() {
  std::vector<Subtlety> out;
  for (const auto& p : yaml_files(source_dir() / "tests/data/yaml-subtleties"))
    out.push_back({p, has_header(p, "verdict", "accept")});
  return out;
}

// Every output line must be "ok FILE"; returns how many were.
inline std::size_t count_ok(const RunResult& r) {
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t ok = 0;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    CHECK_MESSAGE(l.rfind("ok ", 0) == 0, l);
    ok += l.rfind("ok ", 0) == 0;
  }
  return ok;
}

}  // namespace mvt::test
