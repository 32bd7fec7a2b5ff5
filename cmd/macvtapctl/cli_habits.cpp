#include "cli_habits.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "spec/suggest.hpp"

namespace mvt::cli {
namespace {

// Terraform's (and other tools') words for what macvtapctl spells differently.
const std::map<std::string, std::string>& habits() {
  static const std::map<std::string, std::string> m{
      {"auto-approve", "--yes"},     {"var-file", "-f/--file"},  {"json", "--format json"},
      {"no-color", "--color never"}, {"parallelism", "--parallel"}, {"target", "--host"},
      {"chdir", "-f DIR"}};
  return m;
}

bool is_word(const std::string& w) {
  if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0]))) return false;
  return std::all_of(w.begin(), w.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool takes_value(const CLI::Option* o) { return o && o->get_expected_max() > 0; }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string single_dash_long_option(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* sub = nullptr;
  auto find = [&](const std::string& name) -> const CLI::Option* {
    if (sub)
      if (const CLI::Option* o = sub->get_option_no_throw(name)) return o;
    return app.get_option_no_throw(name);
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;  // what follows is positional
    if (a.size() < 2 || a[0] != '-') {
      if (!sub)
        for (CLI::App* s : app.get_subcommands(std::function<bool(CLI::App*)>{}))
          if (s->get_name() == a) sub = s;
      continue;
    }
    if (a[1] == '-') {  // --name VALUE: skip the value (it may start with a dash)
      if (a.find('=') == std::string::npos && takes_value(find(a))) ++i;
      continue;
    }
    const std::string body = a.substr(1);
    const std::size_t eq = body.find('=');
    const std::string word = body.substr(0, eq);
    const CLI::Option* first = find(std::string("-") + body[0]);
    if (word.size() < 2 || !is_word(word)) {
      if (body.size() == 1 && takes_value(first)) ++i;  // -o VALUE
      continue;
    }
    // A cluster of one-letter flags (-vy) is what it looks like.
    if (eq == std::string::npos &&
        std::all_of(word.begin(), word.end(), [&](char c) {
          const CLI::Option* o = find(std::string("-") + c);
          return o && !takes_value(o);
        }))
      continue;
    // The options this command knows by long name, for "did you mean".
    std::vector<std::string> longs;
    for (const CLI::App* scope : {static_cast<const CLI::App*>(&app), static_cast<const CLI::App*>(sub)}) {
      if (!scope) continue;
      for (const CLI::Option* o : scope->get_options())
        for (const auto& l : o->get_lnames()) longs.push_back(l);
    }
    const std::string value = eq == std::string::npos ? "" : body.substr(eq);
    std::string hint;
    if (std::find(longs.begin(), longs.end(), word) != longs.end()) {
      hint = "--" + word + value;
    } else if (auto h = habits().find(lower(word)); h != habits().end()) {
      hint = h->second;
    } else if (auto c = spec::closest(word, longs); !c.empty()) {
      hint = "--" + c + value;
    } else if (takes_value(first)) {
      hint = std::string("-") + body[0] + " " + body.substr(1);
    }
    std::string msg = a + ": an option name of more than one letter takes two dashes";
    if (!hint.empty()) msg += " (did you mean " + hint + "?)";
    msg += "; single-dash options are one letter each (see --help); nothing was done";
    return msg;
  }
  return {};
}

std::string format_meant_by(const std::string& value) {
  const std::string v = lower(value);
  if (v == "json" || v == "text" || v == "markdown") return v;
  if (v == "md") return "markdown";
  return {};
}

CLI::Validator plan_file_not_a_format() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        const std::string f = format_meant_by(v);
        if (f.empty()) return {};
        return "'" + v + "' is an output format, not a plan file: did you mean --format " + f +
               "? (to save the plan in a file named " + v + ", write -o ./" + v + ")";
      },
      "PLANFILE");
}

}  // namespace mvt::cli
