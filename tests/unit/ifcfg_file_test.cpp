// ifcfg::File: decoding, unsafe detection with positions, edits (golden strings), getters.
#include "netconf/ifcfg/ifcfg_file.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace mvt;
using ifcfg::File;

TEST_CASE("ifcfg decode: quoting forms as bash decodes them" * doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "A=plain\n"
      "B='single # not a comment'\n"
      "C=\"dq \\\" \\\\ \\$ \\` \\n kept\"\n"
      "D=$'tab\\there\\x41\\101\\cA\\u0042'\n"
      "E=con'cat'\"en\"$'ated'\n"
      "F=a\\ b\\\\c\n"
      "G=value # trailing comment\n"
      "H=with#hash\n"
      "I=\n"
      "J='multi\nline'\n"
      "K=cont\\\ninued\n"
      "  L=indented\n"
      "M=x$\n"
      "N=*?[glob]{a,b}\n");
  CHECK(f.problems().empty());
  CHECK(f.get("A") == "plain");
  CHECK(f.get("B") == "single # not a comment");
  CHECK(f.get("C") == "dq \" \\ $ ` \\n kept");
  CHECK(f.get("D") ==
        "tab\there"
        "AA\x01"
        "B");
  CHECK(f.get("E") == "concatenated");
  CHECK(f.get("F") == "a b\\c");
  CHECK(f.get("G") == "value");
  CHECK(f.get("H") == "with#hash");
  CHECK(f.get("I") == "");
  CHECK(f.get("J") == "multi\nline");
  CHECK(f.get("K") == "continued");
  CHECK(f.get("L") == "indented");
  CHECK(f.get("M") == "x$");
  CHECK(f.get("N") == "*?[glob]{a,b}");
  CHECK(f.line_of("J") == 10);
  CHECK(f.line_of("K") == 12);
  CHECK(f.line_of("L") == 14);
  CHECK_FALSE(f.get("Z"));
  CHECK_FALSE(f.has("Z"));
  CHECK(f.line_of("Z") == 0);
}

TEST_CASE("ifcfg decode: last assignment wins, keys in first-appearance order" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("B=1\nA=x\nB=2\n");
  CHECK(f.get("B") == "2");
  CHECK(f.line_of("B") == 3);
  CHECK(f.keys() == std::vector<std::string>{"B", "A"});
}

TEST_CASE("ifcfg decode: $'...' NUL truncates that piece, as bash does" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("A=$'x\\0y'z\nB=$'\\U0x'\nC=$'\\x'\nD=$'\\c'\n");
  CHECK(f.get("A") == "xz");
  CHECK(f.get("B") == "");
  CHECK(f.get("C") == "\\x");
  CHECK(f.get("D") == "\\c");
  // Above 0x7f the result depends on the locale: withheld.
  auto g = File::parse("E=$'\\u00e9'\n");
  CHECK(g.is_unsafe("E"));
  CHECK_FALSE(g.get("E"));
}

TEST_CASE("ifcfg unsafe: expansions reported with line and column, never evaluated" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "DEVICE=eth0\n"
      "IPADDR=$(touch /tmp/pwned)\n"
      "  GATEWAY=\"1.2.3.`id`\"\n"
      "DNS1=${X}\n"
      "DNS2=$HOME\n"
      "HOME_DIR=~/x\n"
      "PATHS=a:~b\n"
      "SAFE='$(not expanded)'\n");
  CHECK(f.get("DEVICE") == "eth0");
  CHECK(f.get("SAFE") == "$(not expanded)");
  for (const char* k : {"IPADDR", "GATEWAY", "DNS1", "DNS2", "HOME_DIR", "PATHS"}) {
    CHECK_MESSAGE(f.is_unsafe(k), k);
    CHECK_MESSAGE(!f.get(k), k);
    CHECK_MESSAGE(f.has(k), k);
  }
  CHECK(f.unsafe_keys() ==
        std::vector<std::string>{"IPADDR", "GATEWAY", "DNS1", "DNS2", "HOME_DIR", "PATHS"});
  auto p = f.problems();
  REQUIRE(p.size() == 6);
  CHECK(p[0].line == 2);
  CHECK(p[0].column == 8);
  CHECK(p[0].key == "IPADDR");
  CHECK(p[0].message.find("$(") != std::string::npos);
  for (const auto& pr : p) CHECK_MESSAGE(pr.expansion, pr.message);
  CHECK(p[1].line == 3);
  CHECK(p[1].column == 18);
  CHECK(p[1].key == "GATEWAY");
  CHECK(p[2].line == 4);
  CHECK(p[3].line == 5);
  CHECK(p[4].line == 6);
  CHECK(p[4].column == 10);
  CHECK(p[5].column == 9);
  // Lossless even with problems.
  CHECK(f.write().find("$(touch /tmp/pwned)") != std::string::npos);
}

