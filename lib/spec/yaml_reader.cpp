#include "spec/yaml_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "spec/yaml_fast_reader.hpp"

namespace mvt::spec {
namespace {

SourcePos pos_from_mark(const FileName& file, const YAML::Mark& m, const SourcePos& fallback) {
  if (m.line < 0 || m.column < 0) return fallback;
  return SourcePos{file, m.line + 1, m.column + 1};
}

SpecNode convert(const YAML::Node& n, const FileName& file, const SourcePos& fallback,
                 Diagnostics& diags, int depth) {
  SpecNode out;
  out.pos = pos_from_mark(file, n.Mark(), fallback);
  if (depth > kMaxYamlDepth) {  // yaml_syntax_error() stops such files first
    diags.error(out.pos, "yaml.depth",
                "nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels");
    return out;
  }
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = SpecNode::Kind::Null;
      break;
    case YAML::NodeType::Scalar:
      out.kind = SpecNode::Kind::Scalar;
      out.text = n.Scalar();
      out.quoted = n.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      out.kind = SpecNode::Kind::Seq;
      for (const auto& item : n) out.items.push_back(convert(item, file, out.pos, diags, depth + 1));
      break;
    case YAML::NodeType::Map: {
      out.kind = SpecNode::Kind::Map;
      std::set<std::string> seen;
      std::vector<SpecNode> merges;  // YAML 1.1 merge keys: `<<: *anchor` or `<<: [*a, *b]`
      for (const auto& kv : n) {
        const SourcePos key_pos = pos_from_mark(file, kv.first.Mark(), out.pos);
        if (!kv.first.IsScalar()) {
          diags.error(key_pos, "yaml.key", "a key must be a plain string, not a " +
                                               std::string(kv.first.IsMap() ? "mapping" : "list"));
          continue;
        }
        const std::string key = kv.first.Scalar();
        if (key == "<<" && kv.first.Tag() != "!") {
          SpecNode v = convert(kv.second, file, key_pos, diags, depth + 1);
          if (v.is_map()) {
            merges.push_back(std::move(v));
          } else if (v.is_seq() && std::all_of(v.items.begin(), v.items.end(),
                                               [](const SpecNode& x) { return x.is_map(); })) {
            for (auto& x : v.items) merges.push_back(std::move(x));
          } else {
            diags.error(key_pos, "yaml.merge", "a merge key '<<' takes a mapping or a list of mappings");
          }
          continue;
        }
        if (!seen.insert(key).second) {
          diags.error(key_pos, "yaml.duplicate-key", "duplicate key '" + key + "'");
          continue;
        }
        out.entries.push_back({key, key_pos, convert(kv.second, file, key_pos, diags, depth + 1),
                               kv.first.Tag() == "!"});
      }
      // Keys written in the mapping win over merged ones; earlier merges win over later ones.
      for (auto& m : merges)
        for (auto& e : m.entries)
          if (seen.insert(e.key).second) out.entries.push_back(std::move(e));
      break;
    }
  }
  return out;
}

SourcePos pos_at_offset(const std::string& file, std::string_view bytes, std::size_t off) {
  int line = 1, col = 1;
  for (std::size_t i = 0; i < off && i < bytes.size(); ++i) {
    if (bytes[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {file, line, col};
}

bool only_comments(std::string_view bytes) {
  bool in_comment = false;
  for (char c : bytes) {
    if (in_comment) {
      if (c == '\n') in_comment = false;
      continue;
    }
    if (c == '#') in_comment = true;
    else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

// "U+0000".
std::string codepoint_name(unsigned cp) {
  static const char* hex = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 15];
  return out;
}

// Offset of the first tab in a line's leading whitespace: the usual cause of yaml-cpp's
// unhelpful "end of map not found".
std::optional<std::size_t> tab_in_indentation(std::string_view bytes) {
  bool at_indent = true;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\n') at_indent = true;
    else if (at_indent && c == '\t') return i;
    else if (c != ' ') at_indent = false;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::size_t> first_non_printable(std::string_view s) {
  // YAML 1.2 c-printable: tab, LF, CR, U+0020..U+007E, U+0085, U+00A0.. (no surrogates,
  // U+FFFE, U+FFFF). Called on valid UTF-8 only.
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned c = b[i];
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return i;
    if (c == 0x7F) return i;
    // U+0080..U+009F is C2 80..C2 9F; U+0085 (NEL) is allowed.
    if (c == 0xC2 && i + 1 < s.size() && b[i + 1] >= 0x80 && b[i + 1] <= 0x9F &&
        b[i + 1] != 0x85)
      return i;
    // U+FFFE, U+FFFF: EF BF BE, EF BF BF.
    if (c == 0xEF && i + 2 < s.size() && b[i + 1] == 0xBF && (b[i + 2] == 0xBE || b[i + 2] == 0xBF))
      return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> first_invalid_utf8(std::string_view s) {
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = b[i];
    if (c < 0x80) { ++i; continue; }
    int len = 0;
    unsigned cp = 0;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + static_cast<std::size_t>(len) > n) return i;
    for (int k = 1; k < len; ++k) {
      const unsigned cc = b[i + static_cast<std::size_t>(k)];
      if ((cc & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += static_cast<std::size_t>(len);
  }
  return std::nullopt;
}

std::optional<SpecNode> read_yaml(const std::string& file, std::string_view bytes,
                                  Diagnostics& diags) {
  if (auto bad = first_invalid_utf8(bytes)) {
    diags.error(pos_at_offset(file, bytes, *bad), "file.encoding",
                "file is not valid UTF-8 (byte 0x" +
                    [&] {
                      static const char* hex = "0123456789abcdef";
                      const auto v = static_cast<unsigned char>(bytes[*bad]);
                      return std::string{hex[v >> 4], hex[v & 15]};
                    }() +
                    " at offset " + std::to_string(*bad) + ")");
    return std::nullopt;
  }
  // Before either YAML parser: yaml-cpp 0.7 loops without end, allocating, on a NUL inside
  // a flow collection (found by fuzz_spec: 2 GB in 14 s), and YAML forbids these anyway.
  if (auto bad = first_non_printable(bytes)) {
    const auto v = static_cast<unsigned char>(bytes[*bad]);
    unsigned cp = v;  // one byte, or the two- or three-byte sequences first_non_printable finds
    if (v == 0xC2) cp = static_cast<unsigned char>(bytes[*bad + 1]);
    if (v == 0xEF) cp = 0xFFC0u | (static_cast<unsigned char>(bytes[*bad + 2]) & 0x3Fu);
    const std::string code = codepoint_name(cp);
    diags.error(pos_at_offset(file, bytes, *bad), "file.control-char",
                "control character " + code +
                    " in the file: YAML allows no control characters but tab, LF and CR "
                    "(write it escaped in a double-quoted string if it is really meant)");
    return std::nullopt;
  }
  if (only_comments(bytes)) {
    diags.error({file, 1, 1}, "file.empty", "spec file is empty (no YAML content)");
    return std::nullopt;
  }
  // libyaml for the common case (fast, small); yaml-cpp for everything else and for every
  // diagnostic (yaml_fast_reader.hpp).
  if (auto fast = read_yaml_fast(file, bytes)) return fast;
  // yaml-cpp only for well-formed YAML (yaml_fast_reader.hpp: it can loop forever on some
  // malformed input); syntax errors are libyaml's, at libyaml's position.
  if (auto bad = yaml_syntax_error(bytes)) {
    if (bad->rule != "yaml.syntax") {  // well-formed so far, but too deep, cyclic or too large
      diags.error({file, bad->line, bad->column}, bad->rule, bad->message);
      return std::nullopt;
    }
    if (auto tab = tab_in_indentation(bytes)) {
      diags.error(pos_at_offset(file, bytes, *tab), "yaml.syntax",
                  "tab character in indentation (YAML indents with spaces only)");
      return std::nullopt;
    }
    diags.error({file, bad->line, bad->column}, "yaml.syntax", "YAML syntax error: " + bad->message);
    return std::nullopt;
  }
  return read_yaml_cpp(file, bytes, diags);
}

std::optional<SpecNode> read_yaml_cpp(const std::string& file, std::string_view bytes,
                                      Diagnostics& diags) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(bytes));
  } catch (const YAML::Exception& e) {
    if (auto tab = tab_in_indentation(bytes)) {
      diags.error(pos_at_offset(file, bytes, *tab), "yaml.syntax",
                  "tab character in indentation (YAML indents with spaces only)");
      return std::nullopt;
    }
    SourcePos p{file, e.mark.line >= 0 ? e.mark.line + 1 : 1,
                e.mark.column >= 0 ? e.mark.column + 1 : 1};
    diags.error(p, "yaml.syntax", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (docs.empty()) {
    diags.error({file, 1, 1}, "file.empty", "spec file is empty (no YAML content)");
    return std::nullopt;
  }
  if (docs.size() > 1) {
    diags.error(pos_from_mark(file, docs[1].Mark(), {file, 1, 1}), "yaml.syntax",
                "a spec file holds one YAML document; found " + std::to_string(docs.size()) +
                    " (split them into separate files)");
    return std::nullopt;
  }
  const FileName name(file);  // interned once: every position copies a pointer
  SpecNode root = convert(docs[0], name, SourcePos{name, 1, 1}, diags, 0);
  if (root.is_null()) {
    diags.error({file, 1, 1}, "file.empty", "spec file is empty (no YAML content)");
    return std::nullopt;
  }
  return root;
}

}  // namespace mvt::spec
