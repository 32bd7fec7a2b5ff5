#pragma once
// Structural decoding: a merged SpecNode tree -> Topology. Checks keys (unknown ones get a
// "did you mean"), types, required keys, enum values and the syntax of MACs, addresses,
// CIDRs, URIs and file sources, and fills every object's `pos`. Semantic rules (rules.hpp)
// run afterwards on the Topology.
//
// Rule ids of structural problems:
//   spec.unknown-key  spec.missing-key  spec.type  spec.value  spec.mac  spec.ipv4  spec.ipv6
//   spec.cidr  spec.uri  spec.file-source  spec.name  spec.interface-kind  spec.version
//
// Relative paths: a `dir:PATH` source and a `test:RELPATH` libvirt URI (no "//": a libvirt
// test-driver node file) resolve against the directory of the file that set the value
// (SpecNode::pos.file); they become `dir:/ABS` and `test:///ABS`.
#include "model/topology.hpp"
#include "spec/spec_node.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

// Decodes `root` (the merged document). Problems go to `diags`; the result holds whatever
// could be decoded (fields with errors keep their defaults).
Topology decode_topology(const SpecNode& root, Diagnostics& diags);
// The same, consuming the tree: each guest's subtree is freed as soon as it is decoded, so
// that a large spec's tree and topology are never both whole in memory.
Topology decode_topology(SpecNode&& root, Diagnostics& diags);

// Checks one file's document before merging: a mapping with `version: 1`.
void check_file_header(const SpecNode& root, Diagnostics& diags);

}  // namespace mvt::spec
