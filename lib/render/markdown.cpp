#include "render/markdown.hpp"

#include "plan/batches.hpp"
#include "render/text.hpp"
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

std::string details_of(const plan::Step& s, const std::string& symbol) {
  if (s.changes.empty()) return {};
  std::string body;
  for (const auto& c : s.changes) {
    if (c.before) body += "- " + c.field + " = " + show_value(c.before) + "\n";
    if (c.after) body += "+ " + c.field + " = " + show_value(c.after) + "\n";
  }
  std::string fence = "```";
  while (body.find(fence) != std::string::npos) fence += "`";
  return "<details><summary>" + s.id + " <code>" + html(symbol) + " " + html(s.target) +
         "</code> (" + std::to_string(s.changes.size()) +
         (s.changes.size() == 1 ? " field" : " fields") + ")</summary>\n\n" + fence +
         "diff\n" + body + fence + "\n\n</details>\n";
}

}  // namespace

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
  std::vector<std::string> rows;
  std::vector<std::string> details;
  for (const auto& h : v.hosts)
    for (const auto& sv : h.steps) {
      const plan::Step& s = *sv.step;
      std::string batch_cell;
      if (batched) batch_cell = (s.batch > 0 ? std::to_string(s.batch) : std::string("-")) + " | ";
      rows.push_back("| " + s.id + " | " + batch_cell + code(sv.symbol) + " | " + code(s.target) + " | " +
                     cell(s.host) + " | " + cell(sv.label) + " | " +
                     (s.disruptive ? "yes" : "") + " | " + cell(s.reason) + " |\n");
      details.push_back(details_of(s, sv.symbol));
    }
  std::string warnings;
  if (!v.warnings.empty()) {
    warnings = "\n**Warnings**\n\n";
    for (const auto& w : v.warnings) warnings += "- " + cell(w) + "\n";
  }
  const std::string table_head =
      batched ? "\n| Step | Batch | | Target | Host | What | Disruptive | Why |\n|---|---|---|---|---|---|---|---|\n"
              : "\n| Step | | Target | Host | What | Disruptive | Why |\n|---|---|---|---|---|---|---|\n";

  auto assemble = [&](std::size_t nrows, std::size_t ndetails, const std::string& note) {
    std::string s = head;
    if (!rows.empty()) {
      s += table_head;
      for (std::size_t i = 0; i < nrows; ++i) s += rows[i];
      std::string d;
      for (std::size_t i = 0; i < ndetails; ++i) d += details[i];
      if (!d.empty()) s += "\n### Details\n\n" + d;
    }
    s += warnings;
    if (!note.empty()) s += "\n> " + note + "\n";
    return s;
  };

  std::string full = assemble(rows.size(), details.size(), "");
  if (full.size() <= o.limit) return full;

  auto note_for = [&](std::size_t nrows, std::size_t ndetails) {
    std::string n = "Folded to stay under " + std::to_string(o.limit) + " characters: ";
    std::size_t omitted_details = 0;
    for (std::size_t i = ndetails; i < details.size(); ++i)
      if (!details[i].empty()) ++omitted_details;
    n += "details of " + std::to_string(omitted_details) + " step(s)";
    if (nrows < rows.size())
      n += " and " + std::to_string(rows.size() - nrows) + " table row(s)";
    n += " left out. Run `macvtapctl " + std::string(drift ? "drift" : "plan") +
         "` (or `--format json`) for everything.";
    return n;
  };
  // Largest prefix of details (then of rows) that fits, by running sums: linear, not
  // quadratic, for plans of thousands of steps. The note's length varies with its numbers;
  // a margin of 16 bytes covers that.
  const std::size_t margin = note_for(0, 0).size() + 16 + std::string("\n### Details\n\n").size();
  std::size_t fixed = head.size() + table_head.size() + warnings.size() + margin;
  for (const auto& r : rows) fixed += r.size();
  if (fixed <= o.limit) {
    std::size_t nd = 0, used = fixed;
    while (nd < details.size() && used + details[nd].size() <= o.limit) used += details[nd++].size();
    std::string s = assemble(rows.size(), nd, note_for(rows.size(), nd));
    if (s.size() <= o.limit) return s;
  }
  {
    std::size_t used = head.size() + table_head.size() + warnings.size() + margin, nr = 0;
    while (nr < rows.size() && used + rows[nr].size() <= o.limit) used += rows[nr++].size();
    std::string s = assemble(nr, 0, note_for(nr, 0));
    if (s.size() <= o.limit) return s;
  }
  // Even the head does not fit (absurd limit): cut it, keeping the note whole.
  std::string note = "\n> " + note_for(0, 0) + "\n";
  std::string s = head;
  if (note.size() < o.limit) {
    s = s.substr(0, o.limit - note.size()) + note;
  } else {
    s = s.substr(0, o.limit);
  }
  return s;
}

}  // namespace mvt::render
