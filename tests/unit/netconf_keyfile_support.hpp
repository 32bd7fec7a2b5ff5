#pragma once
// Shared by the keyfile tests: the fixtures NetworkManager made (tests/data/keyfile, see its
// generate.sh) and FileState values for them.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <sstream>
#include <vector>
#include <string>

#include "model/observed.hpp"
#include "netconf/keyfile/keyfile_profile.hpp"
#include "test_support.hpp"

namespace mvt::test {

inline std::filesystem::path keyfile_fixture_dir() { return source_dir() / "tests/data/keyfile"; }

// Every *.nmconnection fixture: file name -> bytes (at least the nine generate.sh makes).
inline std::map<std::string, std::string> keyfile_fixtures() {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(keyfile_fixture_dir()))
    if (e.path().extension() == ".nmconnection") out[e.path().filename().string()] = read_file(e.path());
  REQUIRE(out.size() >= 9);
  return out;
}

// A profile as a root owned, mode 0600 file (as NetworkManager wants it).
inline FileState keyfile_state(const std::string& name, const std::string& bytes, unsigned mode = 0600) {
  FileState f;
  f.path = std::string(keyfile::kDir) + "/" + name;
  f.bytes = bytes;
  f.mode = mode;
  f.origin = "/g/" + name;
  return f;
}

// generate.sh --check DIR [--up DEVICES] (tests/data/keyfile/generate.sh): what an isolated
// NetworkManager 1.42 made of the profiles in DIR ("FILE" -> property -> value) and, with
// `up`, of its veth devices ("DEVICE" -> GENERAL.STATE, GENERAL.CONNECTION, addr: the `ip -j
// addr` JSON). nullopt (said loudly) where NetworkManager cannot run here.
inline std::optional<std::map<std::string, std::map<std::string, std::string>>> nm_check(
    const std::filesystem::path& dir, const std::string& up) {
  std::vector<std::string> argv{"/bin/bash",
                                (keyfile_fixture_dir() / "generate.sh").string(),
                                "--check", dir.string()};
  if (!up.empty()) argv.insert(argv.end(), {"--up", up});
  const auto r = run(argv);
  if (r.exit_code == 77) {
    MESSAGE("SKIPPED: NetworkManager cannot run isolated here: " << r.err);
    return std::nullopt;
  }
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::map<std::string, std::map<std::string, std::string>> out;
  std::istringstream in(r.out);
  std::string line, cur;
  while (std::getline(in, line)) {
    if (line.rfind("=== device ", 0) == 0)
      cur = line.substr(11);
    else if (line.rfind("== ", 0) == 0)
      cur = line.substr(3);
    else if (auto k = line.find(':'); k != std::string::npos && !cur.empty())
      out[cur][line.substr(0, k)] = line.substr(k + 1);
  }
  return out;
}

}  // namespace mvt::test
