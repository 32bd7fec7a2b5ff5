// Fuzz target: the spec reader, decoder and semantic rules on one YAML document. Bad input
// must become diagnostics, never a crash, a hang or an exception escaping.
#include <cstdint>
#include <string>

#include "spec/decode.hpp"
#include "spec/rules.hpp"
#include "spec/yaml_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  mvt::Diagnostics diags;
  auto root = mvt::spec::read_yaml("fuzz.yaml", text, diags);
  if (!root) return 0;
  mvt::spec::check_file_header(*root, diags);
  auto topology = mvt::spec::decode_topology(*root, diags);
  mvt::spec::check_rules(topology, diags);
  return 0;
}
