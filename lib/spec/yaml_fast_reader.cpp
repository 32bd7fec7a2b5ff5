#include "spec/yaml_fast_reader.hpp"

#include <yaml.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <unordered_map>
#include <vector>

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
    if (depth > kMaxYamlDepth) return false;
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
          out.entries.push_back({std::move(k), pos(key.e.start_mark), SpecNode{},
                                 key.e.data.scalar.style != YAML_PLAIN_SCALAR_STYLE});
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
  auto at = [](const yaml_mark_t& m, std::string rule, std::string message) {
    YamlSyntaxError e;
    e.line = static_cast<int>(m.line) + 1;
    e.column = static_cast<int>(m.column) + 1;
    e.rule = std::move(rule);
    e.message = std::move(message);
    return e;
  };
  // Expanded node counts, saturated well below overflow: an alias adds its anchor's whole
  // expanded size (what the yaml-cpp reader will copy), any other node one.
  constexpr std::uint64_t kCap = std::uint64_t{1} << 60;
  auto add = [](std::uint64_t a, std::uint64_t b) { return a + b >= kCap ? kCap : a + b; };
  struct Frame {
    std::uint64_t expanded = 0;  // the collection itself and its expanded content
    std::string anchor;
  };
  std::vector<Frame> stack;                                // open collections
  std::unordered_map<std::string, std::uint64_t> anchors;  // anchor -> expanded size
  std::uint64_t written = 0;                               // nodes as written (aliases: 1)
  std::uint64_t total = 0;                                 // nodes once aliases are expanded
  struct AliasMark {
    std::uint64_t total_after;
    yaml_mark_t mark;
    std::string name;
  };
  std::vector<AliasMark> aliases;  // in order; total_after is non-decreasing
  // A finished node of `size` expanded nodes: counted in its parent (or the document).
  auto finish = [&](std::uint64_t size, const char* anchor) {
    if (anchor) anchors[anchor] = size;
    if (!stack.empty()) stack.back().expanded = add(stack.back().expanded, size);
  };
  // Every event, one at a time (memory stays bounded by the nesting depth), to the end.
  for (;;) {
    yaml_event_t ev{};
    if (yaml_parser_parse(&p, &ev) != 1) {
      YamlSyntaxError e = at(p.problem_mark, "yaml.syntax", p.problem ? p.problem : "malformed YAML");
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
    bool stop = false;
    switch (ev.type) {
      case YAML_SCALAR_EVENT:
        ++written;
        total = add(total, 1);
        finish(1, reinterpret_cast<const char*>(ev.data.scalar.anchor));
        break;
      case YAML_ALIAS_EVENT: {
        ++written;
        const std::string name(reinterpret_cast<const char*>(ev.data.alias.anchor));
        // yaml-cpp registers an anchor when its collection starts: an alias inside it makes
        // a cycle, which copying would unroll (to the depth limit, in every branch).
        if (std::any_of(stack.begin(), stack.end(), [&](const Frame& f) { return f.anchor == name; })) {
          out = at(ev.start_mark, "yaml.alias-cycle",
                   "alias *" + name + " is inside the collection anchored &" + name +
                       " (a cycle)");
          stop = true;
          break;
        }
        const auto it = anchors.find(name);
        const std::uint64_t size = it == anchors.end() ? 1 : it->second;  // unknown: yaml-cpp says so
        total = add(total, size);
        aliases.push_back({total, ev.start_mark, name});
        finish(size, nullptr);
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        // libyaml's scanner re-checks every open flow level on each token: a deeply nested
        // input costs time quadratic in its depth, and the readers recurse. Stop here.
        if (stack.size() >= static_cast<std::size_t>(kMaxYamlDepth)) {
          out = at(ev.start_mark, "yaml.depth",
                   "nesting deeper than " + std::to_string(kMaxYamlDepth) + " levels");
          stop = true;
          break;
        }
        ++written;
        total = add(total, 1);
        const auto* anchor = ev.type == YAML_SEQUENCE_START_EVENT
                                 ? ev.data.sequence_start.anchor
                                 : ev.data.mapping_start.anchor;
        stack.push_back({1, anchor ? reinterpret_cast<const char*>(anchor) : ""});
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        if (!stack.empty()) {
          Frame f = std::move(stack.back());
          stack.pop_back();
          finish(f.expanded, f.anchor.empty() ? nullptr : f.anchor.c_str());
        }
        break;
      default:
        break;
    }
    const bool end = ev.type == YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (stop || end) break;
  }
  yaml_parser_delete(&p);
  if (out) return out;
  const std::uint64_t budget = yaml_alias_budget(written);
  if (total > budget) {
    // The first alias after which the expanded document is over the budget.
    const auto it = std::upper_bound(
        aliases.begin(), aliases.end(), budget,
        [](std::uint64_t b, const AliasMark& a) { return b < a.total_after; });
    if (it != aliases.end())
      return at(it->mark, "yaml.alias-budget",
                "alias *" + it->name + " expands the document beyond " + std::to_string(budget) +
                    " nodes (YAML aliases are copied where they are used; the file writes " +
                    std::to_string(written) + " nodes, and at most max(" +
                    std::to_string(kMinAliasBudget) + ", " + std::to_string(kAliasFactor) +
                    " x that) are accepted)");
  }
  return std::nullopt;
}

std::uint64_t yaml_alias_budget(std::uint64_t written_nodes) {
  return std::max<std::uint64_t>(kMinAliasBudget, kAliasFactor * written_nodes);
}

}  // namespace mvt::spec
