#pragma once
// The spec fixture catalogues shared by the loader, schema and ajv tests:
//   tests/data/spec-good        specs that load and validate;
//   tests/data/spec-bad         bad input, header `# kind: structural | yaml | semantic`;
//   tests/data/yaml-subtleties  YAML 1.1/1.2 look-alikes, header `# verdict: accept | reject`
//                               (README.md there).
#include <algorithm>
#include <filesystem>
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

}  // namespace mvt::test
