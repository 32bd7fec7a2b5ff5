#pragma once
// Diagnostics: the project's one way to report bad input.
//
// Error policy (STYLE.md habit 4):
//  - bad input (spec, ifcfg, plan file) -> accumulated Diagnostics with a position; the
//    caller decides the exit code (1 when has_errors()).
//  - absence -> std::optional.
//  - environment failures -> typed exceptions (errors.hpp), caught by the executor (to roll
//    back) and by main (to pick the exit code).
// The library never prints and never exits.
#include <string>
#include <string_view>
#include <vector>

namespace mvt {

enum class Severity { Error, Warning };

// A file name as positions carry it: interned (one copy of each distinct name for the whole
// process, never freed), so that a position costs a pointer rather than a string - a spec of
// 10,000 guests has hundreds of thousands of positions. Reads as a const std::string&.
// Constructing one hashes the name under a lock: make it once per file, then copy it.
class FileName {
 public:
  FileName();
  FileName(std::string_view name);  // NOLINT(google-explicit-constructor): stands for a string
  FileName(const std::string& name) : FileName(std::string_view(name)) {}  // NOLINT
  FileName(const char* name) : FileName(std::string_view(name)) {}         // NOLINT
  operator const std::string&() const { return *s_; }                      // NOLINT
  const std::string& str() const { return *s_; }
  bool empty() const { return s_->empty(); }
  friend bool operator==(const FileName& a, const FileName& b) { return a.s_ == b.s_; }
  friend bool operator==(const FileName& a, const std::string& b) { return *a.s_ == b; }
  friend bool operator==(const FileName& a, const char* b) { return *a.s_ == b; }
  friend bool operator<(const FileName& a, const FileName& b) { return *a.s_ < *b.s_; }

 private:
  const std::string* s_;
};

// A position in an input file. line/column are 1-based; 0 means unknown.
struct SourcePos {
  FileName file;
  int line = 0;
  int column = 0;
  bool known() const { return line > 0; }
};

struct Diagnostic {
  Severity severity = Severity::Error;
  std::string rule;         // stable id, e.g. "yaml.duplicate-key", "guest.one-defroute"
  std::string message;      // one line, no trailing period
  SourcePos pos;
  std::string source_line;  // the offending line's text (for the caret), may be empty
};

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void error(const SourcePos& pos, std::string rule, std::string message,
             std::string source_line = {});
  void warning(const SourcePos& pos, std::string rule, std::string message,
               std::string source_line = {});
  void append(const Diagnostics& other);

  bool has_errors() const;
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  // Sorts by file, line, column, then rule: deterministic output.
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

// Line starts of one text, found once: a position's line and column, or a line's text, in
// O(log n) (a diagnostic never rescans the file: 100,000 of them in a 1 MB spec, issue 12).
// Keeps a view of the text: the text must outlive it.
class LineTable {
 public:
  explicit LineTable(std::string_view text);
  // 1-based line and column of a byte offset (clamped to the text's end).
  SourcePos pos(const FileName& file, std::size_t offset) const;
  // The 1-based line's text without its newline (and a CR before it); empty when out of range.
  std::string_view line(int line) const;

 private:
  std::string_view text_;
  std::vector<std::size_t> starts_;
};

// `text` with every byte that could drive a terminal escaped: ESC as \e, BEL \a, CR \r,
// LF \n, BS \b, other C0 bytes and DEL as \xNN, C1 controls (U+0080..U+009F) as \u00NN,
// bytes that are not valid UTF-8 as \xNN. Tab, printable ASCII and valid UTF-8 stay as
// they are (a backslash is not doubled: the escapes are for people, not for parsing back).
std::string terminal_safe(std::string_view text);

// "file:line:column: error: message", then the source line and a caret under the column
// (when both are known). No trailing newline after the caret line. File name, message and
// source line are passed through terminal_safe.
std::string format_diagnostic(const Diagnostic& d);

}  // namespace mvt
