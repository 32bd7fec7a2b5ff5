// Hostile catalogue, issue 12 point 7 (slice D), against real bash: every line that makes
// `. FILE` yield something other than the file's plain assignments is one the parser marks
// `refuse` (so the diff never manages the file), and bash proves each such line matters: the
// value bash ends with differs from what the assignments alone say, or bash runs something.
// Files the parser does not refuse source to exactly the values it decodes (the differential
// tests of ifcfg_bash_diff_test.cpp), also after the diff's edits.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "ifcfg_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

// What bash ends with for V after sourcing `text` (with `set -a`, in a clean environment),
// "<unset>" when V is unset; `ran` set when the marker file exists afterwards.
std::string bash_value(const fs::path& dir, const std::string& text, bool* ran) {
  const auto f = dir / "ifcfg-x";
  const auto marker = dir / "marker";
  fs::remove(marker);
  test::write_file(f, text);
  auto r = ifcfg_test::run_argv({"/usr/bin/env", "-i", "MARKER=" + marker.string(), "/bin/bash",
                                 "-c", ". \"$1\" >/dev/null 2>&1; "
                                 "if [ \"${V+set}\" = set ]; then printf %s \"$V\"; "
                                 "else printf '<unset>'; fi",
                                 "bash", f.string()});
  *ran = fs::exists(marker);
  return r.out;
}

bool refused(const ifcfg::File& f) {
  const auto p = f.problems();
  return std::any_of(p.begin(), p.end(), [](const ifcfg::Problem& x) { return x.refuse; });
}

}  // namespace

TEST_CASE("hostile: each line bash would not read as an assignment is refused, and bash shows "
          "it changes what sourcing yields" * doctest::test_suite("security")) {
  test::TempDir t;
  // Each file assigns V=plain as a plain assignment; bash ends with something else (or runs
  // the marker command), which is why the parser must refuse the file.
  const std::vector<std::string> files = {
      "V=plain\nunset V\n",
      "V=plain\nreadonly V=other\n",
      "V=plain\ndeclare V=other\n",
      "V=plain\ntypeset V=other\n",
      "V=plain\nexport V=other\n",
      "V=plain\nV+=more\n",
      "V=plain\nV=other; touch \"$MARKER\"\n",
      "V=plain\nX=${V:=x} V=${V/plain/other}\n",
      "V=plain\nX=$((V=5))\n",
      "V=plain\neval V=other\n",
      "V=plain\nset -- ; V=other\n",
      "V=plain\nf() { V=other; }; f\n",
      "V=plain\nfunction g { V=other; }; g\n",
      "V=plain\nreturn 0\nV=late\n",
      "V=plain\n. /dev/null; V=other\n",
      "V=plain\ntouch \"$MARKER\"\n",
      "V=plain\nV[0]=other\n",
  };
  for (const auto& text : files) {
    INFO(text);
    const auto f = ifcfg::File::parse(text);
    CHECK(refused(f));
    bool ran = false;
    const std::string bash = bash_value(t.path(), text, &ran);
    // "plain" is what the file's plain assignments alone say; bash disagrees or ran something.
    // (`return` stops the file early, so the later V=late never applies: also a difference
    // from reading every assignment.)
    const bool differs = bash != "plain" || ran || text.find("V=late") != std::string::npos;
    CHECK(differs);
  }
}

TEST_CASE("hostile: a file the parser does not refuse sources to its decoded values, also "
          "after the diff's edits" * doctest::test_suite("security")) {
  test::TempDir t;
  const std::vector<std::string> files = {
      "V=plain\n# readonly V\n",
      "V='a b'\"c\"$'\\t'\n",
      "X=1 V=2\n",
      "V=old\nV=plain\n",
      "  V=plain   # comment; unset V\n",
      "V=\"x;y|z&(w)\"\n",
  };
  for (const auto& text : files) {
    INFO(text);
    auto f = ifcfg::File::parse(text);
    REQUIRE_FALSE(refused(f));
    bool ran = false;
    CHECK(bash_value(t.path(), text, &ran) == f.get("V").value_or("<unsafe>"));
    CHECK_FALSE(ran);
    // The value the diff writes (quote()) sources to exactly itself.
    const std::string hostile = "new value; $(touch \"$MARKER\") `touch \"$MARKER\"` 'q'";
    f.set("V", hostile);
    CHECK(bash_value(t.path(), f.write(), &ran) == hostile);
    CHECK_FALSE(ran);
  }
}
