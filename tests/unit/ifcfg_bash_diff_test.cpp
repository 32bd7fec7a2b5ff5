// Differential test against bash beyond the corpus: hand-picked tricky spellings and
// deterministic random ones. Only files the parser reports problem-free are sourced (and
// the random alphabet cannot spell a command that does anything: letters a and x only).
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "ifcfg_test_support.hpp"
#include "test_support.hpp"

using namespace mvt;
namespace fs = std::filesystem;

namespace {

using Env = std::map<std::string, std::string>;

// Sources each file in its own subshell of ONE bash process; returns the exported variables
// per file (bash's own PWD, SHLVL, _ and OLDPWD removed).
std::vector<Env> bash_envs(const std::vector<fs::path>& files) {
  std::vector<std::string> argv{"/usr/bin/env",
                                "-i",
                                "/bin/bash",
                                "-c",
                                "for f in \"$@\"; do (set -a; . \"$f\"; env -0); "
                                "printf '\\001'; done",
                                "bash"};
  for (const auto& f : files) argv.push_back(f.string());
  auto r = ifcfg_test::run_argv(argv);
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  std::vector<Env> out(1);
  std::size_t i = 0;
  while (i < r.out.size()) {
    if (r.out[i] == '\001') {
      out.emplace_back();
      ++i;
      continue;
    }
    auto end = r.out.find('\0', i);
    REQUIRE(end != std::string::npos);
    std::string entry = r.out.substr(i, end - i);
    i = end + 1;
    auto eq = entry.find('=');
    std::string k = entry.substr(0, eq);
    if (k == "PWD" || k == "SHLVL" || k == "_" || k == "OLDPWD") continue;
    out.back()[k] = entry.substr(eq + 1);
  }
  out.pop_back();  // after the last separator
  return out;
}

Env ours(const ifcfg::File& f) {
  Env e;
  for (const auto& k : f.keys()) e[k] = f.get(k).value_or("<unsafe>");
  return e;
}

void compare_with_bash(const std::vector<std::string>& texts, int min_compared) {
  test::TempDir dir;
  std::vector<fs::path> files;
  std::vector<ifcfg::File> parsed;
  int skipped = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto f = ifcfg::File::parse(texts[i]);
    if (!f.problems().empty()) {
      ++skipped;
      continue;
    }
    auto p = dir.path() / ("case" + std::to_string(i));
    test::write_file(p, texts[i]);
    files.push_back(p);
    parsed.push_back(f);
  }
  auto envs = bash_envs(files);
  REQUIRE(envs.size() == files.size());
  for (std::size_t i = 0; i < files.size(); ++i)
    CHECK_MESSAGE(ours(parsed[i]) == envs[i], "file text: [" << test::read_file(files[i]) << "]");
  MESSAGE("compared " << files.size() << " files with bash, skipped " << skipped
                      << " with problems");
  CHECK(static_cast<int>(files.size()) >= min_compared);
}

}  // namespace

TEST_CASE("ifcfg decode agrees with bash on tricky spellings" * doctest::test_suite("ifcfg")) {
  std::vector<std::string> texts = {
      "A=a\\ b\\\tc\\\\d\\'e\\\"f\n",
      "A=\"x\\y\\\\z\\$\\`\\\"\\\n w\"\n",
      "A='a\\b'\"c\"d$'e\\nf'\n",
      "A=$'\\a\\b\\e\\E\\f\\n\\r\\t\\v\\\\\\'\\\"\\?'\n",
      "A=$'\\0101\\101\\7\\77\\777\\8'\n",
      "A=$'\\x4\\x41\\x414\\xg\\x'\n",
      "A=$'\\u41\\u0041\\U00000041\\U41x\\u'\n",
      "A=$'\\ca\\cZ\\c?\\c[\\c@\\c\\\\x'\n",
      "A=$'x\\0y'z B=$'\\x00'q\n",
      "A=$'\\q\\z\\%'\n",
      "A=x$ B=$ C=\"$\" D=\"a$ b\"\n",
      "A=#notcomment B=x#y # real comment\n",
      "A=1\\\n2 B=3 \\\n C=4\n",
      "A='multi\n\nline'\nB=\"dq\nmulti\"\n",
      "A=1\r\nB='x'\r\n",
      "\t A=lead\t\n",
      "A=*.txt B=[ab] C={x,y} D=?\n",
      "A=a=b=c B==\n",
      "A=\nB=''\nC=\"\"\nD=$''\n",
      "A=x:y B=x~ C='~' D=\"~\" E=\\~\n",
      "A=\xc3\xa9\xff B='\xe2\x82\xac'\n",
      "A=1 A=2 A=3\n",
      "A=!x B=\"!y\"\n",
      "A=x\\\n",
      "A='unterminated-last-line-fine'",
  };
  compare_with_bash(texts, static_cast<int>(texts.size()) - 1);
}

TEST_CASE("ifcfg decode agrees with bash on random spellings" * doctest::test_suite("ifcfg")) {
  // Alphabet of quoting-relevant characters; letters limited to a and x.
  const std::string alphabet = "ax ''\"\"\\\\$\n\t#=:~!*b";
  std::mt19937 rng(20261124);
  std::vector<std::string> texts;
  for (int n = 0; n < 1500; ++n) {
    std::string t;
    int keys = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < keys; ++k) {
      t += "K" + std::to_string(k) + "=";
      int len = static_cast<int>(rng() % 12);
      for (int c = 0; c < len; ++c) t += alphabet[rng() % alphabet.size()];
      t += '\n';
    }
    texts.push_back(t);
  }
  compare_with_bash(texts, 300);
}

TEST_CASE("ifcfg: non-assignment lines are skipped, as bash skips them (command not found)" *
          doctest::test_suite("ifcfg")) {
  // Sourcing these runs commands named "MVT-NOT-A-KEY=x" and "mvt_no_such_command_7f3a":
  // both are looked up in PATH, not found, and bash goes on with the next line.
  const std::string text =
      "DEVICE=eth0\n"
      "MVT-NOT-A-KEY=x\n"
      "mvt_no_such_command_7f3a\n"
      "ONBOOT=yes\n";
  auto f = ifcfg::File::parse(text);
  REQUIRE(f.problems().size() == 2);
  CHECK(f.problems()[0].line == 2);
  CHECK(f.problems()[1].line == 3);
  CHECK(f.keys() == std::vector<std::string>{"DEVICE", "ONBOOT"});
  test::TempDir dir;
  auto p = dir.path() / "ifcfg-eth0";
  test::write_file(p, text);
  auto envs = bash_envs({p});
  REQUIRE(envs.size() == 1);
  CHECK(ours(f) == envs[0]);
}
