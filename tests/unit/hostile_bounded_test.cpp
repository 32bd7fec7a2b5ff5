// Hostile catalogue, issue 12 points 6 and 7 (slice D): every input is bounded, and files bash
// would not read as plain assignments are not managed blindly.
//
// Point 6: a YAML alias bomb, 80,000 nested '[' and a 100,000-key spec end in one error at a
// position, never in an allocation failure or a stack overflow; a guest ifcfg of many lines
// is planned (linear: tests/bench/ `macvtapctl_bench --inputs-only` times it; no timed test
// here). Point 7: a managed ifcfg whose lines make sourcing do more than assign (`readonly`,
// `declare`, `export`, `unset`, `.`, a function...) makes `plan` exit 1 naming the file and
// line, and `apply` refuse before writing; a $(...) in a key the spec does not manage is a
// warning naming the line; nothing the file would run is ever run (a marker file proves it).
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "apply_test_support.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;

namespace {

std::string alias_bomb() {
  std::string s = "version: 1\na: &a [x,x,x,x,x,x,x,x,x]\n";
  const char* names = "abcdefghi";
  for (int k = 1; k < 9; ++k) {
    s += std::string(1, names[k]) + ": &" + names[k] + " [";
    for (int j = 0; j < 9; ++j) s += std::string(j ? "," : "") + "*" + names[k - 1];
    s += "]\n";
  }
  return s;
}

test::RunResult validate(const fs::path& dir, const std::string& name, const std::string& text) {
  const auto f = dir / name;
  test::write_file(f, text);
  auto r = test::run_tool({"validate", "-f", f.string()});
  r.err = r.out + r.err;  // validate reports on stdout; the checks read both
  return r;
}

}  // namespace

TEST_CASE("hostile: a YAML alias bomb is refused at the alias that crosses the node budget" *
          doctest::test_suite("security")) {
  test::TempDir t;
  const auto r = validate(t.path(), "bomb.yaml", alias_bomb());
  INFO(r.err);
  CHECK(r.exit_code == 1);
  // a: 10 nodes, b: 91, c: 820, d: 7,381, e: 66,430, f: 597,871 -> f's first *e crosses 100,000.
  CHECK(r.err.find("bomb.yaml:7:8: error: alias *e expands the document beyond 100000 nodes") !=
        std::string::npos);
  CHECK(r.err.find("[yaml.alias-budget]") != std::string::npos);
  CHECK(r.err.find("bad_alloc") == std::string::npos);
  CHECK(r.err.find("internal error") == std::string::npos);
}

TEST_CASE("hostile: an alias inside its own anchor (a cycle) is refused at the alias" *
          doctest::test_suite("security")) {
  test::TempDir t;
  const auto r = validate(t.path(), "cycle.yaml", "version: 1\na: &a [1, [2, *a, *a]]\n");
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("cycle.yaml:2:15: error: alias *a is inside the collection anchored &a (a "
                   "cycle) [yaml.alias-cycle]") != std::string::npos);
}

TEST_CASE("hostile: aliases within the budget still expand (a small spec with anchors is fine)" *
          doctest::test_suite("security")) {
  test::TempDir t;
  // 4 levels of x9: 7,381 nodes, under the 100,000 floor: no budget error (the spec's other
  // errors are about these unknown keys, not about the aliases).
  std::string s = "version: 1\na: &a [x,x,x,x,x,x,x,x,x]\n";
  for (const char* k : {"b", "c", "d"}) {
    const std::string prev(1, static_cast<char>(k[0] - 1));
    s += std::string(k) + ": &" + k + " [";
    for (int j = 0; j < 9; ++j) s += std::string(j ? "," : "") + "*" + prev;
    s += "]\n";
  }
  const auto r = validate(t.path(), "ok.yaml", s);
  INFO(r.err);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("alias-budget") == std::string::npos);
  CHECK(r.err.find("unknown key 'd'") != std::string::npos);
}

