#include "util/diagnostics.hpp"

#include <algorithm>
#include <mutex>
#include <tuple>
#include <unordered_set>

namespace mvt {
namespace {

// The interned names: a node-based set, so every element stays where it is.
struct Interned {
  std::mutex mu;
  std::unordered_set<std::string> names;
};

Interned& interned() {
  static auto* t = new Interned;  // never destroyed: positions may outlive static destruction
  return *t;
}

}  // namespace

FileName::FileName() {
  static const std::string* const none = FileName(std::string_view()).s_;
  s_ = none;
}

FileName::FileName(std::string_view name) {
  Interned& t = interned();
  std::lock_guard<std::mutex> lock(t.mu);
  s_ = &*t.names.emplace(name).first;
}

void Diagnostics::error(const SourcePos& pos, std::string rule, std::string message,
                        std::string source_line) {
  items_.push_back({Severity::Error, std::move(rule), std::move(message), pos,
                    std::move(source_line)});
}

void Diagnostics::warning(const SourcePos& pos, std::string rule, std::string message,
                          std::string source_line) {
  items_.push_back({Severity::Warning, std::move(rule), std::move(message), pos,
                    std::move(source_line)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const { return error_count() > 0; }

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t Diagnostics::warning_count() const { return items_.size() - error_count(); }

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column, a.rule) <
           std::tie(b.pos.file, b.pos.line, b.pos.column, b.rule);
  });
}

LineTable::LineTable(std::string_view text) : text_(text) {
  starts_.push_back(0);
  for (std::size_t i = text.find('\n'); i != std::string_view::npos; i = text.find('\n', i + 1))
    starts_.push_back(i + 1);
}

SourcePos LineTable::pos(const FileName& file, std::size_t offset) const {
  offset = std::min(offset, text_.size());
  const auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  const auto line = static_cast<std::size_t>(it - starts_.begin());  // >= 1
  return {file, static_cast<int>(line), static_cast<int>(offset - starts_[line - 1]) + 1};
}

std::string_view LineTable::line(int line) const {
  if (line <= 0 || static_cast<std::size_t>(line) > starts_.size()) return {};
  const std::size_t b = starts_[static_cast<std::size_t>(line) - 1];
  if (b > text_.size()) return {};
  std::size_t e = static_cast<std::size_t>(line) < starts_.size()
                      ? starts_[static_cast<std::size_t>(line)] - 1
                      : text_.size();
  if (e > b && text_[e - 1] == '\r') --e;
  return text_.substr(b, e - b);
}

std::string format_diagnostic(const Diagnostic& d) {
  std::string out;
  if (!d.pos.file.empty()) {
    out += d.pos.file.str();
    if (d.pos.line > 0) out += ":" + std::to_string(d.pos.line);
    if (d.pos.column > 0) out += ":" + std::to_string(d.pos.column);
    out += ": ";
  }
  out += d.severity == Severity::Error ? "error: " : "warning: ";
  out += d.message;
  if (!d.rule.empty()) out += " [" + d.rule + "]";
  if (!d.source_line.empty() && d.pos.column > 0) {
    out += "\n  " + d.source_line + "\n  ";
    // Keep tabs so the caret lines up under tab-indented text.
    for (int i = 0; i + 1 < d.pos.column && i < static_cast<int>(d.source_line.size()); ++i)
      out += d.source_line[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
    out += '^';
  }
  return out;
}

}  // namespace mvt
