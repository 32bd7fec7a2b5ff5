#pragma once
// The fast path of read_yaml() (yaml_reader.hpp): libyaml's event parser straight into a
// SpecNode tree, with no intermediate document tree. yaml-cpp 0.7's scanner costs about
// 1,600 instructions per byte and its node tree about 400 bytes per node, which made a
// 10,000-guest spec take seconds and hundreds of MB (issue 7); libyaml is ~20x faster.
//
// It handles only the plain subset real specs use and gives up (nullopt, no diagnostics)
// on anything else, so that read_yaml() falls back to the yaml-cpp reader, which keeps
// sole responsibility for every diagnostic and every unusual construct:
//   - any libyaml error, no document, or more than one document;
//   - bytes outside printable ASCII + '\n' (tabs, CR, non-ASCII: positions and tab rules
//     are where the two parsers could disagree);
//   - anchors, aliases, tags, merge keys (<<), non-scalar or null keys, duplicate keys, empty values
//     (`key:` - yaml-cpp and libyaml place the implied null differently);
//   - nesting deeper than 64 levels, an empty (null) document.
// On what it accepts it builds the same tree as the yaml-cpp reader: same kinds, texts,
// `quoted` flags (any non-plain style) and positions (tests/unit/yaml_fast_reader_test.cpp
// compares both readers over every spec and fixture of the repository).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spec/spec_node.hpp"

namespace mvt::spec {

std::optional<SpecNode> read_yaml_fast(const std::string& file, std::string_view bytes);

// Deepest nesting either reader accepts (collections inside collections).
inline constexpr int kMaxYamlDepth = 64;
// The alias budget (issue 12): a document may expand, aliases copied where they are used
// (as the yaml-cpp reader does), to at most max(kMinAliasBudget, kAliasFactor x the nodes
// written in the file) nodes. A "billion laughs" file of 567 bytes expands to 10^9.
inline constexpr std::uint64_t kMinAliasBudget = 100000;
inline constexpr std::uint64_t kAliasFactor = 10;
std::uint64_t yaml_alias_budget(std::uint64_t written_nodes);

// libyaml's verdict on the whole stream: the first syntax error (1-based position, libyaml's
// problem and context), or nullopt when the stream is well-formed YAML and within bounds:
// nesting deeper than kMaxYamlDepth is an error at the first collection too deep (rule
// yaml.depth; checked as libyaml reads, before its per-token cost grows with the depth), an
// expansion beyond yaml_alias_budget() an error at the alias that crosses it (rule
// yaml.alias-budget). Linear in the input, memory bounded by the nesting depth and the
// number of aliases. read_yaml() asks it before yaml-cpp ever sees a
// document: yaml-cpp 0.7 loops forever on some malformed input (a lone `,` at the top
// level, a NUL in a flow mapping: both found by fuzz_spec), libyaml does not.
struct YamlSyntaxError {
  int line = 1;
  int column = 1;
  std::string message;
  std::string rule = "yaml.syntax";
};
std::optional<YamlSyntaxError> yaml_syntax_error(std::string_view bytes);

}  // namespace mvt::spec
