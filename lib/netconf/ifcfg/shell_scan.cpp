#include "netconf/ifcfg/shell_scan.hpp"

#include <algorithm>
#include <cstdint>

namespace mvt::ifcfg::detail {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}
bool is_operator(char c) {
  return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>';
}
bool ends_word(char c) {
  return is_blank(c) || c == '\n' || is_operator(c);
}
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

struct Ctx {
  std::string_view text;
  std::vector<RawProblem>& problems;
  const std::string& key;
  bool unsafe = false;
  bool unterminated = false;

  void problem(std::size_t at, std::string msg) { problems.push_back({at, key, std::move(msg)}); }
  void unsafe_at(std::size_t at, std::string msg) {
    unsafe = true;
    problem(at, std::move(msg));
  }
  // An expansion bash would evaluate: unsafe, and flagged as such.
  void expansion_at(std::size_t at, std::string msg) {
    unsafe_at(at, std::move(msg));
    problems.back().expansion = true;
  }
  // Problems that make sourcing do more than assign plain values (RawProblem::refuse).
  void refuse_at(std::size_t at, std::string msg) {
    unsafe_at(at, std::move(msg));
    problems.back().refuse = true;
  }
  char at(std::size_t i) const { return i < text.size() ? text[i] : '\0'; }
  bool has(std::size_t i) const { return i < text.size(); }
};

// Skips a backtick command substitution starting at pos (on the '`'); returns its end.
std::size_t skip_backticks(Ctx& c, std::size_t pos) {
  for (std::size_t i = pos + 1; i < c.text.size(); ++i) {
    if (c.text[i] == '\\') {
      ++i;
    } else if (c.text[i] == '`') {
      return i + 1;
    }
  }
  c.unterminated = true;
  return c.text.size();
}

// Skips a balanced (...) or {...} group starting at pos (on the opener), quote-aware enough
// to find the end of the expansion; the value is withheld anyway.
std::size_t skip_group(Ctx& c, std::size_t pos, char open, char close) {
  int depth = 0;
  for (std::size_t i = pos; i < c.text.size(); ++i) {
    char ch = c.text[i];
    if (ch == '\\') {
      ++i;
    } else if (ch == '\'') {
      auto q = c.text.find('\'', i + 1);
      if (q == std::string_view::npos) break;
      i = q;
    } else if (ch == '"') {
      std::size_t j = i + 1;
      while (j < c.text.size() && c.text[j] != '"') j += (c.text[j] == '\\') ? 2 : 1;
      if (j >= c.text.size()) break;
      i = j;
    } else if (ch == open) {
      ++depth;
    } else if (ch == close) {
      if (--depth == 0) return i + 1;
    }
  }
  c.unterminated = true;
  return c.text.size();
}

// An unsafe '$' expansion at pos: reports it and returns the offset after it.
std::size_t skip_dollar(Ctx& c, std::size_t pos) {
  char n = c.at(pos + 1);
  if (n == '(' && c.at(pos + 2) == '(') {
    c.expansion_at(pos, "arithmetic expansion $((...)) can assign variables when the file is sourced");
    c.problems.back().refuse = true;
    return skip_group(c, pos + 1, '(', ')');
  }
  if (n == '(') {
    c.expansion_at(pos, "command substitution $(...) runs a command when the file is sourced");
    c.problems.back().command = true;
    return skip_group(c, pos + 1, '(', ')');
  }
  if (n == '{') {
    c.expansion_at(pos, "parameter expansion ${...} is not evaluated");
    const std::size_t problem = c.problems.size() - 1;
    const std::size_t end = skip_group(c, pos + 1, '{', '}');
    // ${X=v}, ${X:=v}, an arithmetic subscript ${a[X=1]}: sourcing assigns a variable.
    if (c.text.substr(pos, end - pos).find('=') != std::string_view::npos) {
      c.problems[problem].message =
          "parameter expansion ${...=...} can assign a variable when the file is sourced";
      c.problems[problem].refuse = true;
    }
    return end;
  }
  if (n == '[') {
    c.expansion_at(pos, "arithmetic expansion $[...] can assign variables when the file is sourced");
    c.problems.back().refuse = true;
    return skip_group(c, pos + 1, '[', ']');
  }
  if (n == '"') {
    c.expansion_at(pos, "locale translation $\"...\" is not supported");
    return pos + 1;  // the "..." is scanned next (and discarded with the unsafe value)
  }
  c.expansion_at(pos, "parameter expansion $" + std::string(1, n) + "... is not evaluated");
  std::size_t i = pos + 1;
  if (is_name_start(n)) {
    while (is_name_char(c.at(i))) ++i;
  } else {
    ++i;
  }
  return i;
}

