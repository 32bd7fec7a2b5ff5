#include "ifcfg/ifcfg_file.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "ifcfg/shell_scan.hpp"

namespace mvt::ifcfg {

struct File::LineRec {
  detail::Statement st;
};

File::File() = default;
File::~File() = default;
File::File(const File&) = default;
File& File::operator=(const File&) = default;
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;

namespace {

// 1-based line and column of byte offsets: a table of line starts, binary-searched (a file
// with many problems stays linear; fuzz_ifcfg ran at 25 inputs/s on a 40 KB file).
class LineIndex {
 public:
  explicit LineIndex(std::string_view text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n') starts_.push_back(i + 1);
  }
  std::pair<int, int> at(std::size_t offset) const {
    const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
    const auto line = static_cast<std::size_t>(it - starts_.begin());  // >= 1
    return {static_cast<int>(line), static_cast<int>(offset - starts_[line - 1]) + 1};
  }

 private:
  std::vector<std::size_t> starts_;
};

struct Occurrence {
  std::size_t stmt;
  std::size_t assign;
};

}  // namespace

File File::parse(std::string_view text) {
  File f;
  f.text_ = std::string(text);
  f.reparse();
  return f;
}

void File::reparse() {
  auto scan = detail::scan(text_);
  lines_.clear();
  lines_.reserve(scan.statements.size());
  for (auto& st : scan.statements) lines_.push_back(LineRec{std::move(st)});
  problems_.clear();
  const LineIndex index(text_);
  for (const auto& p : scan.problems) {
    auto [line, col] = index.at(p.offset);
    problems_.push_back(Problem{line, col, p.key, p.message, p.expansion});
  }
}

std::string File::write() const {
  return text_;
}

namespace {

template <class Lines>
std::vector<Occurrence> occurrences(const Lines& lines, std::string_view key) {
  std::vector<Occurrence> out;
  for (std::size_t s = 0; s < lines.size(); ++s)
    for (std::size_t a = 0; a < lines[s].st.assigns.size(); ++a)
      if (lines[s].st.assigns[a].key == key) out.push_back({s, a});
  return out;
}

}  // namespace

std::optional<std::string> File::get(std::string_view key) const {
  auto occ = occurrences(lines_, key);
  if (occ.empty()) return std::nullopt;
  return lines_[occ.back().stmt].st.assigns[occ.back().assign].value;
}

bool File::has(std::string_view key) const {
  return !occurrences(lines_, key).empty();
}

bool File::is_unsafe(std::string_view key) const {
  auto occ = occurrences(lines_, key);
  return !occ.empty() && !lines_[occ.back().stmt].st.assigns[occ.back().assign].value;
}

std::vector<std::string> File::unsafe_keys() const {
  // One pass: a key is unsafe when its last assignment has no value.
  std::unordered_map<std::string_view, bool> last_unsafe;
  for (const auto& l : lines_)
    for (const auto& a : l.st.assigns) last_unsafe[a.key] = !a.value;
  std::vector<std::string> out;
  for (const auto& k : keys())
    if (last_unsafe[k]) out.push_back(k);
  return out;
}

std::vector<Problem> File::problems() const {
  return problems_;
}

std::vector<std::string> File::keys() const {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  for (const auto& l : lines_)
    for (const auto& a : l.st.assigns)
      if (seen.insert(a.key).second) out.push_back(a.key);
  return out;
}

int File::line_of(std::string_view key) const {
  auto occ = occurrences(lines_, key);
  if (occ.empty()) return 0;
  const std::size_t off = lines_[occ.back().stmt].st.assigns[occ.back().assign].key_begin;
  return 1 + static_cast<int>(std::count(text_.begin(),
                                         text_.begin() + static_cast<std::ptrdiff_t>(
                                                             std::min(off, text_.size())),
                                         '\n'));
}

namespace {

// The byte range to erase to remove assignment `a` of statement `st`.
std::pair<std::size_t, std::size_t> erase_range(const detail::Statement& st, std::size_t a) {
  if (st.assigns.size() == 1) return {st.begin, st.end};
  const auto& as = st.assigns;
  if (a + 1 < as.size()) return {as[a].key_begin, as[a + 1].key_begin};
  return {as[a - 1].value_end, as[a].value_end};
}

}  // namespace

void File::set(std::string_view key, std::string_view value) {
  if (!detail::is_identifier(key))
    throw std::invalid_argument("ifcfg key is not a shell identifier: " + std::string(key));
  auto quoted = quote(value);
  if (!quoted) throw std::invalid_argument("ifcfg value of " + std::string(key) + " contains NUL");
  auto occ = occurrences(lines_, key);
  // Only plain statements are edited; problem statements are left as they are.
  std::vector<Occurrence> plain;
  for (const auto& o : occ)
    if (!lines_[o.stmt].st.problem) plain.push_back(o);
  bool last_is_plain = !occ.empty() && !lines_[occ.back().stmt].st.problem;

  if (last_is_plain && plain.size() == 1) {
    const auto& a = lines_[plain.back().stmt].st.assigns[plain.back().assign];
    if (a.value && *a.value == value) return;
  }

  // Edits are applied from the highest offset down, so earlier offsets stay valid.
  struct Edit {
    std::size_t begin, end;
    std::string with;
  };
  std::vector<Edit> edits;
  for (std::size_t k = 0; k < plain.size(); ++k) {
    const auto& st = lines_[plain[k].stmt].st;
    const auto& a = st.assigns[plain[k].assign];
    if (last_is_plain && k + 1 == plain.size()) {
      edits.push_back({a.value_begin, a.value_end, *quoted});
    } else {
      auto [b, e] = erase_range(st, plain[k].assign);
      edits.push_back({b, e, {}});
    }
  }
  std::sort(edits.begin(), edits.end(),
            [](const Edit& x, const Edit& y) { return x.begin > y.begin; });
  std::string text = text_;
  for (const auto& e : edits) text.replace(e.begin, e.end - e.begin, e.with);
  // A rewritten unterminated value ran to the end of the file: end the file properly.
  if (last_is_plain && lines_[plain.back().stmt].st.unterminated && !text.empty() &&
      text.back() != '\n')
    text += '\n';
  if (!last_is_plain) {
    if (!lines_.empty() && lines_.back().st.unterminated)
      throw std::logic_error("cannot append " + std::string(key) +
                             ": the file ends inside an unterminated quote");
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += std::string(key) + "=" + *quoted + "\n";
  }
  text_ = std::move(text);
  modified_ = true;
  reparse();
}

void File::unset(std::string_view key) {
  auto occ = occurrences(lines_, key);
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const auto& o : occ)
    if (!lines_[o.stmt].st.problem) ranges.push_back(erase_range(lines_[o.stmt].st, o.assign));
  if (ranges.empty()) return;
  std::sort(ranges.begin(), ranges.end(), [](auto& x, auto& y) { return x.first > y.first; });
  for (const auto& [b, e] : ranges) text_.erase(b, e - b);
  modified_ = true;
  reparse();
}

}  // namespace mvt::ifcfg
