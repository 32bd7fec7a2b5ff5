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

// What a plain (unquoted) scalar is to the YAML readers a spec meets: YAML 1.1 (PyYAML, the
// `yaml` package's 1.1 mode) and YAML 1.2 (core schema: yaml-language-server, ruamel.yaml).
// It is a String only when every one of them reads a string; otherwise the first of Null,
// Bool, Int, Float, Timestamp that any of them reads. `yes` (a YAML 1.1 boolean, a 1.2
// string), 52:54:00:12:34:56 (a YAML 1.1 sexagesimal integer), 1e3 (a YAML 1.2 number),
// 2024-01-01 (a YAML 1.1 date) are not strings. A quoted scalar is always a String. Used to
// refuse `defroute: "yes"` or `name: 12` the same way the JSON schema does under any reader.
enum class ScalarKind { Null, Bool, Int, Float, Timestamp, String };

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
  bool key_quoted = false;  // the key was written with quotes
  // The key as a scalar node (for scalar_kind(): a `yes:` or `010:` key is not a string).
  SpecNode key_node() const {
    SpecNode n;
    n.kind = SpecNode::Kind::Scalar;
    n.text = key;
    n.quoted = key_quoted;
    n.pos = key_pos;
    return n;
  }
};

// Parses a YAML 1.1 boolean spelling (true/false/yes/no/on/off in three casings, y/n/Y/N).
bool parse_yaml_bool(const std::string& text, bool* out);
// Parses a boolean every YAML reader agrees on: true/false, True/False, TRUE/FALSE.
bool parse_portable_bool(const std::string& text, bool* out);
// Whether a plain scalar is the number 1 to every YAML reader (1, 01, +1, 0x1, 1.0, ...).
bool is_portable_one(const std::string& text);

// Netplan-style merge of `from` (a later file) into `into`: maps merge key by key
// (recursively), anything else - lists, scalars, a change of kind - is replaced whole by the
// later value. Positions follow the values, so every node still points at its own file.
void merge_into(SpecNode& into, const SpecNode& from);

}  // namespace mvt::spec
