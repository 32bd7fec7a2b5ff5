#include "render/markdown.hpp"

#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include "plan/batches.hpp"
#include "render/text.hpp"
#include "util/diagnostic_groups.hpp"
#include "util/diagnostics.hpp"

namespace mvt::render {
namespace {

// Values come from specs and live files; a PR's plan is posted as a PR comment: a value must
// not break out of its cell, open a link or inline HTML, nor carry terminal controls.
std::string cell(const std::string& raw) {
  const std::string text = terminal_safe(raw);
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n' || c == '\r')
      out += ' ';
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::string html(const std::string& raw) {
  const std::string text = terminal_safe(raw);  // no newline: it would end the HTML block
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// A code span in a table cell: no newline (it would end the row), '|' escaped (GFM splits
// cells even inside code spans), delimited by a backtick run longer than any inside.
std::string code(const std::string& raw) {
  std::string text;
  for (char c : terminal_safe(raw)) text += c == '|' ? std::string("\\|") : std::string(1, c);
  std::string fence = "`";
  while (text.find(fence) != std::string::npos) fence += '`';
  return fence.size() > 1 ? fence + " " + text + " " + fence : fence + text + fence;
}

// A fenced block whose fence is longer than any backtick run of the body.
std::string fenced(const std::string& info, const std::string& body) {
  std::string fence = "```";
  while (body.find(fence) != std::string::npos) fence += "`";
  return fence + info + "\n" + body + fence + "\n";
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string guest_title(const GuestGroup& g) {
  return g.guest.empty() ? std::string("the host's own steps") : "guest " + g.guest;
}

// "2 to add, 1 to change" (only the non-zero counts; "no resource" when none).
std::string counts(const GuestGroup& g) {
  std::string s;
  auto put = [&](int n, const char* what) {
    if (n) s += (s.empty() ? "" : ", ") + std::to_string(n) + " to " + what;
  };
  put(g.add, "add");
  put(g.change, "change");
  put(g.remove, "remove");
  return s.empty() ? "no resource" : s;
}

int batch_of(const HostView& h, const GuestGroup& g) {
  for (std::size_t k : g.steps)
    if (h.steps[k].step->batch > 0) return h.steps[k].step->batch;
  return 0;
}

// ---- the summary table -------------------------------------------------------------------

std::string summary_table(const PlanView& v, bool batched) {
  std::string s = batched ? "\n| Host | Guest | Batch | Add | Change | Remove | Disruptive | Restart | Steps |\n"
                            "|---|---|---|---:|---:|---:|---|---|---:|\n"
                          : "\n| Host | Guest | Add | Change | Remove | Disruptive | Restart | Steps |\n"
                            "|---|---|---:|---:|---:|---|---|---:|\n";
  for (const auto& h : v.hosts)
    for (const auto& g : h.groups) {
      std::string restart;
      if (g.restart())
        restart = "**yes** (" + g.activation + ")";
      else if (!g.activation.empty())
        restart = "no (" + g.activation + ")";
      s += "| " + cell(h.host) + " | " + (g.guest.empty() ? std::string("*(host)*") : cell(g.guest)) +
           " | ";
      if (batched) {
        const int b = batch_of(h, g);
        s += (b > 0 ? std::to_string(b) : std::string("-")) + " | ";
      }
      s += std::to_string(g.add) + " | " + std::to_string(g.change) + " | " +
           std::to_string(g.remove) + " | " + (g.disruptive ? "**yes**" : "no") + " | " + restart +
           " | " + std::to_string(g.steps.size()) + " |\n";
    }
  return s;
}

// ---- warnings ----------------------------------------------------------------------------

std::string warnings_section(const PlanView& v) {
  const auto spec = group_diagnostics(v.spec_warnings);
  const auto own = plan_warning_lines(v.warnings, false);
  if (spec.empty() && own.empty()) return {};
  std::string s = "\n### Warnings\n\n";
  for (const auto& g : spec) {
    const SourcePos& p = g.first.pos;
    std::string where;
    if (!p.file.empty())
      where = p.file.str() + (p.line > 0 ? ":" + std::to_string(p.line) : "") +
              (p.column > 0 ? ":" + std::to_string(p.column) : "");
    s += "- " + (where.empty() ? std::string() : code(where) + " ") + cell(g.first.message) + " (" +
         code(g.first.rule);
    if (g.count > 1) {
      s += ", " + std::to_string(g.count) + " times";
      if (g.guests > 0) s += " in " + plural(g.guests, "guest", "guests");
      s += ", the first here";
    }
    s += ")\n";
  }
  for (const auto& w : own) s += "- " + cell(w) + "\n";
  return s;
}

// ---- the Mermaid diagram -----------------------------------------------------------------

// One changed interface: where it is (host, NIC, mode) after the change - before it, for a
// removal - and what it was before when that differs.
struct IfaceChange {
  std::string host, guest, name;
  std::string dev, mode;          // after (removed: before)
  std::string was_dev, was_mode;  // before, when changed and different
  char kind = '~';                // '+', '~', '-'
};

// The value of attribute `name` of the first <source ...> element of an <interface> XML.
std::string source_attr(const std::string& xml, const std::string& name) {
  const std::size_t src = xml.find("<source");
  if (src == std::string::npos) return {};
  const std::size_t end = xml.find('>', src);
  const std::string_view el = std::string_view(xml).substr(src, end == std::string::npos ? std::string::npos : end - src);
  for (char q : {'\'', '"'}) {
    const std::string key = " " + name + "=" + q;
    const std::size_t at = el.find(key);
    if (at == std::string_view::npos) continue;
    const std::size_t b = at + key.size();
    const std::size_t e = el.find(q, b);
    if (e != std::string_view::npos) return std::string(el.substr(b, e - b));
  }
  return {};
}

// "source.dev=em2" in a "live interface X" value: "type=direct mac=... source.dev=em2 ...".
std::string live_attr(const std::optional<std::string>& value, const std::string& key) {
  if (!value) return {};
  const std::string k = key + "=";
  for (std::size_t b = 0; b < value->size();) {
    std::size_t e = value->find(' ', b);
    if (e == std::string::npos) e = value->size();
    if (value->compare(b, k.size(), k) == 0) return value->substr(b + k.size(), e - b - k.size());
    b = e + 1;
  }
  return {};
}

std::vector<IfaceChange> interface_changes(const PlanView& v) {
  struct Acc {
    IfaceChange c;
    std::set<plan::Action> actions;
    std::string before_dev, before_mode, after_dev, after_mode;
  };
  std::vector<Acc> acc;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> at;
  auto get = [&](const std::string& host, const std::string& guest, const std::string& name) -> Acc& {
    auto [it, fresh] = at.emplace(std::make_tuple(host, guest, name), acc.size());
    if (fresh) acc.push_back({{host, guest, name, {}, {}, {}, {}, '~'}, {}, {}, {}, {}, {}});
    return acc[it->second];
  };
  auto keep = [](std::string& into, const std::string& value) {
    if (into.empty()) into = value;
  };
  for (const auto& h : v.hosts)
    for (const auto& sv : h.steps) {
      const plan::Step& s = *sv.step;
      if (s.action == plan::Action::Activate) {
        static constexpr std::string_view kLive = "live interface ";
        for (const auto& c : s.changes) {
          if (c.field.rfind(kLive, 0) != 0) continue;
          Acc& a = get(h.host, s.op.guest, c.field.substr(kLive.size()));
          a.actions.insert(!c.before ? plan::Action::Create
                           : !c.after ? plan::Action::Delete
                                      : plan::Action::Update);
          keep(a.before_dev, live_attr(c.before, "source.dev"));
          keep(a.before_mode, live_attr(c.before, "source.mode"));
          keep(a.after_dev, live_attr(c.after, "source.dev"));
          keep(a.after_mode, live_attr(c.after, "source.mode"));
        }
        continue;
      }
      static constexpr std::string_view kIface = "/interface/";
      const std::size_t slash = s.target.find(kIface);
      if (s.op.guest.empty() || slash == std::string::npos ||
          (s.op.kind != plan::OpKind::DefineInterface && s.op.kind != plan::OpKind::LiveAttach &&
           s.op.kind != plan::OpKind::LiveDetach))
        continue;
      Acc& a = get(h.host, s.op.guest, s.target.substr(slash + kIface.size()));
      a.actions.insert(s.action);
      keep(a.before_dev, source_attr(s.op.old_interface_xml, "dev"));
      keep(a.before_mode, source_attr(s.op.old_interface_xml, "mode"));
      keep(a.after_dev, source_attr(s.op.interface_xml, "dev"));
      keep(a.after_mode, source_attr(s.op.interface_xml, "mode"));
      for (const auto& c : s.changes) {
        if (c.field == "source.dev") {
          if (c.before) keep(a.before_dev, *c.before);
          if (c.after) keep(a.after_dev, *c.after);
        } else if (c.field == "source.mode") {
          if (c.before) keep(a.before_mode, *c.before);
          if (c.after) keep(a.after_mode, *c.after);
        }
      }
    }
  std::vector<IfaceChange> out;
  for (auto& a : acc) {
    IfaceChange c = a.c;
    const bool add = a.actions == std::set<plan::Action>{plan::Action::Create};
    const bool del = a.actions == std::set<plan::Action>{plan::Action::Delete};
    c.kind = add ? '+' : del ? '-' : '~';
    c.dev = del ? a.before_dev : (a.after_dev.empty() ? a.before_dev : a.after_dev);
    c.mode = del ? a.before_mode : (a.after_mode.empty() ? a.before_mode : a.after_mode);
    if (!add && !del) {
      if (!a.before_dev.empty() && a.before_dev != c.dev) c.was_dev = a.before_dev;
      if (!a.before_mode.empty() && a.before_mode != c.mode) c.was_mode = a.before_mode;
    }
    if (c.dev.empty()) c.dev = "(not direct)";
    out.push_back(std::move(c));
  }
  return out;
}

const char* class_of(char kind) {
  return kind == '+' ? "added" : kind == '-' ? "removed" : "changed";
}

std::string mermaid(const PlanView& v) {
  const auto changes = interface_changes(v);
  if (changes.empty()) return {};
  const bool each = changes.size() <= kMermaidInterfaces;
  std::string body = "flowchart LR\n";
  // Ids are generated (h1, n1, m1, i1): a name never becomes syntax.
  std::map<std::string, std::string> host_id;
  std::map<std::pair<std::string, std::string>, std::string> nic_id;
  std::map<std::tuple<std::string, std::string, std::string>, std::string> mode_id;
  for (const auto& c : changes)
    if (!host_id.count(c.host)) host_id.emplace(c.host, "h" + std::to_string(host_id.size() + 1));
  for (const auto& c : changes)
    if (!nic_id.count({c.host, c.dev}))
      nic_id.emplace(std::make_pair(c.host, c.dev), "n" + std::to_string(nic_id.size() + 1));
  for (const auto& [host, hid] : host_id) {
    body += "  subgraph " + hid + "[\"" + mermaid_label("host " + host) + "\"]\n";
    for (const auto& [key, nid] : nic_id)
      if (key.first == host) body += "    " + nid + "[\"" + mermaid_label(key.second) + "\"]\n";
    body += "  end\n";
  }
  std::string edges;
  for (const auto& c : changes) {
    const auto key = std::make_tuple(c.host, c.dev, c.mode);
    if (mode_id.count(key)) continue;
    const std::string mid = "m" + std::to_string(mode_id.size() + 1);
    mode_id.emplace(key, mid);
    edges += "  " + nic_id.at({c.host, c.dev}) + " --> " + mid + "([\"" +
             mermaid_label(c.mode.empty() ? std::string("?") : c.mode) + "\"])\n";
  }
  std::map<std::string, std::vector<std::string>> by_class;
  if (each) {
    std::size_t n = 0;
    for (const auto& c : changes) {
      const std::string id = "i" + std::to_string(++n);
      std::string label = std::string(1, c.kind) + " " + c.guest + "/" + c.name;
      if (!c.was_dev.empty() || !c.was_mode.empty())
        label += " (was " + (c.was_dev.empty() ? c.dev : c.was_dev) + " " +
                 (c.was_mode.empty() ? c.mode : c.was_mode) + ")";
      edges += "  " + mode_id.at({c.host, c.dev, c.mode}) + " --> " + id + "[\"" +
               mermaid_label(label) + "\"]\n";
      by_class[class_of(c.kind)].push_back(id);
    }
  } else {
    // Too many for one node each (Mermaid's default limit is 500 edges, and nobody reads
    // 600 boxes): one node per host, NIC, mode and kind, with a count and the first names.
    struct Bunch {
      std::size_t n = 0;
      std::string first;
      std::string mode_node;
    };
    std::map<std::tuple<std::string, std::string, std::string, char>, Bunch> bunches;
    std::vector<std::tuple<std::string, std::string, std::string, char>> order;
    for (const auto& c : changes) {
      const auto key = std::make_tuple(c.host, c.dev, c.mode, c.kind);
      auto [it, fresh] = bunches.try_emplace(key);
      if (fresh) order.push_back(key);
      Bunch& b = it->second;
      if (++b.n <= 2) b.first += (b.first.empty() ? "" : ", ") + c.guest + "/" + c.name;
      b.mode_node = mode_id.at({c.host, c.dev, c.mode});
    }
    std::size_t n = 0;
    for (const auto& key : order) {
      const Bunch& b = bunches.at(key);
      const char kind = std::get<3>(key);
      const std::string id = "i" + std::to_string(++n);
      const std::string what = kind == '+' ? "added" : kind == '-' ? "removed" : "changed";
      edges += "  " + b.mode_node + " --> " + id + "[\"" +
               mermaid_label(std::string(1, kind) + " " + plural(b.n, "interface ", "interfaces ") +
                             what + ": " + b.first + (b.n > 2 ? ", ..." : "")) +
               "\"]\n";
      by_class[class_of(kind)].push_back(id);
    }
  }
  body += edges;
  for (const auto& [cls, ids] : by_class) {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ",") + id;
    body += "  class " + list + " " + cls + "\n";
  }
  body += "  classDef added fill:#dafbe1,stroke:#1a7f37,color:#000\n"
          "  classDef changed fill:#fff8c5,stroke:#9a6700,color:#000\n"
          "  classDef removed fill:#ffebe9,stroke:#cf222e,color:#000\n";
  std::string s = "\n### Topology changes\n\nHost NIC → macvtap mode → guest interface; `+` added, "
                  "`~` changed, `-` removed";
  if (!each) s += " (" + plural(changes.size(), "interface", "interfaces") + ", grouped)";
  s += ".\n\n" + fenced("mermaid", body);
  return s;
}

// ---- details -----------------------------------------------------------------------------

std::string details_of(const HostView& h, const GuestGroup& g, bool batched) {
  std::string s = "<details><summary>" + html(guest_title(g)) + ": " + html(counts(g)) + " (" +
                  plural(g.steps.size(), "step", "steps") + (g.disruptive ? ", disruptive" : "") +
                  ")</summary>\n\n";
  s += batched ? "| Step | Batch | | Target | What | Disruptive |\n|---|---|---|---|---|---|\n"
               : "| Step | | Target | What | Disruptive |\n|---|---|---|---|---|\n";
  // Each reason once, with the steps it explains, in the order of its first step.
  std::vector<std::pair<std::string, std::vector<std::string>>> reasons;
  std::map<std::string, std::size_t> reason_at;
  std::string diff;
  for (std::size_t k : g.steps) {
    const StepView& sv = h.steps[k];
    const plan::Step& st = *sv.step;
    s += "| " + st.id + " | ";
    if (batched) s += (st.batch > 0 ? std::to_string(st.batch) : std::string("-")) + " | ";
    s += code(sv.symbol) + " | " + code(st.target) + " | " + cell(sv.label) + " | " +
         (st.disruptive ? "yes" : "") + " |\n";
    auto [it, fresh] = reason_at.emplace(st.reason, reasons.size());
    if (fresh) reasons.push_back({st.reason, {}});
    reasons[it->second].second.push_back(st.id);
    if (st.changes.empty()) continue;
    diff += "@@ " + st.id + " " + terminal_safe(sv.symbol) + " " + terminal_safe(st.target) + " @@\n";
    for (const auto& c : st.changes) {
      const std::string field = terminal_safe(c.field);
      if (c.before) diff += "- " + field + " = " + show_value(c.before) + "\n";
      if (c.after) diff += "+ " + field + " = " + show_value(c.after) + "\n";
    }
  }
  s += "\n**Why**\n\n";
  for (const auto& [reason, ids] : reasons) {
    std::string list;
    for (const auto& id : ids) list += (list.empty() ? "" : ", ") + id;
    s += "- " + list + ": " + cell(reason) + "\n";
  }
  if (!diff.empty()) s += "\n" + fenced("diff", diff);
  s += "\n</details>\n";
  return s;
}

}  // namespace

std::string mermaid_label(const std::string& raw) {
  static constexpr std::string_view kPlain = " ._/:+-=,()~";
  std::string out;
  for (char c : terminal_safe(raw)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        kPlain.find(c) != std::string_view::npos)
      out += c;
    else
      out += "#" + std::to_string(u) + ";";
  }
  return out;
}

std::string render_markdown(const PlanView& v, const MarkdownOptions& o) {
  const bool drift = v.mode == Mode::Drift;
  std::string head = drift ? "## macvtapctl drift\n\n" : "## macvtapctl plan\n\n";
  head += "**" + cell(summary_line(v)) + "**\n";
  // Hosts that could not be observed: a caution block and a table, in the head (never folded
  // away), before the steps, so that a reviewer cannot take the plan for the whole fleet.
  if (!v.failed.empty()) {
    const std::size_t n = v.failed.size();
    head += "\n> [!CAUTION]\n> **" + std::to_string(n) + (n == 1 ? " host" : " hosts") +
            " could not be observed: " + (drift ? "not checked for drift" : "not planned") +
            ".** Nothing on " + (n == 1 ? "it" : "them") + " was compared.\n";
    head += "\n| Host | Status | URI | Error |\n|---|---|---|---|\n";
    for (const auto& f : v.failed)
      head += "| " + cell(f.host) + " | **NOT OBSERVED** | " + code(f.uri) + " | " +
              cell(f.error) + " |\n";
  }

  // --batch N: a Batch column, and a list of the batches in the head.
  const bool batched = v.plan->batch_size > 0;
  if (batched) {
    head += "\n**Batches** (at most " + std::to_string(v.plan->batch_size) +
            " guests restarted at a time; each batch is verified before the next starts)\n\n";
    const auto batches = plan::batches_of(*v.plan);
    if (batches.empty()) head += "- none: no guest is restarted\n";
    for (const auto& b : batches)
      head += "- " + cell(b.host) + ": " + cell(plan::batch_title(b)) + " (" +
              b.step_ids.front() + "-" + b.step_ids.back() + ")\n";
  }

  const std::string summary = v.summary.steps == 0 ? std::string() : summary_table(v, batched);
  const std::string warnings = warnings_section(v);
  const std::string diagram = mermaid(v);
  std::vector<std::string> details;  // per guest, in table order
  std::vector<std::size_t> host_of;  // details[k]'s host index (for the host headings)
  std::vector<std::string> heading;  // per host
  for (const auto& h : v.hosts) heading.push_back("\n#### host " + cell(h.host) + "\n\n");
  for (std::size_t hi = 0; hi < v.hosts.size(); ++hi)
    for (const auto& g : v.hosts[hi].groups) {
      details.push_back(details_of(v.hosts[hi], g, batched));
      host_of.push_back(hi);
    }

  auto assemble = [&](std::size_t ndetails, bool with_diagram, const std::string& note) {
    std::string s = head + summary + warnings;
    if (with_diagram) s += diagram;
    if (ndetails > 0) s += "\n### Details\n";
    for (std::size_t k = 0; k < ndetails; ++k) {
      if (k == 0 || host_of[k] != host_of[k - 1]) s += heading[host_of[k]];
      s += details[k];
    }
    if (!note.empty()) s += "\n> [!NOTE]\n> " + note + "\n";
    return s;
  };
  std::string full = assemble(details.size(), true, "");
  if (full.size() <= o.limit) return full;

  const std::string everything = "Run `macvtapctl " + std::string(drift ? "drift" : "plan") +
                                 "` (or `--format json`) for everything.";
  auto note_for = [&](std::size_t ndetails, bool with_diagram) {
    std::string n = "Shortened to stay under " + std::to_string(o.limit) +
                    " characters (`--max-bytes`): ";
    std::string what;
    if (ndetails < details.size())
      what = "the details of " + std::to_string(details.size() - ndetails) + " of " +
             plural(details.size(), "summary row", "summary rows") + " (the last ones)";
    if (!with_diagram && !diagram.empty())
      what += (what.empty() ? "" : " and ") + std::string("the topology diagram");
    return n + what + " left out; every summary row is here. " + everything;
  };
  // The note's length varies with its numbers: a margin.
  const std::size_t margin = note_for(0, false).size() + 32;
  const std::size_t fixed = head.size() + summary.size() + warnings.size() + margin;
  auto fill = [&](bool with_diagram) -> std::optional<std::string> {
    std::size_t used = fixed + (with_diagram ? diagram.size() : 0) + std::string("\n### Details\n").size();
    if (used > o.limit) return std::nullopt;
    std::size_t nd = 0;
    while (nd < details.size()) {
      std::size_t add = details[nd].size();
      if (nd == 0 || host_of[nd] != host_of[nd - 1]) add += heading[host_of[nd]].size();
      if (used + add > o.limit) break;
      used += add;
      ++nd;
    }
    std::string s = assemble(nd, with_diagram, note_for(nd, with_diagram));
    if (s.size() > o.limit) return std::nullopt;
    return s;
  };
  if (auto s = fill(true)) return *s;
  if (auto s = fill(false)) return *s;
  // The summary and warnings alone pass the limit: they are never cut (a reviewer must see
  // every guest); the note says so.
  return assemble(0, false,
                  "The summary alone is over " + std::to_string(o.limit) +
                      " characters (`--max-bytes`): the details" +
                      (diagram.empty() ? std::string() : " and the topology diagram") +
                      " are left out, every summary row is here; split the plan with `--host`. " +
                      everything);
}

}  // namespace mvt::render
