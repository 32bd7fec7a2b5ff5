#pragma once
// The benchmark's libvirt side, straight on the libvirt C API (no project code, so that it
// measures libvirt itself):
//  - the floor: open, virConnectListAllDomains, virDomainGetXMLDesc(INACTIVE) for each;
//  - the define floor: virDomainDefineXML for each of a list of XML documents;
//  - the fixture: mvtbench-NNNNN domains on a real libvirtd, defined to match a Shape,
//    reused when already defined identically (their <description> stamp), and removed.
//
// Interrupts: SIGINT/SIGTERM set a flag (install_interrupt_handler); long loops call
// check_interrupted(), which throws Interrupted so that the caller can clean up.
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_topology.hpp"

namespace mvt::bench {

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};
void install_interrupt_handler();
void check_interrupted();  // throws Interrupted after SIGINT/SIGTERM

struct FloorResult {
  int domains = 0;
  std::size_t xml_bytes = 0;
};
// One read-only connection per URI, one pass each (URIs in order, sequentially).
FloorResult floor_list_xml(const std::vector<std::string>& uris);

// virDomainDefineXML for each document over one read-write connection.
void floor_define(const std::string& uri, const std::vector<std::string>& xmls);

// Inactive XML of the named domains (for the define floor and for restoring them).
std::map<std::string, std::string> inactive_xml_of(const std::string& uri,
                                                    const std::vector<std::string>& names);

struct FixtureStats {
  int reused = 0;
  int defined = 0;
  int removed = 0;
};
// Makes the mvtbench-* domains on `uri` exactly guests 0..s.guests-1 of `s`: reuses the
// ones whose stamp matches, (re)defines the others, undefines mvtbench-* domains beyond.
// `progress(done, total)` is called now and then.
FixtureStats ensure_domains(const std::string& uri, const Shape& s,
                            const std::function<void(int, int)>& progress);

// Undefines (destroying first if running) every mvtbench-* domain. Returns how many.
// Never throws (best effort: used on the way out, also after an interrupt).
int remove_all_bench_domains(const std::string& uri, std::string* error = nullptr);

}  // namespace mvt::bench
