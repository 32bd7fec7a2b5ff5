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

// The length of the valid UTF-8 sequence at s[i] (0: invalid), without overlongs/surrogates.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(i + k) & 0xc0) != 0x80) return 0;
  if (n == 3 && ((c == 0xe0 && b(i + 1) < 0xa0) || (c == 0xed && b(i + 1) >= 0xa0))) return 0;
  if (n == 4 && ((c == 0xf0 && b(i + 1) < 0x90) || (c == 0xf4 && b(i + 1) >= 0x90))) return 0;
  return n;
}

}  // namespace

std::string terminal_safe(std::string_view text) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\t' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t n = c >= 0x80 ? utf8_length(text, i) : 0;
    if (n == 2 && c == 0xc2 && static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      out += "\\u00";  // a C1 control (U+0080..U+009F): 8-bit CSI and friends
      out += hex[static_cast<unsigned char>(text[i + 1]) >> 4];
      out += hex[static_cast<unsigned char>(text[i + 1]) & 15];
      i += 2;
      continue;
    }
    if (n > 0) {
      out.append(text, i, n);
      i += n;
      continue;
    }
    switch (c) {
      case 0x1b: out += "\\e"; break;
      case '\a': out += "\\a"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\b': out += "\\b"; break;
      default:
        out += "\\x";
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    ++i;
  }
  return out;
}

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
  // Everything here may come from a spec or a live file: control characters are escaped so
  // that a diagnostic cannot drive the reader's terminal (terminal_safe).
  std::string out;
  if (!d.pos.file.empty()) {
    out += terminal_safe(d.pos.file.str());
    if (d.pos.line > 0) out += ":" + std::to_string(d.pos.line);
    if (d.pos.column > 0) out += ":" + std::to_string(d.pos.column);
    out += ": ";
  }
  out += d.severity == Severity::Error ? "error: " : "warning: ";
  out += terminal_safe(d.message);
  if (!d.rule.empty()) out += " [" + terminal_safe(d.rule) + "]";
  if (!d.source_line.empty() && d.pos.column > 0) {
    out += "\n  " + terminal_safe(d.source_line) + "\n  ";
    // Keep tabs so the caret lines up under tab-indented text; an escaped byte is as wide
    // as its escape.
    for (int i = 0; i + 1 < d.pos.column && i < static_cast<int>(d.source_line.size()); ++i) {
      const char c = d.source_line[static_cast<std::size_t>(i)];
      if (c == '\t') {
        out += '\t';
        continue;
      }
      const auto c8 = static_cast<unsigned char>(c);
      const std::size_t w = c8 < 0x20 || c8 == 0x7f ? terminal_safe(std::string(1, c)).size() : 1;
      out.append(w, ' ');
    }
    out += '^';
  }
  return out;
}

}  // namespace mvt