TEST_CASE("hostile: 80000 nested flow openers end in one depth error at the 65th and no crash" *
          doctest::test_suite("security")) {
  test::TempDir t;
  for (const std::string open : {"[", "{a: "}) {
    std::string s = "version: 1\nx: ";
    for (int k = 0; k < 80000; ++k) s += open;
    s += "\n";
    const auto r = validate(t.path(), "deep.yaml", s);
    INFO(open, r.err.substr(0, 400));
    CHECK(r.exit_code == 1);  // not a signal (a stack overflow would be 128+11)
    // The root mapping is level 1, x's collection level 2: the 65th opener is level 65.
    const int col = 4 + 63 * static_cast<int>(open.size());
    CHECK(r.err.find("deep.yaml:2:" + std::to_string(col) +
                     ": error: nesting deeper than 64 levels [yaml.depth]") != std::string::npos);
  }
  // Block nesting (`- - - - x`) too.
  std::string s = "version: 1\nx:\n";
  for (int k = 0; k < 20000; ++k) s += "- ";
  s += "x\n";
  const auto r = validate(t.path(), "block.yaml", s);
  INFO(r.err.substr(0, 400));
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nesting deeper than 64 levels [yaml.depth]") != std::string::npos);
}

TEST_CASE("hostile: 100000 unknown keys each get their own line and caret and message" *
          doctest::test_suite("security")) {
  test::TempDir t;
  std::string s = "version: 1\nhosts: {}\n";
  for (int k = 0; k < 100000; ++k) s += "k" + std::to_string(100000 + k) + ": 1\n";
  const auto r = validate(t.path(), "keys.yaml", s);
  CHECK(r.exit_code == 1);
  // The last key's diagnostic carries its own line text (found in the line table).
  CHECK(r.err.find("keys.yaml:100002:1: error: unknown key 'k199999'") != std::string::npos);
  CHECK(r.err.find("\n  k199999: 1\n  ^") != std::string::npos);
  CHECK(r.err.find("keys.yaml:3:1: error: unknown key 'k100000'") != std::string::npos);
}

// ---- point 7: managed ifcfg files bash would not read as plain assignments ----

namespace {

struct Lab {
  test::TempDir t;
  fs::path lab = t.path() / "lab";
  fs::path eth0 = lab / "guest-web1/etc/sysconfig/network-scripts/ifcfg-eth0";
  fs::path marker = t.path() / "marker";
  fs::path state = t.path() / "state";
  Lab() { fs::copy(test::source_dir() / "specs" / "lab", lab, fs::copy_options::recursive); }
  std::vector<std::string> spec() const {
    return {"-f", (test::source_dir() / "specs" / "seed.yaml").string(), "-f",
            (lab / "seed-lab.yaml").string()};
  }
  test::ProcResult run(std::vector<std::string> head) const {
    std::vector<std::string> a{"--state-dir", state.string(), "--color", "never"};
    a.insert(a.end(), head.begin(), head.end());
    for (const auto& s : spec()) a.push_back(s);
    return test::run_tool_env(a);
  }
};

}  // namespace

