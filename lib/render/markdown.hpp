#pragma once
// Markdown for pull-request comments (issue 16: review at scale). In order:
//   - a title and the summary line (hosts not observed, and --batch's batches, in the head);
//   - ONE summary table, a row per guest (and per host for its own steps): resources added,
//     changed, removed, whether a step is disruptive, how the guest is activated (restart?);
//   - warnings: the spec's (merged per finding, with the first position) and the plan's;
//   - a Mermaid flowchart of the changed part of the topology: host NIC -> mode -> guest
//     interface, added / changed / removed marked by a sign in the label and a class (one
//     node per interface up to kMermaidInterfaces, then one per NIC, mode and kind, with a
//     count); node ids are generated, names only ever appear escaped inside labels;
//   - details: per host, per guest a folded <details> block with its steps, each reason
//     said once for the steps it explains, and the field changes as a ```diff block.
// Size: GitHub refuses comments over 65,536 characters, and a CI wrapper adds its own text:
// when the whole would pass `limit` (--max-bytes; default kMarkdownMaxBytes), guests' details
// are dropped from the last backwards, then the diagram; the summary rows and warnings are
// never dropped. A note says what was left out (and, when the summary alone is over the
// limit, that it is).
#include <cstddef>
#include <string>

#include "render/plan_view.hpp"

namespace mvt::render {

inline constexpr std::size_t kMarkdownLimit = 65536;       // GitHub's comment limit
inline constexpr std::size_t kMarkdownMaxBytes = 60000;    // default: room for a wrapper
inline constexpr std::size_t kMermaidInterfaces = 100;     // one node each up to this many

struct MarkdownOptions {
  std::size_t limit = kMarkdownMaxBytes;  // bytes (>= characters: a safe bound)
};

std::string render_markdown(const PlanView& v, const MarkdownOptions& o = {});

// A label for a Mermaid node: every ASCII character other than letters, digits, space and
// ._/:+-=,()~ written as an entity code (#34; for '"', #96; for '`', ...), controls escaped
// first (terminal_safe): a hostile name can neither end the label, the node, the line nor
// the code fence. Exposed for tests.
std::string mermaid_label(const std::string& raw);

}  // namespace mvt::render