TEST_CASE("ifcfg problems: commands, operators, bad keys, unterminated quotes" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "FOO-BAR=x\n"
      "A=1 reboot\n"
      "B=2; C=3\n"
      "D=(array)\n"
      "E+=x\n"
      "OK=yes\n"
      "NAME='open\n");
  CHECK(f.get("OK") == "yes");
  CHECK_FALSE(f.has("FOO-BAR"));
  for (const char* k : {"A", "B", "C", "D", "E", "NAME"}) CHECK_MESSAGE(f.is_unsafe(k), k);
  auto p = f.problems();
  REQUIRE(p.size() >= 6);
  CHECK(p[0].line == 1);
  CHECK(p[0].message.find("not an assignment") != std::string::npos);
  CHECK(p[1].line == 2);
  CHECK(p[1].column == 5);
  CHECK(p.back().line == 7);
  CHECK(p.back().message.find("unterminated") != std::string::npos);
  for (const auto& pr : p) CHECK_MESSAGE(!pr.expansion, pr.message);
}

TEST_CASE("ifcfg round trip: CRLF, no final newline, odd bytes" * doctest::test_suite("ifcfg")) {
  for (std::string text : {std::string("A=1\r\nB=2\r\n"), std::string("A=1\nB=2"), std::string(""),
                           std::string("\n\n#c"), std::string("X=\xff\xfe\n"),
                           std::string("A=1\0B\n", 7), std::string("A='x\n")}) {
    auto f = File::parse(text);
    CHECK(f.write() == text);
  }
  // bash keeps the CR: so do we.
  CHECK(File::parse("A=1\r\n").get("A") == "1\r");
}

TEST_CASE("ifcfg edits: set in place keeps comment, drops duplicates, appends new keys" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "# header\n"
      "DEVICE=eth0\n"
      "ONBOOT=no # keep me\n"
      "UNKNOWN_KEY=\"kept\"\n"
      "ONBOOT=no\n"
      "DEFROUTE=yes   # trailing\n");
  CHECK_FALSE(f.modified());
  f.set("DEFROUTE", "no");
  f.set("ONBOOT", "yes");
  f.set("PEERDNS", "no");
  f.set("NAME", "my eth0");
  CHECK(f.modified());
  CHECK(f.write() ==
        "# header\n"
        "DEVICE=eth0\n"
        "UNKNOWN_KEY=\"kept\"\n"
        "ONBOOT=yes\n"
        "DEFROUTE=no   # trailing\n"
        "PEERDNS=no\n"
        "NAME='my eth0'\n");
  f.unset("DEVICE");
  f.unset("ABSENT");
  CHECK(f.write() ==
        "# header\n"
        "UNKNOWN_KEY=\"kept\"\n"
        "ONBOOT=yes\n"
        "DEFROUTE=no   # trailing\n"
        "PEERDNS=no\n"
        "NAME='my eth0'\n");
}

TEST_CASE("ifcfg edits: set of an equal value is a no-op, last key keeps its comment" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("ONBOOT=\"yes\" # c\n");
  f.set("ONBOOT", "yes");
  CHECK_FALSE(f.modified());
  CHECK(f.write() == "ONBOOT=\"yes\" # c\n");
  f.set("ONBOOT", "no");
  CHECK(f.write() == "ONBOOT=no # c\n");
}

