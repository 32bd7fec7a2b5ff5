#include "render/text.hpp"

#include <nlohmann/json.hpp>

#include "plan/batches.hpp"
#include "util/diagnostics.hpp"

namespace mvt::render {
namespace {

constexpr const char* kReset = "\x1b[0m";

std::string colour_of(const std::string& symbol) {
  if (symbol == "+") return "\x1b[32m";
  if (symbol == "~") return "\x1b[33m";
  if (symbol == "-") return "\x1b[31m";
  if (symbol == "-/+") return "\x1b[35m";
  if (symbol == "!") return "\x1b[1;36m";
  return "";
}

class Out {
 public:
  explicit Out(bool color) : color_(color) {}
  std::string paint(const std::string& text, const std::string& code) const {
    if (!color_ || code.empty()) return text;
    return code + text + kReset;
  }
  std::string s;

 private:
  bool color_;
};

}  // namespace

std::string show_value(const std::optional<std::string>& v) {
  if (!v) return "(absent)";
  // JSON-quoted (C0 escaped); C1 controls and bytes that are not UTF-8 escaped as well, so a
  // value from a spec or a live file cannot drive a terminal.
  return terminal_safe(
      nlohmann::json(*v).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore));
}

bool colour_wanted(const std::string& option, bool is_terminal, const char* no_color_env) {
  if (option == "always") return true;
  if (option == "never") return false;
  if (no_color_env && *no_color_env) return false;
  return is_terminal;
}

std::string render_text(const PlanView& v, const TextOptions& o) {
  Out out(o.color);
  std::string& s = out.s;
  const bool drift = v.mode == Mode::Drift;
  // Hosts that could not be observed come first, one block each, so that nobody reads the
  // steps (or "no changes") below as covering them.
  for (const auto& f : v.failed)
    s += out.paint("host " + terminal_safe(f.host) + ": NOT OBSERVED", "\x1b[1;31m") + " (" +
         terminal_safe(f.uri) + "): " + terminal_safe(f.error) + "\n  " +
         (drift ? "not checked for drift" : "not planned") +
         ": nothing on this host was compared" + (drift ? "" : " and nothing will be changed") +
         "\n";
  if (!v.failed.empty()) s += "\n";
  if (v.summary.steps == 0) {
    s += out.paint(terminal_safe(summary_line(v)), v.failed.empty() ? "\x1b[1;32m" : "\x1b[1m") +
         "\n";
  } else {
    s += drift ? "Live state differs from the topology. To bring it back, macvtapctl would:\n"
               : "macvtapctl will perform the following steps, in order:\n";
    const auto batches = plan::batches_of(*v.plan);  // empty unless --batch N
    for (const auto& h : v.hosts) {
      s += "\n" + out.paint("host " + h.host, "\x1b[1m") + "\n";
      int batch = 0;
      for (const auto& sv : h.steps) {
        const plan::Step& st = *sv.step;
        if (st.batch != batch) {  // a header where each batch starts (--batch N)
          batch = st.batch;
          for (const auto& b : batches)
            if (b.host == st.host && b.number == batch)
              s += " " + out.paint("-- " + terminal_safe(plan::batch_title(b)) + " --", "\x1b[1;36m") + "\n";
          if (batch == 0) s += " " + out.paint("-- after the last batch --", "\x1b[1;36m") + "\n";
        }
        s += "  " + st.id + " " + out.paint(sv.symbol, colour_of(sv.symbol)) + " " +
             out.paint(terminal_safe(st.target), "\x1b[1m") + "  (" + terminal_safe(sv.label) + ")";
        if (st.disruptive) s += " " + out.paint("[disruptive]", "\x1b[1;31m");
        s += "\n";
        for (const auto& c : st.changes) {
          std::string sym, line;
          if (!c.before && c.after) {
            sym = "+";
            line = terminal_safe(c.field) + " = " + show_value(c.after);
          } else if (c.before && !c.after) {
            sym = "-";
            line = terminal_safe(c.field) + " = " + show_value(c.before);
          } else {
            sym = "~";
            line = terminal_safe(c.field) + ": " + show_value(c.before) + " -> " + show_value(c.after);
          }
          s += "        " + out.paint(sym, colour_of(sym)) + " " + line + "\n";
        }
        if (!st.depends_on.empty()) {
          s += "        after:";
          for (const auto& d : st.depends_on) s += " " + d;
          s += "\n";
        }
        s += "        why: " + terminal_safe(st.reason) + "\n";
      }
    }
  }
  if (!v.warnings.empty()) {
    s += "\n" + out.paint("Warnings:", "\x1b[1;33m") + "\n";
    for (const auto& w : plan_warning_lines(v.warnings, o.verbose))
      s += "  - " + terminal_safe(w) + "\n";
  }
  if (v.summary.steps != 0) s += "\n" + out.paint(terminal_safe(summary_line(v)), "\x1b[1m") + "\n";
  return s;
}

}  // namespace mvt::render
