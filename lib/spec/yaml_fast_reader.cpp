#include "spec/yaml_fast_reader.hpp"

#include <yaml.h>

#include <set>

namespace mvt::spec {
namespace {

// One parsed event, freed on scope exit.
struct Event {
  yaml_event_t e{};
  bool live = false;
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() {
    if (live) yaml_event_delete(&e);
  }
};

class Reader {
 public:
  Reader(const std::string& file, std::string_view bytes) : file_(file) {
    ok_ = yaml_parser_initialize(&p_) == 1;
    if (ok_)
      yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(bytes.data()),
                                   bytes.size());
  }
  ~Reader() {
    if (ok_) yaml_parser_delete(&p_);
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  std::optional<SpecNode> document() {
    if (!ok_) return std::nullopt;
    Event ev;
    if (!next(ev) || ev.e.type != YAML_STREAM_START_EVENT) return std::nullopt;
    Event doc;
    if (!next(doc) || doc.e.type != YAML_DOCUMENT_START_EVENT) return std::nullopt;
    SpecNode root;
    {
      Event first;
      if (!next(first) || !node(first, root, 0)) return std::nullopt;
    }
    Event end;
    if (!next(end) || end.e.type != YAML_DOCUMENT_END_EVENT) return std::nullopt;
    Event stream_end;
    if (!next(stream_end) || stream_end.e.type != YAML_STREAM_END_EVENT) return std::nullopt;
    if (root.is_null()) return std::nullopt;
    return root;
  }

 private:
  bool next(Event& ev) {
    if (yaml_parser_parse(&p_, &ev.e) != 1) return false;
    ev.live = true;
    return true;
  }

  SourcePos pos(const yaml_mark_t& m) const {
    return SourcePos{file_, static_cast<int>(m.line) + 1, static_cast<int>(m.column) + 1};
  }

  static bool is_null_spelling(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
  }

  bool node(Event& ev, SpecNode& out, int depth) {
    if (depth > 64) return false;
    const yaml_event_t& e = ev.e;
    out.pos = pos(e.start_mark);
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        if (e.data.scalar.anchor || e.data.scalar.tag) return false;
        std::string_view text(reinterpret_cast<const char*>(e.data.scalar.value),
                              e.data.scalar.length);
        const bool plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        // An empty value (`key:`): yaml-cpp places it at the next token, libyaml right after
        // the key; leave such files to yaml-cpp so that positions stay identical.
        if (plain && text.empty()) return false;
        if (plain && is_null_spelling(text)) {
          out.kind = SpecNode::Kind::Null;
          return true;
        }
        out.kind = SpecNode::Kind::Scalar;
        out.text = std::string(text);
        out.quoted = !plain;
        return true;
      }
      case YAML_SEQUENCE_START_EVENT: {
        if (e.data.sequence_start.anchor || e.data.sequence_start.tag) return false;
        out.kind = SpecNode::Kind::Seq;
        for (;;) {
          Event item;
          if (!next(item)) return false;
          if (item.e.type == YAML_SEQUENCE_END_EVENT) {
            out.items.shrink_to_fit();  // a large spec's tree: no doubling slack
            return true;
          }
          out.items.emplace_back();
          if (!node(item, out.items.back(), depth + 1)) return false;
        }
      }
      case YAML_MAPPING_START_EVENT: {
        if (e.data.mapping_start.anchor || e.data.mapping_start.tag) return false;
        out.kind = SpecNode::Kind::Map;
        for (;;) {
          Event key;
          if (!next(key)) return false;
          if (key.e.type == YAML_MAPPING_END_EVENT) {
            out.entries.shrink_to_fit();
            return true;
          }
          if (key.e.type != YAML_SCALAR_EVENT || key.e.data.scalar.anchor ||
              key.e.data.scalar.tag)
            return false;
          std::string k(reinterpret_cast<const char*>(key.e.data.scalar.value),
                        key.e.data.scalar.length);
          if (key.e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
              (is_null_spelling(k) || k == "<<"))
            return false;  // null keys, YAML 1.1 merge keys: yaml-cpp's reader handles them
          out.entries.push_back({std::move(k), pos(key.e.start_mark), SpecNode{}});
          auto& entry = out.entries.back();
          Event value;
          if (!next(value) || !node(value, entry.value, depth + 1)) return false;
        }  // duplicate keys: checked over the finished tree (duplicate_keys)
      }
      default:
        return false;  // aliases, anything unexpected
    }
  }

  const FileName file_;  // interned once: every position copies a pointer
  yaml_parser_t p_{};
  bool ok_ = false;
};

bool duplicate_keys(const SpecNode& n) {
  if (n.is_map()) {
    std::set<std::string_view> seen;
    for (const auto& e : n.entries) {
      if (!seen.insert(e.key).second) return true;
      if (duplicate_keys(e.value)) return true;
    }
  } else if (n.is_seq()) {
    for (const auto& i : n.items)
      if (duplicate_keys(i)) return true;
  }
  return false;
}

}  // namespace

std::optional<SpecNode> read_yaml_fast(const std::string& file, std::string_view bytes) {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x7f || (u < 0x20 && c != '\n')) return std::nullopt;
  }
  Reader r(file, bytes);
  auto root = r.document();
  if (!root || duplicate_keys(*root)) return std::nullopt;
  return root;
}

std::optional<YamlSyntaxError> yaml_syntax_error(std::string_view bytes) {
  yaml_parser_t p{};
  if (yaml_parser_initialize(&p) != 1) return std::nullopt;
  yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(bytes.data()),
                               bytes.size());
  std::optional<YamlSyntaxError> out;
  // Every event, one at a time (memory stays bounded by the nesting depth), to the end.
  for (;;) {
    yaml_event_t ev{};
    if (yaml_parser_parse(&p, &ev) != 1) {
      YamlSyntaxError e;
      e.line = static_cast<int>(p.problem_mark.line) + 1;
      e.column = static_cast<int>(p.problem_mark.column) + 1;
      e.message = p.problem ? p.problem : "malformed YAML";
      if (p.context) {
        e.message += std::string(" (") + p.context;
        if (p.context_mark.line != p.problem_mark.line ||
            p.context_mark.column != p.problem_mark.column)
          e.message += " that starts at " + std::to_string(p.context_mark.line + 1) + ":" +
                       std::to_string(p.context_mark.column + 1);
        e.message += ")";
      }
      out = std::move(e);
      break;
    }
    const bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (end) break;
  }
  yaml_parser_delete(&p);
  return out;
}

}  // namespace mvt::spec