TEST_CASE("ifcfg edits: no final newline, multi-line values, multi-assignment lines" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("A=1\nB='x\ny'");
  f.set("C", "3");
  CHECK(f.write() == "A=1\nB='x\ny'\nC=3\n");
  f.set("B", "z");
  CHECK(f.write() == "A=1\nB=z\nC=3\n");

  auto g = File::parse("A=1 B=2 # both\nB=3\n");
  CHECK(g.problems().empty());
  CHECK(g.get("A") == "1");
  g.set("B", "4");
  CHECK(g.write() == "A=1 # both\nB=4\n");
  g.set("A", "5");
  CHECK(g.write() == "A=5 # both\nB=4\n");
}

TEST_CASE("ifcfg edits: an unsafe last assignment is rewritten in place" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("IPADDR=$(evil)\n");
  f.set("IPADDR", "192.0.2.1");
  CHECK(f.write() == "IPADDR=192.0.2.1\n");
  CHECK(f.problems().empty());
  // In a problem statement it is left alone and the new value appended (it wins).
  auto g = File::parse("A=1 reboot\n");
  g.set("A", "2");
  CHECK(g.write() == "A=1 reboot\nA=2\n");
  CHECK(g.get("A") == "2");
}

TEST_CASE("ifcfg edits: invalid keys and NUL values are refused" * doctest::test_suite("ifcfg")) {
  auto f = File::parse("A=1\n");
  CHECK_THROWS_AS(f.set("A", std::string("a\0b", 3)), std::invalid_argument);
  CHECK_THROWS_AS(f.set("BAD-KEY", "x"), std::invalid_argument);
  CHECK_THROWS_AS(f.set("", "x"), std::invalid_argument);
  CHECK(f.write() == "A=1\n");
  CHECK_FALSE(f.modified());
}

TEST_CASE("ifcfg quote/decode" * doctest::test_suite("ifcfg")) {
  CHECK(ifcfg::quote("eth0") == "eth0");
  CHECK(ifcfg::quote("104.50.201.84") == "104.50.201.84");
  CHECK(ifcfg::quote("52:54:00:5d:9c:33") == "52:54:00:5d:9c:33");
  CHECK(ifcfg::quote("") == "");
  CHECK(ifcfg::quote("a b") == "'a b'");
  CHECK(ifcfg::quote("it's") == "'it'\\''s'");
  CHECK(ifcfg::quote("~root") == "'~root'");
  CHECK(ifcfg::quote("#x") == "'#x'");
  CHECK_FALSE(ifcfg::quote(std::string("a\0b", 3)));
  bool unsafe = false;
  CHECK(ifcfg::decode("'a b' # c", &unsafe) == "a b");
  CHECK_FALSE(unsafe);
  CHECK_FALSE(ifcfg::decode("$(x)", &unsafe));
  CHECK(unsafe);
  CHECK_FALSE(ifcfg::decode("a b", &unsafe));
  CHECK_FALSE(unsafe);
  CHECK_FALSE(ifcfg::decode("a;b"));
  for (std::string v : {"x", "a'b\"c", "$(id)", "`id`", "\\", "a\nb", "\xc3\xa9", "~", " lead"})
    CHECK(ifcfg::decode(*ifcfg::quote(v)) == v);
}