TEST_CASE("hostile: a managed ifcfg with a line that is not a plain assignment is refused by "
          "plan and drift and apply naming the line - nothing written and nothing run" *
          doctest::test_suite("security")) {
  // Each line changes what sourcing the file yields (or runs something); NetworkManager's
  // reader does not read them as assignments either (shvar.c: `export X=1` is not a FOO= line).
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"readonly DEFROUTE", "'readonly'"},
      {"declare -r PEERDNS=no", "'declare'"},
      {"typeset DEFROUTE=no", "'typeset'"},
      {"local X=1", "'local'"},
      {"export DEFROUTE=no", "'export'"},
      {"export -n PEERDNS", "'export'"},
      {"unset DEFROUTE", "'unset'"},
      {"set -e", "'set'"},
      {"return 0", "'return'"},
      {"exit 0", "'exit'"},
      {". /etc/sysconfig/other", "'.'"},
      {"source /etc/sysconfig/other", "'source'"},
      {"f() { DEFROUTE=no; }", "'f': not an assignment"},
      {"function f { :; }", "'function'"},
      {"eval DEFROUTE=no", "'eval'"},
      {"alias x=y", "'alias'"},
      {"shopt -s expand_aliases", "'shopt'"},
      {"DEFROUTE=no; touch MARKER", "shell operator ';'"},
      {"X=1 touch MARKER", "'touch'"},
      {"DEFROUTE+=no", "append assignment"},
      {"A[1]=x", "array element"},
      {"X=${DEFROUTE:=no}", "${...=...} can assign"},
      {"X=$((DEFROUTE=1))", "$((...)) can assign"},
      {"X='unterminated", "unterminated '...' quote"},
  };
  for (const auto& [line, what] : lines) {
    Lab lab;
    std::string hostile = line;
    for (auto at = hostile.find("MARKER"); at != std::string::npos; at = hostile.find("MARKER"))
      hostile.replace(at, 6, lab.marker.string());
    const std::string before = test::read_file(lab.eth0) + hostile + "\n";
    test::write_file(lab.eth0, before);
    const auto tree = test::snapshot_tree(lab.lab);
    INFO(line);
    for (const char* cmd : {"plan", "drift"}) {
      const auto r = lab.run({cmd});
      INFO(cmd, r.out, r.err);
      CHECK(r.exit_code == 1);
      CHECK(r.err.find("ifcfg-eth0:14:") != std::string::npos);
      CHECK(r.err.find("host kvm1: guest web1: ifcfg-eth0 line 14: ") != std::string::npos);
      CHECK(r.err.find(what) != std::string::npos);
      CHECK(r.err.find("refuses to manage it") != std::string::npos);
      CHECK(r.err.find("[file.not-assignments]") != std::string::npos);
    }
    const auto a = lab.run({"apply", "--yes"});
    INFO(a.out, a.err);
    CHECK(a.exit_code == 1);
    CHECK(a.err.find("ifcfg-eth0 line 14: ") != std::string::npos);
    CHECK(a.out.find("verified") == std::string::npos);
    CHECK(test::snapshot_tree(lab.lab) == tree);  // not a byte written anywhere in the lab
    CHECK(test::read_file(lab.eth0) == before);
    CHECK_FALSE(fs::exists(lab.marker));
  }
}

TEST_CASE("hostile: command substitutions in keys the spec does not manage are warnings naming "
          "the line - the plan still manages the file and runs nothing" *
          doctest::test_suite("security")) {
  Lab lab;
  test::write_file(lab.eth0, test::read_file(lab.eth0) + "ETHTOOL_OPTS=\"$(touch " +
                                 lab.marker.string() + ")\"\nX_NOTE=`touch " +
                                 lab.marker.string() + "`\n");
  for (const char* cmd : {"plan", "drift"}) {
    const auto r = lab.run({cmd});
    INFO(cmd, r.out, r.err);
    CHECK(r.exit_code != 1);
    CHECK(r.err.find("ifcfg-eth0:14:15: warning: host kvm1: guest web1: ifcfg-eth0 line 14: the "
                     "value of ETHTOOL_OPTS runs a command when network-scripts source the file") !=
          std::string::npos);
    CHECK(r.err.find("ifcfg-eth0:15:8: warning: host kvm1: guest web1: ifcfg-eth0 line 15: the "
                     "value of X_NOTE runs a command") != std::string::npos);
    CHECK(r.err.find("[file.runs-command]") != std::string::npos);
  }
  // A $(...) in a key the spec manages is replaced by the plan: no warning for it.
  Lab managed;
  test::write_file(managed.eth0, test::read_file(managed.eth0) + "DEFROUTE=$(touch " +
                                     managed.marker.string() + ")\n");
  const auto r = managed.run({"plan"});
  INFO(r.out, r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("runs-command") == std::string::npos);
  CHECK_FALSE(fs::exists(lab.marker));
  CHECK_FALSE(fs::exists(managed.marker));
}

TEST_CASE("hostile: a guest ifcfg of 50000 lines is planned" *
          doctest::test_suite("security")) {
  Lab lab;
  std::string text = test::read_file(lab.eth0);
  for (int k = 0; k < 50000; ++k)
    text += (k % 2 ? "X_" + std::to_string(k) + "=\"v " + std::to_string(k) + "\"\n"
                   : "# note " + std::to_string(k) + "\n");
  test::write_file(lab.eth0, text);
  const auto r = lab.run({"plan", "--format", "json"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("ifcfg-eth0") != std::string::npos);
}
