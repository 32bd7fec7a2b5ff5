// Hostile values written through File::set() are inert: sourcing the file with bash yields
// exactly the value and runs nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "ifcfg_test_support.hpp"
#include "test_support.hpp"

using namespace mvt;
namespace fs = std::filesystem;

TEST_CASE("ifcfg hostile values: bash yields the literal value and runs nothing" *
          doctest::test_suite("ifcfg")) {
  test::TempDir dir;
  const fs::path marker = dir.path() / "marker";
  const std::string m = marker.string();
  std::vector<std::string> values = {
      "$(touch " + m + ")",
      "`touch " + m + "`",
      "x; touch " + m,
      "x | touch " + m,
      "x && touch " + m,
      "a\ntouch " + m + "\n",
      "both ' and \" quotes",
      "'; touch " + m + "; '",
      "\"; touch " + m + "; \"",
      "back\\slash\\\\ and trailing\\",
      "${HOME} $HOME ~ ~/x a:~",
      "non-ASCII: \xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80",
      "control \t\r\x01\x7f chars",
      "# not a comment",
      "",
      " leading and trailing ",
      std::string(10000, 'x') + "'\"$`" + std::string(100, '\\'),
  };
  std::string start = "# existing\nDEVICE=eth0\nV0=old # comment\n";
  auto f = ifcfg::File::parse(start);
  for (std::size_t i = 0; i < values.size(); ++i) f.set("V" + std::to_string(i), values[i]);
  // Our own reader agrees.
  for (std::size_t i = 0; i < values.size(); ++i)
    CHECK(f.get("V" + std::to_string(i)) == values[i]);
  CHECK(f.problems().empty());

  const fs::path file = dir.path() / "ifcfg-hostile";
  test::write_file(file, f.write());
  // The script is constant; it prints each V<i> NUL-terminated, in order.
  auto r = ifcfg_test::run_argv({"/bin/bash", "-c",
                                 "set -e; . \"$1\"; for ((i = 0; i < $2; i++)); do "
                                 "v=V$i; printf '%s\\0' \"${!v}\"; done",
                                 "bash", file.string(), std::to_string(values.size())});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  CHECK(r.err.empty());
  std::vector<std::string> got;
  std::size_t pos = 0;
  while (pos < r.out.size()) {
    auto end = r.out.find('\0', pos);
    REQUIRE(end != std::string::npos);
    got.push_back(r.out.substr(pos, end - pos));
    pos = end + 1;
  }
  REQUIRE(got.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK_MESSAGE(got[i] == values[i], "V" << i);
  CHECK_FALSE(fs::exists(marker));
  // The comment on V0's line survived the rewrite.
  CHECK(f.write().find("# comment\n") != std::string::npos);
}

TEST_CASE("ifcfg hostile values: NUL is refused" * doctest::test_suite("ifcfg")) {
  auto f = ifcfg::File::parse("");
  CHECK_THROWS_AS(f.set("V", std::string("a\0$(reboot)", 11)), std::invalid_argument);
  CHECK(f.write().empty());
}
