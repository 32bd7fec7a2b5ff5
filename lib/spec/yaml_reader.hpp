#pragma once
// Reads one YAML spec file into a SpecNode tree, reporting every file-level problem as a
// diagnostic with a position:
//   file.encoding       bytes that are not UTF-8 (position of the first bad byte)
//   file.empty          nothing but whitespace and comments
//   yaml.syntax         yaml-cpp parser errors (its mark), several documents in one file
//   yaml.duplicate-key  the same key twice in one mapping (yaml-cpp accepts it silently and
//                       lookups see only one of them; the first is kept here)
//   yaml.key            a key that is not a plain string (a list or mapping used as a key)
//   yaml.merge          a merge key `<<` whose value is not a mapping or list of mappings
// YAML 1.1 merge keys (`<<: *defaults`) are applied here, as PyYAML and editors do: keys
// written in the mapping win over merged ones.
#include <optional>
#include <string>
#include <string_view>

#include "spec/spec_node.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

// `file` is the name used in positions (as the user spelled it); `bytes` its content.
// Returns nullopt when nothing usable could be read (diagnostics say why).
std::optional<SpecNode> read_yaml(const std::string& file, std::string_view bytes,
                                  Diagnostics& diags);

// The yaml-cpp reader alone (read_yaml() without its encoding/empty checks and without the
// libyaml fast path of yaml_fast_reader.hpp): for tests that compare the two readers.
std::optional<SpecNode> read_yaml_cpp(const std::string& file, std::string_view bytes,
                                      Diagnostics& diags);

// Offset of the first byte that breaks UTF-8 (overlongs, surrogates and > U+10FFFF included),
// or nullopt when `bytes` is valid UTF-8.
std::optional<std::size_t> first_invalid_utf8(std::string_view bytes);
// Offset of the first character outside YAML's printable set (C0 controls but tab, LF and
// CR; DEL; C1 controls but NEL; U+FFFE, U+FFFF) in valid UTF-8, or nullopt.
std::optional<std::size_t> first_non_printable(std::string_view bytes);

}  // namespace mvt::spec
