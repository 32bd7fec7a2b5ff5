#pragma once
// Internal to lib/ifcfg: a scanner for the subset of bash that ifcfg and route files use.
//
// It splits a file into statements exactly where bash would (an unquoted newline ends a
// statement; quotes and backslash-newline continue it over several physical lines) and
// decodes assignment values as bash does, without ever evaluating anything:
//  - unquoted words: `\c` -> c, `\<newline>` removed;
//  - '...' literal (may span lines);
//  - "..." with \\ \" \$ \` and \<newline> escapes, other backslashes kept;
//  - $'...' ANSI-C quoting (\a \b \e \E \f \n \r \t \v \\ \' \" \? \nnn \xHH \uHHHH
//    \UHHHHHHHH \cX); a NUL ends that $'...' piece (bash truncates it there);
//  - adjacent pieces concatenated; an unquoted '#' at the start of a word begins a comment.
// Unsafe (reported, value withheld): $VAR, ${...}, $(...), `...`, $"...", an unquoted `~`
// that bash would tilde-expand, \u/\U escapes above 0x7f (their result depends on the
// locale), NUL bytes, unterminated quotes. A statement that is not made only of
// assignments (a command word, `;`, `|`, `&`, `(`, `)`, `<`, `>`, KEY+=, KEY[i]=) is a
// problem statement: its assignments are indexed as unsafe.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mvt::ifcfg::detail {

// An issue at a byte offset of the scanned text.
struct RawProblem {
  std::size_t offset = 0;
  std::string key;
  std::string message;
  bool expansion = false;  // a shell expansion bash would evaluate
  // Sourcing does more than assign plain values here (issue 12): a command or operator,
  // KEY+= or KEY[i]=, an unterminated quote (bash stops reading), an expansion that can
  // assign variables ($((...)), $[...], ${...=...}).
  bool refuse = false;
  bool command = false;  // $(...) or `...`: runs a command when the file is sourced
};

struct Assignment {
  std::string key;
  std::size_t key_begin = 0;         // offset of the key's first byte
  std::size_t value_begin = 0;       // offset just after '='
  std::size_t value_end = 0;         // end of the raw value word
  std::optional<std::string> value;  // decoded; nullopt when unsafe
};

struct Statement {
  std::size_t begin = 0;  // offset of the first byte
  std::size_t end = 0;    // one past the terminating '\n' (or the end of the text)
  std::vector<Assignment> assigns;
  bool problem = false;       // not a plain list of assignments (see above)
  bool unterminated = false;  // ends inside an open quote at the end of the text
};

struct Scan {
  std::vector<Statement> statements;  // cover the text without gaps, in order
  std::vector<RawProblem> problems;   // in offset order
};

Scan scan(std::string_view text);

// Decodes one value word that starts at `pos` (just after "KEY="). Returns the offset one
// past the word; `out` receives the decoded value, `unsafe` is set when the word holds an
// expansion or cannot be decoded; problems are appended with `key`.
std::size_t scan_value(std::string_view text, std::size_t pos, std::string& out, bool& unsafe,
                       bool& unterminated, std::vector<RawProblem>& problems,
                       const std::string& key);

bool is_identifier(std::string_view s);

// $'...' starting at pos (on the '$'): appends the decoded piece to out (a NUL ends the
// piece, as in bash). end: offset after the closing quote, or text.size() when unterminated.
// locale_escapes: offsets of \u/\U escapes above 0x7f, whose value depends on the locale
// (their characters are left out of out; the caller treats the value as unsafe).
struct AnsiC {
  std::size_t end = 0;
  bool unterminated = false;
  std::vector<std::size_t> locale_escapes;
};
AnsiC decode_ansi_c(std::string_view text, std::size_t pos, std::string& out);

}  // namespace mvt::ifcfg::detail
