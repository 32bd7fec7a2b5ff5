// Fuzz target: the ifcfg and route-file parsers. Invariants checked beyond "no crash":
// the writer reproduces the input byte for byte, and decoding never yields a value for a
// key reported unsafe.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "netconf/ifcfg/route_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto f = mvt::ifcfg::File::parse(text);
  if (f.write() != text) std::abort();
  for (const auto& k : f.unsafe_keys())
    if (f.get(k)) std::abort();
  (void)f.ipv4_address();
  (void)f.dns();
  const auto r = mvt::ifcfg::RouteFile::parse(text);
  if (r.write() != text) std::abort();
  (void)r.routes();
  return 0;
}
