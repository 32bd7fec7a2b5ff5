// Robustness: thousands of deterministic mutations of the seed spec go through the whole
// loading pipeline (read_yaml, header check, decode, rules). Nothing may throw or crash, and
// every diagnostic must carry a rule id and a position inside the file (or a file-level
// position 1:1 / unknown). Run under the asan-ubsan preset for memory errors.
#include <doctest/doctest.h>

#include <random>

#include "spec/decode.hpp"
#include "spec/rules.hpp"
#include "spec/yaml_reader.hpp"
#include "test_support.hpp"

using namespace mvt;

TEST_CASE("mutated specs never crash the loader and always point into the file" *
          doctest::test_suite("spec")) {
  const std::string seed = test::read_file(test::source_dir() / "specs/seed.yaml");
  const std::string alphabet = ":{}[]-#&*!|>'\"\t\n ,?%@`\\\xff\xc3 0aZ.";
  std::mt19937 rng(20261124);
  int lines = 1;
  for (char c : seed) lines += c == '\n';
  int with_errors = 0;
  constexpr int kRuns = 1500;
  for (int run = 0; run < kRuns; ++run) {
    std::string s = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(at, 1 + rng() % 8); break;
        case 2: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        case 3: {  // duplicate a line
          const auto b = s.rfind('\n', at);
          const auto en = s.find('\n', at);
          if (b != std::string::npos && en != std::string::npos) s.insert(en, s.substr(b, en - b));
          break;
        }
      }
    }
    Diagnostics d;
    REQUIRE_NOTHROW([&] {
      if (auto root = spec::read_yaml("m.yaml", s, d)) {
        spec::check_file_header(*root, d);
        const Topology t = spec::decode_topology(*root, d);
        spec::check_rules(t, d);
      }
    }());
    with_errors += d.has_errors();
    for (const auto& x : d.items()) {
      INFO("run ", run, ": ", format_diagnostic(x));
      CHECK_FALSE(x.rule.empty());
      CHECK(x.pos.line <= lines + 1 + 8 * edits);
      CHECK(x.pos.line >= 0);
    }
  }
  // Most mutations break something; some are harmless (inside comments, values).
  CHECK(with_errors > kRuns / 4);
  MESSAGE(with_errors, " of ", kRuns, " mutated specs were rejected");
}