TEST_CASE("ifcfg getters: booleans, BOOTPROTO, address, gateway, DNS" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse(
      "B1=yes\nB2=No\nB3=TRUE\nB4=false\nB5=1\nB6=0\nB7=y\nB8=N\nB9=maybe\n"
      "BOOTPROTO=none\n"
      "IPADDR=104.50.201.84\nNETMASK=255.255.255.0\nPREFIX=29\n"
      "GATEWAY=104.50.201.86\nGATEWAY1=10.0.0.1\n"
      "DNS1=8.8.8.8\nDNS2=8.8.4.4\nDNS4=1.1.1.1\n");
  CHECK(f.get_bool("B1") == true);
  CHECK(f.get_bool("B2") == false);
  CHECK(f.get_bool("B3") == true);
  CHECK(f.get_bool("B4") == false);
  CHECK(f.get_bool("B5") == true);
  CHECK(f.get_bool("B6") == false);
  CHECK(f.get_bool("B7") == true);
  CHECK(f.get_bool("B8") == false);
  CHECK_FALSE(f.get_bool("B9"));
  CHECK_FALSE(f.get_bool("ABSENT"));
  CHECK(f.bootproto() == "static");
  REQUIRE(f.ipv4_address());
  CHECK(f.ipv4_address()->str() == "104.50.201.84/29");  // PREFIX wins over NETMASK
  CHECK(f.gateway()->str() == "104.50.201.86");
  REQUIRE(f.dns().size() == 2);  // stops at the gap (DNS3)
  CHECK(f.dns()[1].str() == "8.8.4.4");

  for (auto [text, want] : {std::pair{"BOOTPROTO=static", "static"},
                            {"BOOTPROTO=no", "static"},
                            {"BOOTPROTO=\"NONE\"", "static"},
                            {"BOOTPROTO=dhcp", "dhcp"},
                            {"BOOTPROTO=bootp", "dhcp"},
                            {"BOOTPROTO=autoip", "autoip"}})
    CHECK_MESSAGE(File::parse(text).bootproto() == want, text);
  CHECK_FALSE(File::parse("X=1").bootproto());

  auto g = File::parse("IPADDR0=192.168.1.15\nNETMASK0=255.255.255.0\nGATEWAY0=192.168.1.1\n");
  CHECK(g.ipv4_address()->str() == "192.168.1.15/24");
  CHECK(g.gateway()->str() == "192.168.1.1");
  auto h = File::parse("IPADDR=10.1.2.3\n");  // classful default, as NetworkManager
  CHECK(h.ipv4_address()->str() == "10.1.2.3/8");
  CHECK_FALSE(File::parse("IPADDR=10.1.2.3\nPREFIX=33\n").ipv4_address());
  CHECK_FALSE(File::parse("IPADDR=$(x)\n").ipv4_address());
  auto k = File::parse("GATEWAY1=10.0.0.1\n");
  CHECK_FALSE(k.gateway());  // GATEWAYn of IPADDRn is a different fact
}

TEST_CASE("ifcfg edits: appending after an unterminated quote is refused" *
          doctest::test_suite("ifcfg")) {
  auto f = File::parse("A=1\nB='open\n");
  CHECK_THROWS_AS(f.set("C", "3"), std::logic_error);
  CHECK(f.write() == "A=1\nB='open\n");
  f.set("A", "2");  // in place: fine
  CHECK(f.write() == "A=2\nB='open\n");
  f.set("B", "fixed");  // the unterminated value ran to the end: rewritten, file ends there
  CHECK(f.write() == "A=2\nB=fixed\n");
  CHECK(f.problems().empty());
}

TEST_CASE("ifcfg: parse_shared gives one parse per text on a thread, equal to parse" *
          doctest::test_suite("ifcfg")) {
  const std::string a = "DEVICE=ens3\nIPADDR=192.0.2.5\n";
  const std::string b = "DEVICE=ens4\nIPADDR=192.0.2.6\n";
  const auto pa = File::parse_shared(a);
  const auto pb = File::parse_shared(b);
  CHECK(pa.get() == File::parse_shared(std::string(a)).get());  // same text, other buffer
  CHECK(pa.get() != pb.get());
  CHECK(pa->write() == File::parse(a).write());
  CHECK(pa->get("IPADDR") == std::optional<std::string>("192.0.2.5"));
  CHECK(pb->get("DEVICE") == std::optional<std::string>("ens4"));
  // Texts that differ in one byte are two files.
  std::string c = a;
  c.back() = ' ';
  CHECK(File::parse_shared(c).get() != pa.get());
  // Many other texts later, the first is parsed again (a bounded ring), still equal.
  for (int k = 0; k < 20; ++k) File::parse_shared("K" + std::to_string(k) + "=1\n");
  const auto again = File::parse_shared(a);
  CHECK(again->write() == a);
}
