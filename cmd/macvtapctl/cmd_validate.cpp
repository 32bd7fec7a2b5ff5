// `macvtapctl validate -f PATH... [--format text|json]`: load and check a topology spec.
// Read-only. Exit 0 when there is no error (warnings allowed), 1 otherwise.
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "plan_common.hpp"
#include "spec/loader.hpp"

namespace mvt::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> paths;
  std::string format = "text";
  bool color = false;
};

// Colours the severity word of a formatted diagnostic (first occurrence only).
std::string colorize(std::string text, Severity s) {
  const std::string word = s == Severity::Error ? "error:" : "warning:";
  const std::string on = s == Severity::Error ? "\033[1;31m" : "\033[1;33m";
  if (auto at = text.find(word); at != std::string::npos)
    text.replace(at, word.size(), on + word + "\033[0m");
  return text;
}

std::string plural(std::size_t n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

int run_validate(const ValidateOptions& o, const GlobalOptions& g) {
  auto r = spec::load(o.paths);
  // The trust guard, as plan applies it: URIs and roots plan would refuse are errors here too.
  check_guard(r.topology, guard_for(g), r.diagnostics);
  const auto& d = r.diagnostics;
  if (o.format == "json") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& x : d.items())
      items.push_back({{"file", x.pos.file},
                       {"line", x.pos.line},
                       {"column", x.pos.column},
                       {"severity", x.severity == Severity::Error ? "error" : "warning"},
                       {"rule", x.rule},
                       {"message", x.message}});
    nlohmann::json out = {{"format_version", 1},
                          {"valid", !d.has_errors()},
                          {"files", r.topology.files},
                          {"digest", r.digest},
                          {"diagnostics", items}};
    std::cout << out.dump(2) << "\n";
  } else {
    for (const auto& x : d.items()) {
      const std::string f = format_diagnostic(x);
      std::cout << (o.color ? colorize(f, x.severity) : f) << "\n";
    }
    std::cout << plural(d.error_count(), "error") << ", " << plural(d.warning_count(), "warning")
              << "\n";
  }
  return d.has_errors() ? 1 : 0;
}

}  // namespace

void add_validate(CLI::App& app, GlobalOptions& g, int* rc) {
  auto opts = std::make_shared<ValidateOptions>();
  auto* sub = app.add_subcommand(
      "validate", "check a topology spec: every problem reported at once (exit 1 on errors)");
  sub->add_option("-f,--file", opts->paths,
                  "spec file or directory (every *.yaml inside, lexical order); repeatable, "
                  "later files override earlier ones")
      ->required();
  sub->add_option("--format", opts->format, "output format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sub->callback([opts, rc, &g] {
    opts->color = g.color == "always" || (g.color == "auto" && ::isatty(STDOUT_FILENO) == 1);
    *rc = run_validate(*opts, g);
  });
}

}  // namespace mvt::cli
