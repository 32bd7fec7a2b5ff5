#pragma once
// Lossless ifcfg (shell-variable) files, modelled on NetworkManager's shvar.c but following
// bash itself wherever the two differ:
//  - the text is kept verbatim; write() of an unedited file returns the input byte for byte
//    (a missing final newline, CRLF, comments, blank and unparsable lines, odd bytes);
//  - the file is split into statements where bash splits it: a quoted value may span
//    several physical lines (shvar.c reads line by line; bash does not);
//  - a key index where the last assignment of a key wins (as when bash sources the file);
//  - values are decoded exactly as bash decodes them (see shell_scan.hpp for the rules):
//    unquoted words with backslash escapes, '...' literal, "..." with \\ \" \$ \` and
//    \<newline> escapes, $'...' ANSI-C quoting, adjacent pieces concatenated; an unquoted
//    '#' at the start of a word starts a comment; a CR before LF is part of the value;
//  - a value containing an expansion ($VAR, ${...}, $(...), `...`, $"...", tilde) or whose
//    meaning depends on the locale is *unsafe*: reported (unsafe_keys(), problems() with
//    line/column), never evaluated, get() returns nullopt for it;
//  - a statement that is not a plain list of KEY=value words (a command such as
//    `FOO-BAR=x` or `A=1 cmd`, operators `; | & ( ) < >`, `KEY+=`, `KEY[i]=`) is a
//    problem statement: reported, kept verbatim, its keys indexed as unsafe and never edited.
//    An unterminated quote is reported too; its key is unsafe, and set() may rewrite it
//    (the bad value ran to the end of the file, so the fixed file ends there). Callers must not
//    source or trust a file whose problems() is not empty; bash would run or reject those
//    statements.
//  - edits (set/unset) splice only the affected bytes; new keys are appended; new values
//    are quoted so that `bash -c '. FILE'` yields exactly the value (quote()).
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/net_types.hpp"

namespace mvt::ifcfg {

// A problem found while parsing (unsafe expansion, unterminated quote, not an assignment).
struct Problem {
  int line = 0;     // 1-based
  int column = 0;   // 1-based
  std::string key;  // may be empty
  std::string message;
  // True for a shell expansion bash would evaluate ($VAR, ${...}, $(...), `...`, $"...",
  // tilde): the "refuse this file" kind. Other problems are structural (commands, operators,
  // unterminated quotes, NUL, locale-dependent escapes).
  bool expansion = false;
  // Sourcing the statement does more than assign plain values (issue 12): a command
  // (`readonly`, `export`, `unset`, `.`, a function definition...), an operator, KEY+=,
  // KEY[i]=, an unterminated quote, an expansion that can assign ($((...)), ${X:=v}).
  // A file with such a problem is never managed (sourced_check.hpp).
  bool refuse = false;
  // A command substitution ($(...), `...`): sourcing the file runs a command.
  bool command = false;
};

class File {
 public:
  static File parse(std::string_view text);
  // parse() shared: the last few texts parsed so on this thread are kept (whole text
  // compared), so that the readers of one device in a plan (read, the sourcing check, the
  // edit, its warnings) parse its file once rather than four times.
  static std::shared_ptr<const File> parse_shared(std::string_view text);
  std::string write() const;

  // Decoded value of the last assignment of key; nullopt when absent or unsafe.
  // has(): assigned at all (also unsafely). is_unsafe(): the last assignment is unsafe.
  std::optional<std::string> get(std::string_view key) const;
  bool has(std::string_view key) const;
  bool is_unsafe(std::string_view key) const;
  std::vector<std::string> unsafe_keys() const;
  std::vector<Problem> problems() const;
  // Keys in first-appearance order (each once).
  std::vector<std::string> keys() const;
  // 1-based line of the last assignment of key, 0 if absent.
  int line_of(std::string_view key) const;

  // Sets key: rewrites the last assignment in place (keeping a trailing comment on that
  // line) and removes earlier duplicates; appends "KEY=value\n" when absent (adding a
  // missing final newline first). Assignments inside problem statements are left alone; when
  // the last one is there, the new assignment is appended so it wins. No-op (and not marked
  // modified) when the only assignment already decodes to value.
  // Throws std::invalid_argument for a key that is not a shell identifier or a value with
  // NUL; std::logic_error when it must append but the file ends inside an unterminated quote.
  void set(std::string_view key, std::string_view value);
  // Removes every assignment of key (the whole line when it is the line's only assignment),
  // except inside problem statements.
  void unset(std::string_view key);
  // unset() of each key, in one pass over the file (linear however many keys go).
  void unset(const std::vector<std::string>& keys);
  bool modified() const { return modified_; }

  // Semantic getters.
  // yes/no, true/false, y/n, t/f, on/off, 1/0 in any case (initscripts' is_true/is_false
  // and NetworkManager's svParseBoolean); nullopt when absent, unsafe or anything else.
  std::optional<bool> get_bool(std::string_view key) const;
  // BOOTPROTO: "static" for none/static/no/"", "dhcp" for dhcp/bootp, any other value
  // lower-cased as is ("autoip", "shared", "ibft"); nullopt when absent or unsafe.
  std::optional<std::string> bootproto() const;
  // IPADDR with PREFIX or NETMASK, else IPADDR0 with PREFIX0 or NETMASK0; PREFIX wins over
  // NETMASK. Without either, the classful default prefix (/8, /16, /24), as NetworkManager.
  // nullopt when absent, unsafe or malformed.
  std::optional<Cidr> ipv4_address() const;
  // GATEWAY, else GATEWAY0 (the per-address GATEWAYn of IPADDRn, n >= 1, are distinct facts).
  std::optional<Ipv4> gateway() const;
  // DNS1, DNS2, ... in order (either family), stopping at the first gap; unparsable
  // entries are skipped.
  std::vector<IpAddress> dns() const;

  // The file's statements (one or more physical lines each), defined in the .cpp.
  struct LineRec;
  File();
  ~File();
  File(const File&);
  File& operator=(const File&);
  File(File&&) noexcept;
  File& operator=(File&&) noexcept;

 private:
  void reparse();  // rebuilds lines_ and problems_ from text_

  std::string text_;            // the file, verbatim; edits splice it and reparse
  std::vector<LineRec> lines_;  // statements covering text_ in order
  // Built by reparse(), so that lookups stay O(1) and positions O(log n) on a file of any
  // size (issue 12: a guest's 200,000-line ifcfg made every key lookup a scan).
  std::unordered_map<std::string, std::pair<std::size_t, std::size_t>> last_;  // key -> stmt, assign
  std::vector<std::size_t> line_starts_;
  bool modified_ = false;
  std::vector<Problem> problems_;
};

// bash-safe spelling of value: bare when every character is one of A-Z a-z 0-9 _ . , : / @ % + = -
// (the empty value too), else
// single-quoted (with '\'' for quotes). Rejects NUL (returns nullopt): it cannot be stored.
std::optional<std::string> quote(std::string_view value);
// Parses a raw right-hand side as bash would. nullopt when unsafe or malformed.
std::optional<std::string> decode(std::string_view raw, bool* unsafe = nullptr);

}  // namespace mvt::ifcfg
