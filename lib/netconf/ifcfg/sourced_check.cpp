#include "netconf/ifcfg/sourced_check.hpp"

#include <algorithm>
#include <set>

#include "netconf/ifcfg/ifcfg_file.hpp"

namespace mvt::ifcfg {
namespace {

constexpr int kMaxReported = 20;  // per file and kind: a hostile file may hold thousands

// Whether ifup-routes sources a route file: initscripts greps for a line that starts with
// ADDRESSn= (blanks allowed before it), else reads it line by line as ip-route arguments.
bool route_file_is_sourced(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t e = text.find('\n', i);
    if (e == std::string_view::npos) e = text.size();
    std::string_view l = text.substr(i, e - i);
    const auto b = l.find_first_not_of(" \t");
    if (b != std::string_view::npos && l.compare(b, 7, "ADDRESS") == 0) {
      std::size_t k = b + 7;
      while (k < l.size() && l[k] >= '0' && l[k] <= '9') ++k;
      if (k < l.size() && l[k] == '=') return true;
    }
    i = e + 1;
  }
  return false;
}

// The word at a problem's position, for messages ("readonly"), at most 40 bytes.
std::string word_at(const LineTable& lines, int line, int column) {
  const std::string_view l = lines.line(line);
  if (column < 1 || static_cast<std::size_t>(column) > l.size()) return {};
  std::string_view w = l.substr(static_cast<std::size_t>(column) - 1);
  w = w.substr(0, std::min(w.find_first_of(" \t;&|<>()"), std::size_t{40}));
  std::string out;
  for (char c : w) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  return out;
}

}  // namespace

bool sourced_check(const std::string& who, const FileState* have, bool route, Diagnostics& diags) {
  if (!have || !have->bytes) return true;
  const std::string& text = *have->bytes;
  if (route && !route_file_is_sourced(text)) return true;
  const auto shared = File::parse_shared(text);
  const File& before = *shared;
  const LineTable lines(text);
  int refused = 0;
  for (const auto& p : before.problems()) {
    if (!p.refuse) continue;
    if (++refused > kMaxReported) continue;
    const std::string word = word_at(lines, p.line, p.column);
    diags.error({have->origin, p.line, p.column}, "file.not-assignments",
                who + " line " + std::to_string(p.line) + ": " +
                    (word.empty() ? "" : "'" + word + "': ") + p.message +
                    "; sourcing this file does more than assign values, so macvtapctl refuses "
                    "to manage it (make every line KEY=value, a comment or blank)");
  }
  if (refused > kMaxReported)
    diags.error({have->origin, 0, 0}, "file.not-assignments",
                who + ": " + std::to_string(refused - kMaxReported) +
                    " more lines that are not plain assignments");
  return refused == 0;
}

void command_warnings(const std::string& who, const FileState* have, const std::string* after,
                      bool route, Diagnostics& diags) {
  if (!have || !have->bytes) return;
  const std::string& text = *have->bytes;
  if (route && !route_file_is_sourced(text)) return;
  const auto shared = File::parse_shared(text);
  const File& before = *shared;
  // Command substitutions the new content keeps (keys the spec does not manage).
  std::set<std::string> kept;
  {
    const File a = after ? File::parse(*after) : before;
    for (const auto& p : a.problems())
      if (p.command) kept.insert(p.key);
  }
  int warned = 0;
  for (const auto& p : before.problems()) {
    if (!p.command || !kept.count(p.key) || ++warned > kMaxReported) continue;
    diags.warning({have->origin, p.line, p.column}, "file.runs-command",
                  who + " line " + std::to_string(p.line) + ": the value of " + p.key +
                      " runs a command when network-scripts source the file; macvtapctl does "
                      "not manage " + p.key + " and leaves it as it is");
  }
}

}  // namespace mvt::ifcfg
