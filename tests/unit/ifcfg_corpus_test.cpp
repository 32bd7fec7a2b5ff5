// ifcfg library against the real-world corpus: lossless round trip and bash equivalence.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/route_file.hpp"
#include "ifcfg_test_support.hpp"
#include "test_support.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

// Every regular file under corpus/ifcfg-rh and corpus/initscripts, sorted.
std::vector<fs::path> corpus_files() {
  std::vector<fs::path> out;
  auto root = test::corpus_dir();
  if (root.empty()) return out;
  for (const char* sub : {"ifcfg-rh", "initscripts"}) {
    if (!fs::is_directory(root / sub)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / sub))
      if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What bash exports after `set -a; . FILE`, minus bash's own variables.
std::map<std::string, std::string> bash_values(const fs::path& file) {
  const std::string env = fs::exists("/usr/bin/env") ? "/usr/bin/env" : "/bin/env";
  // The script is a constant; the file name travels as $1, never inside the script text.
  const std::vector<std::string> argv{
      env, "-i", "bash", "-c", "set -a; . \"$1\"; env -0", "bash", file.string()};
  auto r = ifcfg_test::run_argv(argv);
  REQUIRE_MESSAGE(r.exit_code == 0, (file.string() + ": " + r.err));
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < r.out.size()) {
    auto end = r.out.find('\0', i);
    if (end == std::string::npos) end = r.out.size();
    std::string entry = r.out.substr(i, end - i);
    i = end + 1;
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string key = entry.substr(0, eq);
    if (key == "PWD" || key == "SHLVL" || key == "_" || key == "OLDPWD") continue;
    out[key] = entry.substr(eq + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("ifcfg: write(parse(x)) == x for every corpus file" * doctest::test_suite("ifcfg")) {
  auto files = corpus_files();
  if (files.empty()) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int checked = 0;
  for (const auto& p : files) {
    std::string text = test::read_file(p);
    auto f = ifcfg::File::parse(text);
    CHECK_MESSAGE(f.write() == text, p.string());
    CHECK_FALSE(f.modified());
    ++checked;
  }
  MESSAGE("round-tripped " << checked << " corpus files");
  CHECK(checked >= 200);
}

TEST_CASE("ifcfg: decoded values equal what bash sources, for every problem-free corpus file" *
          doctest::test_suite("ifcfg")) {
  auto files = corpus_files();
  if (files.empty()) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int compared = 0, skipped = 0, values = 0;
  for (const auto& p : files) {
    auto f = ifcfg::File::parse(test::read_file(p));
    // Files with problems (expansions, commands, non-identifier keys) are never sourced:
    // bash would evaluate or run them.
    if (!f.problems().empty()) {
      ++skipped;
      continue;
    }
    auto bash = bash_values(p);
    std::map<std::string, std::string> ours;
    for (const auto& k : f.keys()) {
      auto v = f.get(k);
      REQUIRE_MESSAGE(v, (p.string() + ": " + k));
      ours[k] = *v;
    }
    CHECK_MESSAGE(ours == bash, p.string());
    if (ours != bash) {
      for (const auto& [k, v] : bash)
        if (!ours.count(k) || ours[k] != v)
          MESSAGE(p.string() << ": bash " << k << "=[" << v << "] ours=["
                             << (ours.count(k) ? ours[k] : "<absent>") << "]");
      for (const auto& [k, v] : ours)
        if (!bash.count(k)) MESSAGE(p.string() << ": ours only " << k << "=[" << v << "]");
    }
    values += static_cast<int>(ours.size());
    ++compared;
  }
  MESSAGE("compared " << compared << " files (" << values << " values) with bash; skipped "
                      << skipped << " files with problems");
  CHECK(compared >= 150);
}

TEST_CASE("ifcfg: corpus route files parse losslessly and yield routes" *
          doctest::test_suite("ifcfg")) {
  auto files = corpus_files();
  if (files.empty()) {
    MESSAGE("SKIPPED: corpus not found (set MVT_CORPUS_DIR)");
    return;
  }
  int n = 0;
  for (const auto& p : files) {
    auto name = p.filename().string();
    if (name.rfind("route-", 0) != 0) continue;
    std::string text = test::read_file(p);
    auto r = ifcfg::RouteFile::parse(text);
    CHECK_MESSAGE(r.write() == text, name);
    // Every route the file declares is either modelled or reported.
    std::size_t declared = 0;
    if (r.format() == ifcfg::RouteFile::Format::Keys) {
      while (ifcfg::File::parse(text).has("ADDRESS" + std::to_string(declared))) ++declared;
    } else {
      std::size_t i = 0;
      while (i < text.size()) {
        auto nl = text.find('\n', i);
        if (nl == std::string::npos) nl = text.size();
        auto line = text.substr(i, nl - i);
        auto first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] != '#') ++declared;
        i = nl + 1;
      }
    }
    CHECK_MESSAGE(r.routes().size() + r.problems().size() == declared, name);
    ++n;
  }
  MESSAGE("checked " << n << " route files");
  CHECK(n >= 3);
}
