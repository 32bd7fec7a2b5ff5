// Issue 15, points 1 and 7: the lossless keyfile (GKeyFile) editor - byte-exact round trips on
// every profile NetworkManager made, GKeyFile's escaping, edits that keep every other byte, and
// hostile input (NUL, bad lines, bad escapes, duplicates, huge lines) as file:line problems.
#include <doctest/doctest.h>

#include <chrono>
#include <random>

#include "netconf/keyfile/keyfile_file.hpp"
#include "netconf_keyfile_support.hpp"

using namespace mvt;
using keyfile::File;

namespace {

// The lines of `s` (line ends kept).
std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t e = s.find('\n', p);
    e = e == std::string::npos ? s.size() : e + 1;
    out.push_back(s.substr(p, e - p));
    p = e;
  }
  return out;
}

const keyfile::Problem* first_problem(const File& f, bool fatal) {
  for (const auto& p : f.problems())
    if (p.fatal == fatal) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("keyfile editor: every NetworkManager-made fixture is written back byte for byte" *
          doctest::test_suite("netconf")) {
  for (const auto& [name, bytes] : test::keyfile_fixtures()) {
    CAPTURE(name);
    const File f = File::parse(bytes);
    CHECK(f.loadable());
    CHECK(f.problems().empty());
    CHECK(f.write() == bytes);
    CHECK(f.has_group("connection"));
  }
}

TEST_CASE("keyfile editor: values decode as GKeyFile decodes them (spacing, escapes, lists)" *
          doctest::test_suite("netconf")) {
  const auto fx = test::keyfile_fixtures();
  const File odd = File::parse(fx.at("odd--name.nmconnection"));
  CHECK(odd.raw("connection", "id") == "\\sodd; name ");
  CHECK(odd.get("connection", "id") == " odd; name ");  // \s leads, the trailing space is kept
  CHECK(odd.get_list("ipv4", "dns-search") == std::vector<std::string>{"a.example;b.example"});
  CHECK_FALSE(odd.get("ipv4", "dns-search"));  // \; is no escape in a plain string
  const File com = File::parse(fx.at("static-v4v6-commented.nmconnection"));
  CHECK(com.get("ethernet", "mtu") == "9000");  // "mtu = 9000": NetworkManager read 9000
  CHECK(com.line_of("ethernet", "mtu") == 10);
  CHECK(com.value_column("ethernet", "mtu") == 7);
  CHECK(com.get_list("ipv4", "dns") == std::vector<std::string>{"192.0.2.53", "198.51.100.53"});
  const File crlf = File::parse(fx.at("dhcp-ifname-crlf.nmconnection"));
  CHECK(crlf.get("connection", "interface-name") == "ens10");

  CHECK(keyfile::escape(" a\tb\\c\nd\r") == "\\sa\tb\\\\c\\nd\\r");
  CHECK(keyfile::escape("\t x") == "\\t\\sx");
  CHECK(keyfile::escape_list({"a;b", " c", "d"}) == "a\\;b;\\sc;d;");
  for (const std::string& s : {std::string(" lead"), std::string("x\\y;z\n"), std::string("\t\t")}) {
    CHECK(keyfile::unescape(keyfile::escape(s)) == s);
    CHECK(keyfile::unescape_list(keyfile::escape_list({s, "q"})) == std::vector<std::string>{s, "q"});
  }
  CHECK(keyfile::unescape_list("a;;b;") == std::vector<std::string>{"a", "", "b"});
  CHECK(keyfile::unescape_list("") == std::vector<std::string>{});
}

TEST_CASE("keyfile editor: changing one key keeps every other byte, new keys go after the "
          "group's last key, a new group at the end" * doctest::test_suite("netconf")) {
  const std::string before = test::keyfile_fixtures().at("static-v4v6-commented.nmconnection");
  File f = File::parse(before);
  CHECK_FALSE(f.set("ethernet", "mtu", "9000"));  // same value: nothing
  CHECK(f.set("ethernet", "mtu", "1500"));
  const auto a = lines(before), b = lines(f.write());
  REQUIRE(a.size() == b.size());
  int changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) {
      ++changed;
      CHECK(a[i] == "mtu = 9000\n");
      CHECK(b[i] == "mtu = 1500\n");  // the spacing around '=' stays
    }
  CHECK(changed == 1);

  File g = File::parse(before);
  CHECK(g.set("ipv4", "never-default", "true"));
  const auto c = lines(g.write());
  REQUIRE(c.size() == a.size() + 1);
  const auto at = static_cast<std::size_t>(File::parse(before).line_of("ipv4", "route2"));
  CHECK(c[at] == "never-default=true\n");
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == c[i < at ? i : i + 1]);

  File h = File::parse("[connection]\nid=x");  // no final newline
  CHECK(h.set("connection", "uuid", "u"));
  CHECK(h.write() == "[connection]\nid=x\nuuid=u");
  CHECK(h.set("ipv6", "method", "disabled"));
  CHECK(h.write() == "[connection]\nid=x\nuuid=u\n\n[ipv6]\nmethod=disabled\n");
  CHECK(h.remove("connection", "uuid"));
  CHECK_FALSE(h.remove("connection", "uuid"));
  CHECK(h.write() == "[connection]\nid=x\n\n[ipv6]\nmethod=disabled\n");

  File crlf = File::parse("[a]\r\nk=1\r\n");
  CHECK(crlf.set("a", "j", " 2"));
  CHECK(crlf.write() == "[a]\r\nk=1\r\nj=\\s2\r\n");
}

