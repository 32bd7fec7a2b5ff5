#pragma once
// SpecNode: the YAML of one or more spec files as a plain tree that keeps, for every node and
// every map key, the file, line and column it came from. yaml-cpp's own Node loses duplicate
// keys on lookup and cannot merge documents from different files while keeping marks, so the
// loader converts each file into this tree first (yaml_reader.hpp) and merges the trees
// (merge_into below).
#include <string>
#include <utility>
#include <vector>

#include "util/diagnostics.hpp"

namespace mvt::spec {

// The YAML 1.1 meaning of a plain (unquoted) scalar, as PyYAML and editors resolve it. A
// quoted scalar is always a String. Used to refuse `defroute: "yes"` or `name: 12` the same
// way the JSON schema does.
enum class ScalarKind { Null, Bool, Int, Float, String };

struct SpecNode {
  enum class Kind { Null, Scalar, Map, Seq };
  struct Entry;  // a map entry

  Kind kind = Kind::Null;
  std::string text;       // Scalar: its value
  bool quoted = false;    // Scalar: written with quotes (or as a block scalar)
  SourcePos pos;          // where the node starts
  std::vector<Entry> entries;   // Map, in file order, keys unique (duplicates dropped)
  std::vector<SpecNode> items;  // Seq

  bool is_map() const { return kind == Kind::Map; }
  bool is_seq() const { return kind == Kind::Seq; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  bool is_null() const { return kind == Kind::Null; }

  // Map lookup; nullptr when absent or not a map.
  const SpecNode* find(const std::string& key) const;
  // The scalar's YAML 1.1 resolution (Null for a Null node; String for a quoted scalar).
  ScalarKind scalar_kind() const;
  // "a mapping", "a list", "a string", "an integer", "a boolean", "null", ...
  std::string describe() const;
};

struct SpecNode::Entry {
  std::string key;
  SourcePos key_pos;
  SpecNode value;
};

// Parses a YAML 1.1 boolean spelling (true/false/yes/no/on/off, three casings).
bool parse_yaml_bool(const std::string& text, bool* out);

// Netplan-style merge of `from` (a later file) into `into`: maps merge key by key
// (recursively), anything else - lists, scalars, a change of kind - is replaced whole by the
// later value. Positions follow the values, so every node still points at its own file.
void merge_into(SpecNode& into, const SpecNode& from);

}  // namespace mvt::spec
