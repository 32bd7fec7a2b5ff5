// Values every YAML reader reads alike (issue 16): the resolvers behind the loader's
// "write true/false", "quote the MAC" and "quote it" (lib/spec/spec_node.hpp). The whole
// specs are in tests/data/yaml-subtleties (spec_catalogue_test.cpp, schema_ajv_test.cpp).
#include <doctest/doctest.h>

#include "spec/spec_node.hpp"
#include "spec/yaml_reader.hpp"

using namespace mvt;

namespace {

spec::ScalarKind kind(const std::string& text, bool quoted = false) {
  spec::SpecNode n;
  n.kind = spec::SpecNode::Kind::Scalar;
  n.text = text;
  n.quoted = quoted;
  return n.scalar_kind();
}

}  // namespace

TEST_CASE("portable scalars: YAML 1.1 booleans, dates and base-60 numbers are not strings" *
          doctest::test_suite("spec")) {
  using K = spec::ScalarKind;
  for (const char* t : {"yes", "No", "ON", "off", "y", "N", "True", "false"}) CHECK(kind(t) == K::Bool);
  CHECK(kind("yes", true) == K::String);
  CHECK(kind("52:54:00:12:34:56") == K::Int);   // PyYAML: 41135085296
  CHECK(kind("00:16:35:12:34:56") == K::Int);   // the yaml package (1.1): a leading 0 is fine
  CHECK(kind("52:54:00:12:34:76") == K::String);  // 76 is no base-60 digit pair
  CHECK(kind("52:54:00:ab:cd:ef") == K::String);
  CHECK(kind("1:30.5") == K::Float);
  CHECK(kind("1e3") == K::Float);   // YAML 1.2 (PyYAML: a string)
  CHECK(kind("0o17") == K::Int);    // YAML 1.2 (YAML 1.1: a string)
  CHECK(kind("08") == K::Int);      // the yaml package (1.1) and YAML 1.2
  CHECK(kind("e1000") == K::String);
  for (const char* t : {"2024-01-01", "2024-1-1", "2024-01-01T10:20:30Z", "2024-01-01 10:20:30.5 +01:00"})
    CHECK_MESSAGE(kind(t) == K::Timestamp, t);
  for (const char* t : {"2024-01", "2024-01-01x", "2024-01-01T10:20", "20240101-1-1"})
    CHECK_MESSAGE(kind(t) != K::Timestamp, t);
  CHECK(kind("2024-01-01" + std::string(200, '0')) == K::String);  // bounded, no regex blow-up
}

TEST_CASE("portable scalars: true/false in three casings, the number 1 in every spelling all "
          "readers share" * doctest::test_suite("spec")) {
  bool b = false;
  CHECK((spec::parse_portable_bool("TRUE", &b) && b));
  CHECK((spec::parse_portable_bool("False", &b) && !b));
  CHECK_FALSE(spec::parse_portable_bool("yes", &b));
  CHECK_FALSE(spec::parse_portable_bool("y", &b));
  CHECK((spec::parse_yaml_bool("y", &b) && b));
  for (const char* t : {"1", "01", "+1", "0001", "0x1", "0x01", "1.0", "1.", "+1.0", "1.0e+0", ".1e+1"})
    CHECK_MESSAGE(spec::is_portable_one(t), t);
  // 0o1, 1_0 and +0x1 are 1 to some readers only; 1e0 is a string to PyYAML; +.1e+1 too.
  for (const char* t : {"2", "-1", "0o1", "1_", "+0x1", "1e0", "+.1e+1", "10", "1.5", "0x", "", "."})
    CHECK_FALSE_MESSAGE(spec::is_portable_one(t), t);
}

TEST_CASE("both YAML readers record whether a key was quoted" * doctest::test_suite("spec")) {
  const std::string text = "\"yes\": 1\nno: 2\n'010': 3\n";
  // read_yaml takes libyaml's fast path for this plain subset; read_yaml_cpp is yaml-cpp's.
  for (const bool fast : {true, false}) {
    Diagnostics d;
    auto n = fast ? spec::read_yaml("f", text, d) : spec::read_yaml_cpp("f", text, d);
    REQUIRE(n);
    INFO("fast reader: ", fast);
    const auto& e = n->entries;
    REQUIRE(e.size() == 3u);
    CHECK(e[0].key_quoted);
    CHECK(e[0].key_node().scalar_kind() == spec::ScalarKind::String);
    CHECK_FALSE(e[1].key_quoted);
    CHECK(e[1].key_node().scalar_kind() == spec::ScalarKind::Bool);
    CHECK(e[2].key_quoted);
  }
}