TEST_CASE("keyfile editor: duplicate groups merge and a repeated key takes its last value, as "
          "GKeyFile does, with warnings" * doctest::test_suite("netconf")) {
  const std::string text = "[ipv4]\nmethod=auto\n[ethernet]\nmtu=1\n[ipv4]\nmethod=manual\ndns=1.2.3.4;\n";
  File f = File::parse(text);
  CHECK(f.loadable());
  CHECK(f.groups() == std::vector<std::string>{"ipv4", "ethernet"});
  CHECK(f.keys("ipv4") == std::vector<std::string>{"method", "dns"});
  CHECK(f.get("ipv4", "method") == "manual");
  CHECK(f.line_of("ipv4", "method") == 6);
  REQUIRE(f.problems().size() == 2);
  CHECK(f.problems()[0].line == 5);
  CHECK(test::contains(f.problems()[0].message, "GKeyFile merges"));
  CHECK(f.problems()[1].line == 6);
  CHECK(test::contains(f.problems()[1].message, "use the last value"));
  CHECK(f.set("ipv4", "method", "disabled"));  // the occurrence that counts
  CHECK(f.write() == "[ipv4]\nmethod=auto\n[ethernet]\nmtu=1\n[ipv4]\nmethod=disabled\ndns=1.2.3.4;\n");
  CHECK(f.set("ipv4", "gateway", "1.2.3.1"));  // after the group's last key
  CHECK(test::contains(f.write(), "dns=1.2.3.4;\ngateway=1.2.3.1\n"));
}

TEST_CASE("keyfile editor: hostile input gives line:column problems, never a crash, and the "
          "bytes stay" * doctest::test_suite("netconf")) {
  struct Case {
    std::string text;
    int line, column;
    bool fatal;
    const char* says;
  };
  const std::vector<Case> cases = {
      {std::string("[connection]\nid=a\0b\n", 20), 2, 5, true, "NUL byte"},
      {"[connection]\njust words\n", 2, 1, true, "not a key=value pair"},
      {"id=x\n[connection]\n", 1, 1, true, "before the first group"},
      {"[conn]ection]\n", 1, 1, true, "not a key=value pair"},
      {"[]\n", 1, 1, true, "invalid group name"},
      {"[a\x01]\n", 1, 1, true, "invalid group name"},
      {"[a]\n=v\n", 2, 1, true, "not a key=value pair"},
      {"[a]\nk[x=v\n", 2, 1, true, "invalid key name"},
      {"[ipv4]\n  method = man\\qual\n", 2, 15, false, "invalid escape sequence '\\q'"},
      {"[ipv4]\nmethod=manual\\\n", 2, 14, false, "a '\\' ends the line"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    const File f = File::parse(c.text);
    CHECK(f.write() == c.text);
    CHECK(f.loadable() == !c.fatal);
    const auto* p = first_problem(f, c.fatal);
    REQUIRE(p);
    CHECK(p->line == c.line);
    CHECK(p->column == c.column);
    CHECK(test::contains(p->message, c.says));
    if (!c.fatal) {
      CHECK(p->bad_value);
      CHECK_FALSE(f.get("ipv4", "method"));
    }
  }
  // Comments and blanks anywhere, indented; a group header may end in spaces or tabs.
  const File ok = File::parse("# top\n\n  [connection] \t\n\t# indented\nid=\\sx\n   \n[ipv4]\n");
  CHECK(ok.loadable());
  CHECK(ok.problems().empty());
  CHECK(ok.get("connection", "id") == " x");
  CHECK(File::parse("").write().empty());

  // A 16 MiB line reads in linear time and round-trips.
  std::string huge = "[connection]\nid=" + std::string(16u << 20, 'x') + "\n[ipv4]\nmethod=auto\n";
  const auto t0 = std::chrono::steady_clock::now();
  File h = File::parse(huge);
  CHECK(h.get("ipv4", "method") == "auto");
  CHECK(h.write() == huge);
  CHECK(h.set("ipv4", "method", "manual"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));

  // Random bytes (a fixed seed, bounded): no crash, the bytes stay, problems have positions.
  std::mt19937 rng(1515);
  const std::string alphabet = std::string("[]=#\\;sntr \t\r\n\0\x01\xff" "abc", 21);
  for (int i = 0; i < 2000; ++i) {
    std::string s;
    const int n = static_cast<int>(rng() % 120);
    for (int j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
    const File f = File::parse(s);
    REQUIRE(f.write() == s);
    for (const auto& p : f.problems()) {
      CHECK(p.line >= 1);
      CHECK(p.column >= 1);
    }
  }
}
