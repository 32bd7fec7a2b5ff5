#pragma once
// A lossless editor of NetworkManager keyfiles (nm-settings-keyfile(5): GLib's GKeyFile
// syntax). parse() keeps every line as it is - comments, blank lines, unknown groups and keys,
// spacing around '=', CR LF endings, a last line without a newline - and write() returns the
// same bytes until an edit; an edit rewrites only the value text of the lines it changes (or
// adds or removes whole lines), so every other byte stays.
//
// The syntax, decided as GKeyFile (gkeyfile.c) decides it, so that the tool reads what
// NetworkManager reads:
//  - lines end at '\n'; a '\r' before it is part of the line end;
//  - leading whitespace is skipped; '#' or nothing left: a comment; '[name]' (spaces or tabs
//    may follow ']'): a group; text with '=': a key (trailing whitespace of the key dropped,
//    leading whitespace of the value dropped, trailing whitespace of the value KEPT);
//  - anything else, a key before the first group, an invalid group name (empty, '[', ']' or
//    a control character) or key name ('[' or ']' outside a locale suffix) makes GKeyFile
//    refuse the whole file - NetworkManager then ignores the profile: a fatal Problem;
//  - a group that appears twice is one group (GKeyFile merges them); a key that appears twice
//    in a group takes its last value (GKeyFile's hash table replaces): both are warnings,
//    and the editor edits the occurrence that counts (the last);
//  - values: \s \n \t \r \\ are escapes; in lists (';'-separated, usually with a trailing
//    ';') also \; - any other escape, or '\' at the end, makes GKeyFile refuse the value
//    (NetworkManager then treats the property as unreadable): get() gives nullopt and a
//    non-fatal Problem names its column;
//  - a NUL byte: GKeyFile would cut the line at it silently; the tool refuses to guess and
//    reports a fatal Problem; lines of any length are read (in linear time).
// Writing escapes as GKeyFile does: '\\', '\n', '\r' always, spaces and tabs only where they
// lead the value (or a list item), ';' inside list items.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mvt::keyfile {

struct Problem {
  int line = 0;
  int column = 0;
  std::string group;  // the key's group ("" for file-level problems)
  std::string key;    // "" unless the problem is one key's value
  std::string message;
  bool fatal = false;      // GKeyFile refuses the whole file
  bool bad_value = false;  // the key's value cannot be decoded (a bad escape)
};

// Decodes a value as g_key_file_get_string does (list=false) or one list's text as
// g_key_file_get_string_list does (list=true, items in `items`). nullopt on a bad escape, with
// the 0-based offset of the backslash in `bad_at`.
std::optional<std::string> unescape(std::string_view raw, std::size_t* bad_at = nullptr);
std::optional<std::vector<std::string>> unescape_list(std::string_view raw,
                                                      std::size_t* bad_at = nullptr);
// Encodes as g_key_file_set_string / g_key_file_set_string_list do (a list ends with ';').
std::string escape(std::string_view value);
std::string escape_list(const std::vector<std::string>& items);

class File {
 public:
  static File parse(std::string_view text);
  std::string write() const;

  const std::vector<Problem>& problems() const { return problems_; }
  bool loadable() const;  // no fatal problem: NetworkManager would load the file

  // Group names in order of first appearance (each once).
  std::vector<std::string> groups() const;
  bool has_group(std::string_view group) const;
  // Keys of a group (all its sections), each once, in order of first appearance.
  std::vector<std::string> keys(std::string_view group) const;
  bool has(std::string_view group, std::string_view key) const;
  // The value text as written (after the leading whitespace), of the occurrence that counts.
  std::optional<std::string> raw(std::string_view group, std::string_view key) const;
  // Decoded (nullopt: absent or undecodable).
  std::optional<std::string> get(std::string_view group, std::string_view key) const;
  std::optional<std::vector<std::string>> get_list(std::string_view group,
                                                   std::string_view key) const;
  // 1-based line of the key's counting occurrence (0: absent), of a group's first header.
  int line_of(std::string_view group, std::string_view key) const;
  int group_line(std::string_view group) const;
  // Column (1-based) where the key's value starts.
  int value_column(std::string_view group, std::string_view key) const;

  // Edits. set*() change the value text of the counting occurrence in place when its decoded
  // value differs (nothing otherwise), else add "key=value" after the group's last key line
  // (the group is added at the end of the file, after a blank line, when absent). remove()
  // drops every occurrence of the key. Each returns whether the bytes changed.
  bool set(std::string_view group, std::string_view key, std::string_view value);
  bool set_list(std::string_view group, std::string_view key,
                const std::vector<std::string>& items);
  bool set_raw(std::string_view group, std::string_view key, std::string_view raw_value);
  bool remove(std::string_view group, std::string_view key);

 private:
  enum class Kind { Blank, Comment, Group, Key, Bad };
  struct Line {
    std::string text;  // without the line end
    std::string eol;   // "\n", "\r\n" or "" (last line without one)
    Kind kind = Kind::Bad;
    std::string group;            // Group: its name; Key: the group it belongs to
    std::string key;              // Key
    std::size_t value_start = 0;  // Key: offset of the value in text
  };
  int find(std::string_view group, std::string_view key) const;  // index of counting line
  std::vector<Line> lines_;
  std::vector<Problem> problems_;
};

}  // namespace mvt::keyfile
