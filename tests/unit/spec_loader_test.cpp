// spec::load: the seed, merging, directory expansion, relative paths, file-level problems.
#include <doctest/doctest.h>

#include <regex>

#include <filesystem>
#include <unistd.h>

#include "spec/decode.hpp"
#include "spec/loader.hpp"
#include "spec/spec_node.hpp"
#include "spec/suggest.hpp"
#include "spec/yaml_reader.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mvt;
using mvt::test::TempDir;
using mvt::test::write_file;

namespace {

bool has_rule(const Diagnostics& d, const std::string& rule) {
  for (const auto& x : d.items())
    if (x.rule == rule) return true;
  return false;
}

const Diagnostic* find_rule(const Diagnostics& d, const std::string& rule) {
  for (const auto& x : d.items())
    if (x.rule == rule) return &x;
  return nullptr;
}

std::string dump(const Diagnostics& d) {
  std::string s;
  for (const auto& x : d.items()) s += format_diagnostic(x) + "\n";
  return s;
}

const char* kBase = R"(version: 1
hosts:
  kvm1:
    uri: qemu:///system
    files: local
    nics:
      em2: {config: unconfigured, mac: "18:66:da:9f:96:d7"}
    guests:
      web1:
        activate: reboot
        interfaces:
          - name: ens9
            direct: {dev: em2, mode: private}
            mac: "52:54:00:00:00:01"
            ipv4: {address: 192.0.2.10/24, gateway: 192.0.2.1}
            defroute: true
            dns: [192.0.2.53]
)";

}  // namespace

