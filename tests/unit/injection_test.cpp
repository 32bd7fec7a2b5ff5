// Injection catalogue (issue 8.2): hostile values in every spec field that reaches an ifcfg
// file, a route file, domain XML, a file path or a command line. Each must be refused by the
// loader with a clear message positioned at the value. (Values that pass validation are
// typed — addresses, MACs — or restricted names; tests/unit/ifcfg_hostile_test.cpp proves the
// ifcfg writer keeps even arbitrary values inert under `bash -c '. FILE'`.)
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "spec/loader.hpp"
#include "test_support.hpp"

namespace {

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// The fields, each with its line in the template below (1-based) and a harmless default.
struct Field {
  const char* name;
  int line;
  const char* fine;
};
const std::vector<Field> kFields = {
    {"host", 3, "kvm1"},          {"uri", 4, "test:///default"},
    {"files", 5, "none"},         {"nic", 6, "em2"},
    {"guest", 8, "web1"},         {"guest_files", 9, "none"},
    {"activate", 10, "none"},     {"network", 13, "default"},
    {"iface", 15, "ens9"},        {"dev", 16, "em2"},
    {"mode", 17, "private"},      {"mac", 18, "52:54:00:00:00:01"},
    {"model", 19, "virtio"},      {"address", 20, "192.0.2.10/24"},
    {"gateway", 21, "192.0.2.1"}, {"dns", 23, "192.0.2.53"},
    {"route_to", 24, "198.51.100.0/24"}, {"route_via", 25, "192.0.2.1"},
};

std::string spec_with(const std::string& field, const std::string& value) {
  std::map<std::string, std::string> v;
  for (const auto& f : kFields) v[f.name] = yaml_quote(f.name == field ? value : f.fine);
  // The NIC key and direct.dev must agree unless one of them is the field under test.
  if (field == "nic") v["dev"] = yaml_quote(value);
  return "version: 1\n"                                              // 1
         "hosts:\n"                                                  // 2
         "  " + v["host"] + ":\n"                                    // 3
         "    uri: " + v["uri"] + "\n"                               // 4
         "    files: " + v["files"] + "\n"                           // 5
         "    nics: {" + v["nic"] + ": {config: unconfigured}}\n"    // 6
         "    guests:\n"                                             // 7
         "      " + v["guest"] + ":\n"                               // 8
         "        guest_files: " + v["guest_files"] + "\n"           // 9
         "        activate: " + v["activate"] + "\n"                 // 10
         "        interfaces:\n"                                     // 11
         "          - name: eth0\n"                                  // 12
         "            network: " + v["network"] + "\n"               // 13
         "            mac: \"52:54:00:00:00:02\"\n"                  // 14
         "          - name: " + v["iface"] + "\n"                    // 15
         "            direct:\n              dev: " + v["dev"] + "\n"  // 16 (direct: on 16, dev on 17)
         "              mode: " + v["mode"] + "\n"
         "            mac: " + v["mac"] + "\n"
         "            model: " + v["model"] + "\n"
         "            ipv4:\n              address: " + v["address"] + "\n"
         "              gateway: " + v["gateway"] + "\n"
         "            defroute: true\n"
         "            dns: [" + v["dns"] + "]\n"
         "            routes: [{to: " + v["route_to"] + ", via: " + v["route_via"] + "}]\n";
}

const std::vector<std::string>& hostile_values() {
  static const std::vector<std::string> v = {
      "$(touch MARK)", "`touch MARK`", "x;touch MARK", "x|touch MARK", "x\ntouch MARK",
      "x'y",           "x\"y",         "x\\y",         std::string("x\0y", 3), "x\xc3\xa9",
      "-x",            "../../etc/x",  "x y",          std::string(5000, 'a'),
  };
  return v;
}

}  // namespace

TEST_CASE("injection catalogue: every hostile value in every field is refused at its line" *
          doctest::test_suite("security")) {
  mvt::test::TempDir dir;
  const auto file = (dir.path() / "spec.yaml").string();
  // The template itself is valid: otherwise the refusals below would prove nothing.
  mvt::test::write_file(file, spec_with("", ""));
  {
    auto r = mvt::spec::load({file});
    INFO(spec_with("", ""));
    for (const auto& d : r.diagnostics.items()) INFO(mvt::format_diagnostic(d));
    REQUIRE_FALSE(r.diagnostics.has_errors());
  }
  int cases = 0;
  for (const auto& f : kFields) {
    for (const auto& value : hostile_values()) {
      const std::string text = spec_with(f.name, value);
      mvt::test::write_file(file, text);
      auto r = mvt::spec::load({file});
      const std::string field = f.name;
      const std::string shown = value.size() > 40 ? value.substr(0, 40) + "..." : value;
      CAPTURE(field);
      CAPTURE(shown);
      CHECK(r.diagnostics.has_errors());
      bool positioned = false;
      for (const auto& d : r.diagnostics.items())
        if (d.severity == mvt::Severity::Error && d.pos.line > 0 && !d.message.empty())
          positioned = true;
      CHECK(positioned);
      ++cases;
    }
  }
  CHECK(cases == static_cast<int>(kFields.size() * hostile_values().size()));
  // Nothing ran: no value was ever evaluated.
  CHECK_FALSE(std::filesystem::exists(dir.path() / "MARK"));
  CHECK_FALSE(std::filesystem::exists("MARK"));
}