// $'...' at pos, through decode_ansi_c(), with its issues turned into problems.
std::size_t scan_ansi_c(Ctx& c, std::size_t pos, std::string& out) {
  auto r = decode_ansi_c(c.text, pos, out);
  for (auto at : r.locale_escapes)
    c.unsafe_at(at, "\\u/\\U escape above 0x7f: its value depends on the locale");
  if (r.unterminated) {
    c.unterminated = true;
    c.refuse_at(pos, "unterminated $'...' quote: bash stops reading the file here");
  }
  return r.end;
}

// "..." starting at pos (on the '"').
std::size_t scan_double(Ctx& c, std::size_t pos, std::string& out) {
  std::size_t i = pos + 1;
  while (true) {
    if (!c.has(i)) {
      c.unterminated = true;
      c.refuse_at(pos, "unterminated \"...\" quote: bash stops reading the file here");
      return i;
    }
    char ch = c.text[i];
    if (ch == '"') return i + 1;
    if (ch == '\\') {
      char n = c.at(i + 1);
      if (!c.has(i + 1)) {
        out += '\\';
        ++i;
      } else if (n == '\n') {
        i += 2;
      } else if (n == '$' || n == '`' || n == '"' || n == '\\') {
        out += n;
        i += 2;
      } else {
        out += '\\';
        ++i;
      }
    } else if (ch == '$') {
      char n = c.at(i + 1);
      if (n == '"' || is_blank(n) || n == '\n') {
        out += '$';
        ++i;
      } else {
        i = skip_dollar(c, i);
      }
    } else if (ch == '`') {
      c.expansion_at(i, "command substitution `...` runs a command when the file is sourced");
      c.problems.back().command = true;
      i = skip_backticks(c, i);
    } else {
      if (ch == '\0') c.unsafe_at(i, "NUL byte");
      out += ch;
      ++i;
    }
  }
}

// One word starting at pos. value_ctx: the word is an assignment value (tilde rules).
std::size_t scan_word(Ctx& c, std::size_t pos, std::string& out, bool value_ctx) {
  std::size_t i = pos;
  bool tilde_point = value_ctx;  // at value start or after an unquoted ':'
  while (c.has(i) && !ends_word(c.text[i])) {
    char ch = c.text[i];
    bool next_tilde_point = false;
    if (ch == '\\') {
      if (!c.has(i + 1)) {
        out += '\\';
        ++i;
      } else if (c.text[i + 1] == '\n') {
        i += 2;
        next_tilde_point = tilde_point;
      } else {
        if (c.text[i + 1] == '\0') c.unsafe_at(i + 1, "NUL byte");
        out += c.text[i + 1];
        i += 2;
      }
    } else if (ch == '\'') {
      auto q = c.text.find('\'', i + 1);
      if (q == std::string_view::npos) {
        c.unterminated = true;
        c.refuse_at(i, "unterminated '...' quote: bash stops reading the file here");
        i = c.text.size();
      } else {
        out.append(c.text.substr(i + 1, q - i - 1));
        i = q + 1;
      }
    } else if (ch == '"') {
      i = scan_double(c, i, out);
    } else if (ch == '`') {
      c.expansion_at(i, "command substitution `...` runs a command when the file is sourced");
      c.problems.back().command = true;
      i = skip_backticks(c, i);
    } else if (ch == '$') {
      char n = c.at(i + 1);
      if (n == '\'') {
        i = scan_ansi_c(c, i, out);
      } else if (!c.has(i + 1) || (ends_word(n) && n != '(')) {
        out += '$';
        ++i;
      } else {
        i = skip_dollar(c, i);
      }
    } else if (ch == '~' && tilde_point) {
      c.expansion_at(i, "tilde expansion ~ is not evaluated");
      out += ch;
      ++i;
    } else {
      if (ch == '\0') c.unsafe_at(i, "NUL byte");
      if (ch == ':' && value_ctx) next_tilde_point = true;
      out += ch;
      ++i;
    }
    tilde_point = next_tilde_point;
  }
  return i;
}

}  // namespace