TEST_CASE("load: the seed spec is the procedure's topology" * doctest::test_suite("spec")) {
  const auto path = (test::source_dir() / "specs/seed.yaml").string();
  const auto r = spec::load({path});
  INFO(dump(r.diagnostics));
  CHECK_FALSE(r.diagnostics.has_errors());
  REQUIRE(r.topology.hosts.count("kvm1") == 1);
  const Host& h = r.topology.hosts.at("kvm1");
  CHECK(h.uri == "qemu:///system");
  CHECK(h.files.kind == FileSourceKind::Local);
  CHECK(h.nics.at("em1").config == NicConfig::Host);
  CHECK(h.nics.at("em1").mac->str() == "18:66:da:9f:96:d6");
  CHECK(h.nics.at("em2").config == NicConfig::Unconfigured);
  CHECK(h.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  const Guest& g = h.guests.at("web1");
  CHECK(g.guest_files.kind == FileSourceKind::Agent);
  CHECK(g.activate == Activate::Reboot);
  REQUIRE(g.interfaces.size() == 3);
  const auto& eth0 = g.interfaces[0];
  CHECK(eth0.name == "eth0");
  CHECK(eth0.kind == InterfaceKind::Network);
  CHECK(eth0.network == "default");
  CHECK(eth0.ip.ipv4->dhcp());
  CHECK(eth0.ip.defroute == false);
  CHECK(eth0.ip.peerdns == false);
  CHECK_FALSE(eth0.mac);
  const auto& ens9 = g.interfaces[1];
  CHECK(ens9.name == "ens9");
  CHECK(ens9.kind == InterfaceKind::Direct);
  CHECK(ens9.source_dev == "em2");
  CHECK(ens9.mode == MacvtapMode::Private);
  CHECK(ens9.mac->str() == "52:54:00:5d:9c:33");
  CHECK(ens9.model == "rtl8139");
  CHECK(ens9.ip.ipv4->address()->str() == "104.50.201.84/29");
  CHECK(ens9.ip.ipv4->gateway->str() == "104.50.201.86");
  CHECK(ens9.ip.defroute == true);
  CHECK(ens9.ip.peerdns == false);
  REQUIRE(ens9.ip.dns);
  CHECK(ens9.ip.dns->size() == 1);
  CHECK((*ens9.ip.dns)[0].str() == "8.8.8.8");
  const auto& ens8 = g.interfaces[2];
  CHECK(ens8.name == "ens8");
  CHECK(ens8.source_dev == "em1");
  CHECK(ens8.mode == MacvtapMode::Private);
  CHECK(ens8.ip.ipv4->address()->str() == "192.168.1.15/24");
  CHECK(ens8.ip.ipv4->gateway->str() == "192.168.1.1");
  CHECK(ens8.ip.defroute == false);
  // Positions of every field read, 1-based, in the file as spelled.
  CHECK(ens9.pos.at("mac").file == path);
  CHECK(ens9.pos.at("mac").line == 27);
  CHECK(ens9.pos.at("mac").column == 18);
  CHECK(ens9.pos.at("direct.dev").line == 26);
  CHECK(ens9.pos.at("ipv4.gateway").line == 29);
  CHECK(ens9.pos.at("dns.0").line == 32);
  CHECK(g.pos.at("").line == 16);
  // The only finding: ens8 shares em1 with the host.
  CHECK(r.diagnostics.warning_count() == 1);
  CHECK(has_rule(r.diagnostics, "nic.host-shared-no-host-reach"));
  CHECK(r.topology.files == std::vector<std::string>{path});
  CHECK(r.digest.size() == 64);
}

TEST_CASE("load: every good fixture and every spec under specs/ loads without errors" *
          doctest::test_suite("spec")) {
  for (const char* dir : {"tests/data/spec-good", "specs"}) {
    for (const auto& e : fs::directory_iterator(test::source_dir() / dir)) {
      if (e.path().extension() != ".yaml") continue;
      const auto r = spec::load({e.path().string()});
      INFO(e.path().string(), "\n", dump(r.diagnostics));
      CHECK_FALSE(r.diagnostics.has_errors());
      CHECK_FALSE(r.topology.hosts.empty());
    }
  }
  const auto all = spec::load({(test::source_dir() / "specs").string()});
  INFO(dump(all.diagnostics));
  CHECK_FALSE(all.diagnostics.has_errors());
  CHECK(all.topology.files.size() >= 3);
}

TEST_CASE("load: defaults" * doctest::test_suite("spec")) {
  const auto r = spec::load({(test::source_dir() / "tests/data/spec-good/minimal.yaml").string()});
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const Host& h = r.topology.hosts.at("kvm1");
  CHECK(h.files.kind == FileSourceKind::None);
  CHECK(h.nics.at("em1").config == NicConfig::Host);
  CHECK_FALSE(h.nics.at("em1").mac);
  const Guest& g = h.guests.at("web1");
  CHECK(g.guest_files.kind == FileSourceKind::None);
  CHECK(g.activate == Activate::None);
  CHECK(g.interfaces.at(0).mode == MacvtapMode::Vepa);
  CHECK_FALSE(g.interfaces.at(0).ip.ipv4);
  CHECK_FALSE(g.interfaces.at(0).ip.defroute);
  CHECK_FALSE(g.interfaces.at(0).ip.dns);
}

TEST_CASE("load: files merge like netplan - maps by key, lists replaced, later wins" *
          doctest::test_suite("spec")) {
  TempDir t;
  write_file(t.path() / "10-base.yaml", kBase);
  write_file(t.path() / "20-override.yaml", R"(version: 1
hosts:
  kvm1:
    files: none
    nics:
      em1: {config: host}
    guests:
      web1:
        interfaces:
          - name: ens10
            direct: {dev: em1, mode: bridge}
            mac: "52:54:00:00:00:02"
)");
  write_file(t.path() / "notes.txt", "not yaml: [");
  write_file(t.path() / ".hidden.yaml", "garbage: [");
  const auto r = spec::load({t.path().string()});
  INFO(dump(r.diagnostics));
  CHECK_FALSE(r.diagnostics.has_errors());
  REQUIRE(r.topology.files.size() == 2);
  CHECK(fs::path(r.topology.files[0]).filename() == "10-base.yaml");
  CHECK(fs::path(r.topology.files[1]).filename() == "20-override.yaml");
  const Host& h = r.topology.hosts.at("kvm1");
  CHECK(h.uri == "qemu:///system");                 // kept from the base (map merge)
  CHECK(h.files.kind == FileSourceKind::None);      // scalar: later wins
  CHECK(h.pos.at("files").file == r.topology.files[1]);
  CHECK(h.nics.size() == 2);                        // em2 from base, em1 from override
  CHECK(h.nics.at("em2").mac->str() == "18:66:da:9f:96:d7");
  const Guest& g = h.guests.at("web1");
  CHECK(g.activate == Activate::Reboot);            // kept
  REQUIRE(g.interfaces.size() == 1);                // list replaced whole, not appended
  CHECK(g.interfaces[0].name == "ens10");
  CHECK(g.interfaces[0].pos.at("").file == r.topology.files[1]);
  CHECK_FALSE(g.interfaces[0].ip.ipv4);                // nothing of the old ens9 survives

  // The same two files given in the other order: the base wins.
  const auto rev = spec::load({(t.path() / "20-override.yaml").string(),
                               (t.path() / "10-base.yaml").string()});
  CHECK_FALSE(rev.diagnostics.has_errors());
  CHECK(rev.topology.hosts.at("kvm1").files.kind == FileSourceKind::Local);
  CHECK(rev.topology.hosts.at("kvm1").guests.at("web1").interfaces.at(0).name == "ens9");
  CHECK(rev.digest != r.digest);
}

TEST_CASE("merge_into: maps recurse, lists and kind changes replace" *
          doctest::test_suite("spec")) {
  Diagnostics d;
  auto a = spec::read_yaml("a", "x: {p: 1, q: [1, 2]}\ny: 1\n", d);
  auto b = spec::read_yaml("b", "x: {q: [3], r: 4}\ny: {z: 1}\n", d);
  REQUIRE(a);
  REQUIRE(b);
  spec::merge_into(*a, *b);
  const auto* x = a->find("x");
  REQUIRE(x);
  CHECK(x->find("p")->text == "1");
  REQUIRE(x->find("q")->items.size() == 1);
  CHECK(x->find("q")->items[0].text == "3");
  CHECK(x->find("q")->pos.file == "b");
  CHECK(x->find("r")->text == "4");
  CHECK(a->find("y")->is_map());
  CHECK(d.empty());
}

TEST_CASE("load: relative paths resolve against the spec file that set them" *
          doctest::test_suite("spec")) {
  TempDir t;
  write_file(t.path() / "a/10.yaml", R"(version: 1
hosts:
  h1:
    uri: test:lab/node.xml
    files: dir:roots/h1
    guests:
      g1:
        guest_files: dir:../guests/g1
  h2:
    uri: test:///abs/node.xml
    files: dir:/srv/h2
  h3:
    uri: qemu+ssh://root@kvm3/system
)");
  write_file(t.path() / "b/20.yaml", R"(version: 1
hosts:
  h2:
    guests:
      g2:
        guest_files: dir:g2root
)");
  const auto r = spec::load({(t.path() / "a/10.yaml").string(), (t.path() / "b/20.yaml").string()});
  INFO(dump(r.diagnostics));
  REQUIRE_FALSE(r.diagnostics.has_errors());
  const auto abs = fs::absolute(t.path()).lexically_normal();
  const auto& hosts = r.topology.hosts;
  CHECK(hosts.at("h1").uri == "test://" + (abs / "a/lab/node.xml").string());
  CHECK(hosts.at("h1").uri.rfind("test:///", 0) == 0);
  CHECK(hosts.at("h1").files.kind == FileSourceKind::Dir);
  CHECK(hosts.at("h1").files.path == (abs / "a/roots/h1").string());
  CHECK(hosts.at("h1").guests.at("g1").guest_files.path == (abs / "guests/g1").string());
  CHECK(hosts.at("h2").uri == "test:///abs/node.xml");
  CHECK(hosts.at("h2").files.path == "/srv/h2");
  CHECK(hosts.at("h2").guests.at("g2").guest_files.path == (abs / "b/g2root").string());
  CHECK(hosts.at("h3").uri == "qemu+ssh://root@kvm3/system");
}

TEST_CASE("load: file-level problems, all reported in one run" * doctest::test_suite("spec")) {
  TempDir t;
  write_file(t.path() / "empty.yaml", "# only a comment\n\n");
  write_file(t.path() / "latin1.yaml", "version: 1\n# caf\xe9\n");
  write_file(t.path() / "v2.yaml", "version: 2\nhosts: {}\n");
  fs::create_directories(t.path() / "nothing");
  write_file(t.path() / "nothing/readme.txt", "x");
  const auto r = spec::load({(t.path() / "empty.yaml").string(), (t.path() / "latin1.yaml").string(),
                             (t.path() / "v2.yaml").string(), (t.path() / "nothing").string(),
                             (t.path() / "missing.yaml").string()});
  INFO(dump(r.diagnostics));
  CHECK(r.diagnostics.error_count() == 5);
  CHECK(has_rule(r.diagnostics, "file.empty"));
  const auto* enc = find_rule(r.diagnostics, "file.encoding");
  REQUIRE(enc);
  CHECK(enc->pos.line == 2);
  CHECK(enc->pos.column == 6);
  CHECK(has_rule(r.diagnostics, "spec.version"));
  CHECK(has_rule(r.diagnostics, "file.no-yaml"));
  CHECK(has_rule(r.diagnostics, "file.unreadable"));
  CHECK(spec::load({}).diagnostics.has_errors());
}

TEST_CASE("load: an unreadable file is reported, not thrown" * doctest::test_suite("spec")) {
  TempDir t;
  const auto p = t.path() / "secret.yaml";
  write_file(p, kBase);
  fs::permissions(p, fs::perms::none);
  if (::geteuid() == 0) {
    MESSAGE("SKIPPED: running as root, file permissions do not stop reads");
  } else {
    const auto r = spec::load({p.string()});
    CHECK(has_rule(r.diagnostics, "file.unreadable"));
  }
  fs::permissions(p, fs::perms::owner_all);
  Diagnostics d;
  const auto files = spec::expand_paths({t.path().string()}, d);
  CHECK(files.size() == 1);
  CHECK(d.empty());
}

TEST_CASE("load: diagnostics carry the source line for the caret" * doctest::test_suite("spec")) {
  TempDir t;
  std::string text = kBase;
  text.replace(text.find("gateway: 192.0.2.1"), 18, "gateway: 10.0.0.1");
  write_file(t.path() / "x.yaml", text);
  const auto r = spec::load({(t.path() / "x.yaml").string()});
  const auto* d = find_rule(r.diagnostics, "iface.gateway-in-subnet");
  REQUIRE(d);
  CHECK(d->pos.line == 15);
  CHECK(d->source_line == "            ipv4: {address: 192.0.2.10/24, gateway: 10.0.0.1}");
  const std::string f = format_diagnostic(*d);
  CHECK(f.find(":15:53: error: gateway 10.0.0.1") != std::string::npos);
  CHECK(f.find("\n  " + std::string(52, ' ') + "^") != std::string::npos);
}

TEST_CASE("load: duplicate keys are found at every depth, yaml-cpp would keep silent" *
          doctest::test_suite("spec")) {
  Diagnostics d;
  auto n = spec::read_yaml("f", "a: 1\nb:\n  c: [1, {d: 1, d: 2}]\n  c: 3\na: 2\n", d);
  REQUIRE(n);
  REQUIRE(d.items().size() == 3);
  CHECK(d.items()[0].pos.line == 3);
  CHECK(d.items()[0].message == "duplicate key 'd'");
  CHECK(d.items()[1].pos.line == 4);
  CHECK(d.items()[2].pos.line == 5);
  CHECK(n->find("a")->text == "1");  // the first is kept
}

TEST_CASE("yaml scalars resolve like YAML 1.1 (as editors and the schema see them)" *
          doctest::test_suite("spec")) {
  Diagnostics d;
  auto n = spec::read_yaml("f", "a: 12\nb: yes\nc: '12'\nd: 1.5\ne: eth0\nf: ~\ng: 0x1f\n", d);
  REQUIRE(n);
  CHECK(n->find("a")->scalar_kind() == spec::ScalarKind::Int);
  CHECK(n->find("b")->scalar_kind() == spec::ScalarKind::Bool);
  CHECK(n->find("c")->scalar_kind() == spec::ScalarKind::String);
  CHECK(n->find("d")->scalar_kind() == spec::ScalarKind::Float);
  CHECK(n->find("e")->scalar_kind() == spec::ScalarKind::String);
  CHECK(n->find("f")->scalar_kind() == spec::ScalarKind::Null);
  CHECK(n->find("g")->scalar_kind() == spec::ScalarKind::Int);
}

TEST_CASE("utf-8 validation" * doctest::test_suite("spec")) {
  CHECK_FALSE(spec::first_invalid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(spec::first_invalid_utf8("ab\xc0\xaf") == 2u);        // overlong '/'
  CHECK(spec::first_invalid_utf8("\xed\xa0\x80") == 0u);      // surrogate
  CHECK(spec::first_invalid_utf8("x\xf4\x90\x80\x80") == 1u); // > U+10FFFF
  CHECK(spec::first_invalid_utf8("abc\xe2\x82") == 3u);       // truncated
}

TEST_CASE("YAML printable set: control characters are found" * doctest::test_suite("spec")) {
  using namespace std::string_literals;
  CHECK_FALSE(spec::first_non_printable("a: 1\r\n\tb: \xc2\x85 \xc2\xa0 caf\xc3\xa9 \xef\xbb\xbf"));
  CHECK(spec::first_non_printable("a: \"x\0y\"\n"s) == 5u);   // NUL
  CHECK(spec::first_non_printable("ab\x1b[0m") == 2u);           // ESC
  CHECK(spec::first_non_printable("a\x7f") == 1u);               // DEL
  CHECK(spec::first_non_printable("a\xc2\x9b") == 1u);          // C1 CSI
  CHECK(spec::first_non_printable("ab\xef\xbf\xbf") == 2u);     // U+FFFF
}

TEST_CASE("load: a control character is refused at its line and column, before any YAML "
          "parser sees it" * doctest::test_suite("spec")) {
  using namespace std::string_literals;
  TempDir t;
  // The fuzz_spec finding: a NUL inside a flow mapping sent yaml-cpp 0.7 into an endless,
  // allocating loop (tests/data/fuzz-regressions/fuzz_spec/nul-in-flow-mapping.yaml).
  write_file(t.path() / "nul.yaml", "version: 1\nhosts:\n  kvm1: {uri: qemu\0:///system}\n"s);
  const auto r = spec::load({(t.path() / "nul.yaml").string()});
  INFO(dump(r.diagnostics));
  CHECK(r.diagnostics.error_count() == 1);
  const auto* d = find_rule(r.diagnostics, "file.control-char");
  REQUIRE(d);
  CHECK(d->pos.line == 3);
  CHECK(d->pos.column == 19);
  CHECK(d->message.find("U+0000") != std::string::npos);
}

TEST_CASE("load: malformed YAML is reported by libyaml, at its position, before yaml-cpp sees it" *
          doctest::test_suite("spec")) {
  // A lone `,` after a dedent sent yaml-cpp 0.7 into an endless loop (fuzz_spec finding,
  // tests/data/fuzz-regressions/fuzz_spec/lone-comma*.yaml).
  TempDir t;
  write_file(t.path() / "comma.yaml", "# header\n  version: 1\n,");
  write_file(t.path() / "flow.yaml", "version: 1\nhosts: {kvm1: {uri: \"test:///default\"}\nx: 1\n");
  const auto r = spec::load({(t.path() / "comma.yaml").string(), (t.path() / "flow.yaml").string()});
  INFO(dump(r.diagnostics));
  REQUIRE(r.diagnostics.error_count() == 2);
  const auto& a = r.diagnostics.items()[0];
  CHECK(a.rule == "yaml.syntax");
  CHECK(a.pos.line == 3);
  CHECK(a.pos.column == 1);
  const auto& b = r.diagnostics.items()[1];
  CHECK(b.rule == "yaml.syntax");
  CHECK(b.message.find("flow mapping that starts at 2:8") != std::string::npos);
}

TEST_CASE("scalar kinds: the hand-written resolvers agree with the readers' regexes (PyYAML, "
          "the yaml package's YAML 1.1, YAML 1.2 core)" * doctest::test_suite("spec")) {
  // The regexes are the oracle here only (in the loader, std::regex overflowed the stack on
  // a long scalar of digits: fuzz_spec finding). Each is the union of the three readers':
  // PyYAML's int, the package's [-+]?[0-9][0-9_]* and sexagesimal with a leading 0, 1.2's 0o.
  const std::regex int_re(
      R"([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)"
      R"(|[-+]?[0-9][0-9_]*|0o[0-7]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+)");
  const std::regex float_re(
      R"([-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)?|\.[0-9_]+([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))"
      R"(|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  auto oracle = [&](const std::string& t) {
    if (std::regex_match(t, int_re)) return spec::ScalarKind::Int;
    if (std::regex_match(t, float_re)) return spec::ScalarKind::Float;
    return spec::ScalarKind::String;
  };
  auto kind = [](const std::string& t) {
    spec::SpecNode n;
    n.kind = spec::SpecNode::Kind::Scalar;
    n.text = t;
    return n.scalar_kind();
  };
  std::vector<std::string> cases = {".inf", "-.inf", "+.INF", ".nan", "-.nan", ".NaN", "1.5e+3",
                                    "1.5e3", "1.e-10", ".5", "-.5", "._", "0x_", "0xG", "0b102",
                                    "0777", "0778", "1_000", "-0", "+0", "00", "0.", "1.2.3", "e5",
                                    "52:54:00:12:34:56", "00:16:35:12:34:56", "52:54:00:12:34:76",
                                    "1:30.5", "0o17", "+0o17", "1e3", "e1000", "1E+3", "-.5e-1"};
  // Every string of up to 4 characters over the alphabet that matters.
  const std::string alphabet = "018_.eE+-xb:o";
  std::vector<std::string> level = {""};
  for (int len = 1; len <= 4; ++len) {
    std::vector<std::string> next;
    for (const auto& p : level)
      for (const char c : alphabet) next.push_back(p + c);
    cases.insert(cases.end(), next.begin(), next.end());
    level = std::move(next);
  }
  int checked = 0;
  for (const auto& t : cases) {
    if (t.empty() || t == "-" || t == "+") continue;
    if (kind(t) == spec::ScalarKind::Bool || kind(t) == spec::ScalarKind::Null) continue;
    CAPTURE(t);
    CHECK(kind(t) == oracle(t));
    ++checked;
  }
  CHECK(checked > 20000);
  CHECK(kind(std::string(200000, '1')) == spec::ScalarKind::Int);  // no recursion, no overflow
  CHECK(kind("1:" + std::string(200000, '1')) == spec::ScalarKind::String);
}

TEST_CASE("did-you-mean suggestions" * doctest::test_suite("spec")) {
  CHECK(spec::edit_distance("kitten", "sitting") == 3);
  CHECK(spec::closest("defrout", {"name", "defroute", "peerdns"}) == "defroute");
  CHECK(spec::closest("MAC", {"mac", "model"}) == "mac");
  CHECK(spec::closest("banana", {"mac", "model"}).empty());
  CHECK(spec::did_you_mean("privat", {"vepa", "private"}) == " (did you mean 'private'?)");
}

TEST_CASE("yaml merge keys apply like YAML 1.1, explicit keys win" * doctest::test_suite("spec")) {
  Diagnostics d;
  auto n = spec::read_yaml("f", R"(base: &b {mode: bridge, dev: em2}
x:
  <<: *b
  dev: em1
y:
  <<: [*b, {extra: 1}]
z:
  <<: 5
)", d);
  REQUIRE(n);
  const auto* x = n->find("x");
  CHECK(x->find("dev")->text == "em1");
  CHECK(x->find("mode")->text == "bridge");
  CHECK_FALSE(x->find("<<"));
  CHECK(n->find("y")->find("extra")->text == "1");
  CHECK(n->find("y")->find("dev")->text == "em2");
  REQUIRE(d.items().size() == 1);
  CHECK(d.items()[0].rule == "yaml.merge");
  CHECK(d.items()[0].pos.line == 8);
}

TEST_CASE("load: CRLF line ends and a UTF-8 BOM are fine, UTF-16 is refused" *
          doctest::test_suite("spec")) {
  TempDir t;
  write_file(t.path() / "crlf.yaml",
             "\xef\xbb\xbfversion: 1\r\nhosts:\r\n  kvm1:\r\n    uri: qemu:///system\r\n    urx: 1\r\n");
  const auto r = spec::load({(t.path() / "crlf.yaml").string()});
  REQUIRE(r.diagnostics.items().size() == 1);
  const auto& d = r.diagnostics.items()[0];
  CHECK(d.rule == "spec.unknown-key");
  CHECK(d.pos.line == 5);
  CHECK(d.pos.column == 5);
  CHECK(d.source_line == "    urx: 1");
  write_file(t.path() / "utf16.yaml", std::string("\xff\xfev\0e\0r\0", 8));
  const auto u = spec::load({(t.path() / "utf16.yaml").string()});
  CHECK(has_rule(u.diagnostics, "file.encoding"));
}

TEST_CASE("positions share one interned copy of their file's name" * doctest::test_suite("spec")) {
  const std::string long_name = "/srv/topologies/a-rather-long-directory/fleet.yaml";
  mvt::FileName a(long_name), b(std::string("/srv/topologies/a-rather-long-directory/") + "fleet.yaml");
  CHECK(&a.str() == &b.str());  // one copy
  CHECK(a == b);
  CHECK(a == long_name);
  CHECK_FALSE(a == mvt::FileName("other.yaml"));
  CHECK(mvt::FileName() == mvt::FileName(""));
  CHECK(mvt::FileName().empty());
  CHECK(mvt::FileName("a.yaml") < mvt::FileName("b.yaml"));
  // Every position of a loaded spec points at the same name.
  mvt::test::TempDir t;
  const auto path = (t.path() / "a-spec-file-with-a-long-name.yaml").string();
  mvt::test::write_file(path, "version: 1\nhosts:\n  kvm1:\n    uri: test:///default\n");
  auto r = mvt::spec::load({path});
  REQUIRE(r.topology.hosts.count("kvm1"));
  const auto& pos = r.topology.hosts.at("kvm1").pos;
  REQUIRE_FALSE(pos.empty());
  for (const auto& [field, p] : pos) {
    CAPTURE(field);
    CHECK(&p.file.str() == &mvt::FileName(path).str());
  }
}

TEST_CASE("decoding that consumes the tree gives the same topology" * doctest::test_suite("spec")) {
  for (const char* spec : {"specs/seed.yaml", "specs/lab/seed-lab.yaml"}) {
    CAPTURE(spec);
    const auto path = (test::source_dir() / spec).string();
    Diagnostics d1, d2;
    auto root = spec::read_yaml(path, test::read_file(path), d1);
    REQUIRE(root);
    const Topology kept = spec::decode_topology(*root, d1);
    const Topology consumed = spec::decode_topology(spec::SpecNode(*root), d2);
    CHECK(d1.items().size() == d2.items().size());
    REQUIRE(kept.hosts.size() == consumed.hosts.size());
    for (const auto& [hn, h] : kept.hosts) {
      const Host& c = consumed.hosts.at(hn);
      CHECK(c.uri == h.uri);
      REQUIRE(c.guests.size() == h.guests.size());
      for (const auto& [gn, g] : h.guests) {
        const Guest& cg = c.guests.at(gn);
        REQUIRE(cg.interfaces.size() == g.interfaces.size());
        for (std::size_t k = 0; k < g.interfaces.size(); ++k) {
          CHECK(cg.interfaces[k].name == g.interfaces[k].name);
          CHECK(cg.interfaces[k].mac == g.interfaces[k].mac);
          CHECK(cg.interfaces[k].source_dev == g.interfaces[k].source_dev);
          CHECK(cg.interfaces[k].pos.size() == g.interfaces[k].pos.size());
          for (const auto& [f, p] : g.interfaces[k].pos) {
            CHECK(cg.interfaces[k].pos.at(f).line == p.line);
            CHECK(cg.interfaces[k].pos.at(f).column == p.column);
          }
        }
      }
    }
  }
}

TEST_CASE("Positions: sorted by field, map-like lookups" * doctest::test_suite("spec")) {
  Positions p{{"mac", {"a.yaml", 3, 5}}, {"", {"a.yaml", 2, 3}}, {"mac", {"b.yaml", 9, 9}}};
  CHECK(p.size() == 2);
  CHECK(p.at("mac").line == 3);  // the first of two wins, as in std::map's list constructor
  p["ipv4.address"] = {"a.yaml", 4, 7};
  p["direct.dev"] = {"a.yaml", 5, 7};
  p["mac"].column = 6;
  std::vector<std::string> fields;
  for (const auto& [f, _] : p) fields.push_back(f);
  CHECK(fields == std::vector<std::string>{"", "direct.dev", "ipv4.address", "mac"});
  CHECK(p.at("mac").column == 6);
  CHECK(p.count("model") == 0);
  CHECK(p.find("model") == p.end());
  CHECK_THROWS_AS(p.at("model"), std::out_of_range);
  CHECK(pos_of(p, "model").line == 2);  // falls back to the object itself
  CHECK(pos_of(p, "direct.dev").line == 5);
}
