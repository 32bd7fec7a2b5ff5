#pragma once
// Shared by the keyfile tests: the fixtures NetworkManager made (tests/data/keyfile, see its
// generate.sh) and FileState values for them.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
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

}  // namespace mvt::test