bool is_identifier(std::string_view s) {
  if (s.empty() || !is_name_start(s[0])) return false;
  for (char ch : s)
    if (!is_name_char(ch)) return false;
  return true;
}

std::size_t scan_value(std::string_view text, std::size_t pos, std::string& out, bool& unsafe,
                       bool& unterminated, std::vector<RawProblem>& problems,
                       const std::string& key) {
  Ctx c{text, problems, key};
  std::size_t end = scan_word(c, pos, out, true);
  unsafe = c.unsafe;
  unterminated = c.unterminated;
  return end;
}

Scan scan(std::string_view text) {
  Scan result;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    Statement st;
    st.begin = i;
    bool assignments_allowed = true;
    bool reported_command = false;
    std::size_t first_problem = result.problems.size();
    while (i < n) {
      while (i < n && is_blank(text[i])) ++i;
      if (i >= n) break;
      char ch = text[i];
      if (ch == '\n') {
        ++i;
        break;
      }
      if (ch == '\\' && i + 1 < n && text[i + 1] == '\n') {
        i += 2;
        continue;
      }
      if (ch == '#') {
        while (i < n && text[i] != '\n') ++i;
        continue;
      }
      if (is_operator(ch)) {
        st.problem = true;
        result.problems.push_back(
            {i, {}, std::string("shell operator '") + ch + "': not a plain assignment"});
        result.problems.back().refuse = true;
        ++i;
        continue;
      }
      // A word: an assignment when it starts with NAME= and only assignments came before.
      std::size_t name_end = i;
      while (name_end < n && is_name_char(text[name_end])) ++name_end;
      bool named = name_end > i && is_name_start(text[i]);
      if (assignments_allowed && named && name_end < n &&
          (text[name_end] == '=' || text[name_end] == '[' ||
           (text[name_end] == '+' && name_end + 1 < n && text[name_end + 1] == '='))) {
        Assignment a;
        a.key = std::string(text.substr(i, name_end - i));
        a.key_begin = i;
        Ctx c{text, result.problems, a.key};
        std::string value;
        if (text[name_end] == '=') {
          a.value_begin = name_end + 1;
          a.value_end = scan_word(c, a.value_begin, value, true);
        } else {
          st.problem = true;
          c.problem(i, text[name_end] == '[' ? "array element assignment is not supported"
                                             : "append assignment += is not supported");
          result.problems.back().refuse = true;
          a.value_begin = name_end + (text[name_end] == '+' ? 2 : 0);
          std::string ignored;
          a.value_end = scan_word(c, a.value_begin, ignored, true);
          c.unsafe = true;
        }
        if (!c.unsafe) a.value = std::move(value);
        if (c.unterminated) st.unterminated = true;
        i = a.value_end;
        st.assigns.push_back(std::move(a));
        continue;
      }
      assignments_allowed = false;
      st.problem = true;
      std::string key;
      Ctx c{text, result.problems, key};
      if (!reported_command) {
        c.problem(i, "not an assignment: bash would run this as a command");
        result.problems.back().refuse = true;
        reported_command = true;
      }
      std::string ignored;
      i = scan_word(c, i, ignored, false);
      if (c.unterminated) st.unterminated = true;
    }
    st.end = i;
    if (st.unterminated &&
        std::none_of(result.problems.begin() + static_cast<std::ptrdiff_t>(first_problem),
                     result.problems.end(), [](const RawProblem& p) { return p.refuse; })) {
      RawProblem p{st.begin, {}, "unterminated expansion: bash stops reading the file here"};
      p.refuse = true;
      result.problems.insert(result.problems.begin() + static_cast<std::ptrdiff_t>(first_problem),
                             std::move(p));
    }
    if (st.problem) {
      for (auto& a : st.assigns) a.value.reset();
      // Attribute statement-level problems to the first key, for messages.
      if (!st.assigns.empty())
        for (std::size_t k = first_problem; k < result.problems.size(); ++k)
          if (result.problems[k].key.empty()) result.problems[k].key = st.assigns.front().key;
    }
    result.statements.push_back(std::move(st));
  }
  return result;
}

}  // namespace mvt::ifcfg::detail
