#include "netconf/ifcfg/ifcfg_file.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "netconf/ifcfg/shell_scan.hpp"

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

// 1-based line and column of a byte offset, from a table of line starts (binary search: a
// file with many problems stays linear; fuzz_ifcfg ran at 25 inputs/s on a 40 KB file).
std::pair<int, int> line_col(const std::vector<std::size_t>& starts, std::size_t offset) {
  const auto it = std::upper_bound(starts.begin(), starts.end(), offset);
  const auto line = static_cast<std::size_t>(it - starts.begin());  // >= 1
  return {static_cast<int>(line), static_cast<int>(offset - starts[line - 1]) + 1};
}

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

std::shared_ptr<const File> File::parse_shared(std::string_view text) {
  // A small ring per thread: a guest's files are read and then edited on one thread.
  constexpr std::size_t kKept = 8;
  thread_local std::array<std::shared_ptr<const File>, kKept> kept;
  thread_local std::size_t next = 0;
  for (const auto& f : kept)
    if (f && f->text_ == text) return f;
  auto f = std::make_shared<const File>(parse(text));
  kept[next] = f;
  next = (next + 1) % kKept;
  return f;
}

void File::reparse() {
  auto scan = detail::scan(text_);
  lines_.clear();
  lines_.reserve(scan.statements.size());
  for (auto& st : scan.statements) lines_.push_back(LineRec{std::move(st)});
  problems_.clear();
  line_starts_.assign(1, 0);
  for (std::size_t i = text_.find('\n'); i != std::string::npos; i = text_.find('\n', i + 1))
    line_starts_.push_back(i + 1);
  for (const auto& p : scan.problems) {
    auto [line, col] = line_col(line_starts_, p.offset);
    problems_.push_back(Problem{line, col, p.key, p.message, p.expansion, p.refuse, p.command});
  }
  last_.clear();
  for (std::size_t s = 0; s < lines_.size(); ++s)
    for (std::size_t a = 0; a < lines_[s].st.assigns.size(); ++a)
      last_.insert_or_assign(lines_[s].st.assigns[a].key, std::pair{s, a});
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
  const auto it = last_.find(std::string(key));
  if (it == last_.end()) return std::nullopt;
  return lines_[it->second.first].st.assigns[it->second.second].value;
}

bool File::has(std::string_view key) const {
  return last_.count(std::string(key)) > 0;
}

bool File::is_unsafe(std::string_view key) const {
  const auto it = last_.find(std::string(key));
  return it != last_.end() && !lines_[it->second.first].st.assigns[it->second.second].value;
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
  const auto it = last_.find(std::string(key));
  if (it == last_.end()) return 0;
  const std::size_t off = lines_[it->second.first].st.assigns[it->second.second].key_begin;
  return line_col(line_starts_, std::min(off, text_.size())).first;
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
  unset(std::vector<std::string>{std::string(key)});
}

void File::unset(const std::vector<std::string>& keys) {
  const std::unordered_set<std::string_view> gone(keys.begin(), keys.end());
  // Ranges per statement, in offset order; a statement whose every assignment goes is
  // erased whole (what erasing its assignments one by one would leave).
  std::vector<std::pair<std::size_t, std::size_t>> ranges;
  for (const auto& l : lines_) {
    const auto& st = l.st;
    if (st.problem) continue;
    std::vector<std::size_t> hit;
    for (std::size_t a = 0; a < st.assigns.size(); ++a)
      if (gone.count(st.assigns[a].key)) hit.push_back(a);
    if (hit.empty()) continue;
    if (hit.size() == st.assigns.size()) {
      ranges.emplace_back(st.begin, st.end);
      continue;
    }
    // A run of removed assignments that ends the statement goes with the blanks before it;
    // any other removed one with the blanks after it.
    std::size_t tail = st.assigns.size();
    while (tail > 0 && gone.count(st.assigns[tail - 1].key)) --tail;
    for (auto a : hit)
      if (a < tail) ranges.emplace_back(st.assigns[a].key_begin, st.assigns[a + 1].key_begin);
    if (tail < st.assigns.size())
      ranges.emplace_back(st.assigns[tail - 1].value_end, st.assigns.back().value_end);
  }
  if (ranges.empty()) return;
  // Rebuild the text once, skipping the erased ranges (they do not overlap).
  std::sort(ranges.begin(), ranges.end());
  std::string text;
  text.reserve(text_.size());
  std::size_t at = 0;
  for (const auto& [b, e] : ranges) {
    if (b > at) text.append(text_, at, b - at);
    at = std::max(at, e);
  }
  if (at < text_.size()) text.append(text_, at, std::string::npos);
  text_ = std::move(text);
  modified_ = true;
  reparse();
}

}  // namespace mvt::ifcfg
