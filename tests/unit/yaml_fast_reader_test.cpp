// The libyaml fast path of the spec reader builds exactly the tree the yaml-cpp reader
// builds, or gives up (and read_yaml() falls back). Compared over every YAML file of the
// repository (specs/, tests/data/ good and bad) and hand-written edge cases.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>

#include "spec/yaml_fast_reader.hpp"
#include "spec/yaml_reader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using mvt::spec::SpecNode;

namespace {

// A full dump of a tree: kinds, texts, quoted flags, every position.
void dump(const SpecNode& n, std::ostream& o, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  o << pad << "@" << n.pos.line << ":" << n.pos.column << " ";
  switch (n.kind) {
    case SpecNode::Kind::Null: o << "null\n"; break;
    case SpecNode::Kind::Scalar: o << (n.quoted ? "quoted " : "plain ") << "[" << n.text << "]\n"; break;
    case SpecNode::Kind::Seq:
      o << "seq\n";
      for (const auto& i : n.items) dump(i, o, indent + 2);
      break;
    case SpecNode::Kind::Map:
      o << "map\n";
      for (const auto& e : n.entries) {
        o << pad << (e.key_quoted ? " quoted" : "") << " key " << e.key << " @" << e.key_pos.line
          << ":" << e.key_pos.column << "\n";
        dump(e.value, o, indent + 2);
      }
      break;
  }
}

std::string dump(const SpecNode& n) {
  std::ostringstream o;
  dump(n, o, 0);
  return o.str();
}

// Fast and yaml-cpp readers agree whenever the fast one accepts; returns whether it did.
bool agree(const std::string& text, const std::string& name = "x.yaml") {
  auto fast = mvt::spec::read_yaml_fast(name, text);
  if (!fast) return false;
  mvt::Diagnostics d;
  auto slow = mvt::spec::read_yaml_cpp(name, text, d);
  REQUIRE_MESSAGE(slow, name);
  CHECK_MESSAGE(!d.has_errors(), name);
  CHECK_MESSAGE(dump(*fast) == dump(*slow), name);
  return true;
}

}  // namespace

TEST_CASE("yaml fast reader: same tree as yaml-cpp on every repository YAML file" *
          doctest::test_suite("spec")) {
  int files = 0, accepted = 0;
  for (const char* dir : {"specs", "tests/data"}) {
    const fs::path root = mvt::test::source_dir() / dir;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (!e.is_regular_file()) continue;
      const auto ext = e.path().extension();
      if (ext != ".yaml" && ext != ".yml") continue;
      ++files;
      if (agree(mvt::test::read_file(e.path()), e.path().string())) ++accepted;
    }
  }
  MESSAGE(files << " files, fast path took " << accepted);
  CHECK(files >= 4);
  // The worked examples are plain specs: the fast path must take them.
  CHECK(mvt::spec::read_yaml_fast("seed.yaml",
                                  mvt::test::read_file(mvt::test::source_dir() / "specs/seed.yaml")));
}

TEST_CASE("yaml fast reader: edge cases agree or fall back" * doctest::test_suite("spec")) {
  CHECK(agree("version: 1\nhosts:\n  kvm1:\n    uri: qemu:///system\n"));
  CHECK(agree("a: 'single'\nb: \"double\"\nc: plain\ne: ~\nf: null\ng: ''\n"));
  CHECK(agree("a: {dev: em2, mode: private}\nb: [1, 2, \"x\"]\nc: {}\nd: []\n"));
  CHECK(agree("list:\n  - name: eth0\n    ipv4: dhcp\n  - name: ens9\n    dns: [8.8.8.8]\n"));
  CHECK(agree("# comment\nkey: value # trailing\n\n\nother:\n  - a\n  - ~\n  - c\n"));
  CHECK(agree("long: this is\n  a folded plain\n  scalar\nnext: 2\n"));
  CHECK(agree("lit: |\n  line one\n  line two\nfold: >\n  a\n  b\n"));
  CHECK(agree("seq:\n- a\n- b\nmap:\n  x: 1\n"));
  CHECK(agree("\"quoted key\": 1\n'k2': yes\n"));
  // Constructs left to yaml-cpp: anchors/aliases, tags, duplicates, several documents,
  // tabs, non-ASCII, errors, an empty document.
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: &x 1\nb: *x\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: !!str 1\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: 1\na: 2\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: 1\n---\nb: 2\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a:\n\tb: 1\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: caf\xc3\xa9\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: [1, 2\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "# only a comment\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "? [a, b]\n: 1\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a: 1\r\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a:\nb: 1\n"));
  CHECK_FALSE(mvt::spec::read_yaml_fast("x", "a:\n  <<: {b: 1}\n  c: 2\n"));
}

TEST_CASE("yaml fast reader: read_yaml still reports what only yaml-cpp sees" *
          doctest::test_suite("spec")) {
  mvt::Diagnostics d;
  auto n = mvt::spec::read_yaml("dup.yaml", "a: 1\nb: 2\na: 3\n", d);
  REQUIRE(n);
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].rule == "yaml.duplicate-key");
  CHECK(d.items()[0].pos.line == 3);
  CHECK(n->entries.size() == 2);
}
