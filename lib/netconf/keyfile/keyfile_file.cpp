#include "netconf/keyfile/keyfile_file.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace mvt::keyfile {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool cntrl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// The escapes GKeyFile accepts in a string (list: also the separator).
bool known_escape(char c, bool list) {
  return c == 's' || c == 'n' || c == 't' || c == 'r' || c == '\\' || (list && c == ';');
}

// g_key_file_parse_value_as_string's decoding; `items` non-null: split at unescaped ';' (a
// last empty item is dropped, as GKeyFile does).
bool decode(std::string_view raw, std::string* out, std::vector<std::string>* items,
            std::size_t* bad_at) {
  std::string cur;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '\\') {
      if (i + 1 >= raw.size() || !known_escape(raw[i + 1], items != nullptr)) {
        if (bad_at) *bad_at = i;
        return false;
      }
      const char e = raw[++i];
      cur += e == 's' ? ' ' : e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
    } else if (items && c == ';') {
      items->push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (items) {
    if (!cur.empty()) items->push_back(std::move(cur));
  } else {
    *out = std::move(cur);
  }
  return true;
}

// g_key_file_parse_string_as_value's encoding.
std::string encode(std::string_view s, bool list_item) {
  std::string out;
  out.reserve(s.size() + 2);
  bool leading = true;
  for (const char c : s) {
    switch (c) {
      case ' ': out += leading ? "\\s" : " "; break;
      case '\t': out += leading ? "\\t" : "\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; leading = false; break;
      default:
        if (list_item && c == ';') {
          out += "\\;";
        } else {
          out += c;
          leading = false;
        }
    }
  }
  return out;
}

// g_key_file_is_key_name.
bool valid_key(std::string_view k) {
  std::size_t q = 0;
  while (q < k.size() && k[q] != '=' && k[q] != '[' && k[q] != ']') ++q;
  if (q == 0 || k.front() == ' ' || k[q - 1] == ' ') return false;
  if (q < k.size() && k[q] == '[') {
    ++q;
    while (q < k.size() && (std::isalnum(static_cast<unsigned char>(k[q])) || k[q] == '-' ||
                            k[q] == '_' || k[q] == '.' || k[q] == '@' ||
                            static_cast<unsigned char>(k[q]) >= 0x80))
      ++q;
    if (q >= k.size() || k[q] != ']') return false;
    ++q;
  }
  return q == k.size();
}

}  // namespace

std::optional<std::string> unescape(std::string_view raw, std::size_t* bad_at) {
  std::string out;
  if (!decode(raw, &out, nullptr, bad_at)) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> unescape_list(std::string_view raw, std::size_t* bad_at) {
  std::vector<std::string> items;
  if (!decode(raw, nullptr, &items, bad_at)) return std::nullopt;
  return items;
}

std::string escape(std::string_view value) { return encode(value, false); }

std::string escape_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += encode(i, true) + ";";
  return out;
}

File File::parse(std::string_view text) {
  File f;
  std::string group;  // current group ("" before the first)
  std::map<std::string, std::set<std::string>> seen_keys;
  std::map<std::string, int> group_first;
  std::size_t pos = 0;
  int n = 0;
  while (pos < text.size()) {
    ++n;
    std::size_t end = text.find('\n', pos);
    Line l;
    if (end == std::string_view::npos) {
      l.text = std::string(text.substr(pos));
      pos = text.size();
    } else {
      l.text = std::string(text.substr(pos, end - pos));
      l.eol = "\n";
      if (!l.text.empty() && l.text.back() == '\r') {
        l.text.pop_back();
        l.eol = "\r\n";
      }
      pos = end + 1;
    }
    auto problem = [&](std::size_t col, std::string msg, bool fatal, const std::string& g = {},
                       const std::string& k = {}, bool bad_value = false) {
      f.problems_.push_back({n, static_cast<int>(col) + 1, g, k, std::move(msg), fatal, bad_value});
    };
    const std::string& t = l.text;
    if (const auto nul = t.find('\0'); nul != std::string::npos) {
      problem(nul, "NUL byte (GKeyFile would cut the line here; refusing to guess)", true);
      l.kind = Kind::Bad;
      f.lines_.push_back(std::move(l));
      continue;
    }
    std::size_t s = 0;
    while (s < t.size() && space(t[s])) ++s;
    if (s == t.size()) {
      l.kind = Kind::Blank;
    } else if (t[s] == '#') {
      l.kind = Kind::Comment;
    } else if (t[s] == '[' && [&] {
                 // g_key_file_line_is_group: '[' ... first ']' then only spaces and tabs.
                 const std::size_t close = t.find(']', s);
                 if (close == std::string::npos) return false;
                 for (std::size_t i = close + 1; i < t.size(); ++i)
                   if (t[i] != ' ' && t[i] != '\t') return false;
                 return true;
               }()) {
      const std::size_t close = t.rfind(']');
      const std::string name = t.substr(s + 1, close - s - 1);
      const bool ok = !name.empty() && std::none_of(name.begin(), name.end(), [](char c) {
        return c == '[' || c == ']' || cntrl(c);
      });
      if (!ok) {
        problem(s, "invalid group name [" + name + "]", true);
        l.kind = Kind::Bad;
      } else {
        l.kind = Kind::Group;
        l.group = name;
        group = name;
        if (auto [it, fresh] = group_first.emplace(name, n); !fresh)
          problem(s, "group [" + name + "] appears again (first on line " +
                         std::to_string(it->second) + "); GKeyFile merges the two",
                  false, name);
      }
    } else if (const std::size_t eq = t.find('=', s); eq != std::string::npos && eq != s) {
      std::size_t ke = eq;
      while (ke > s && space(t[ke - 1])) --ke;
      const std::string key = t.substr(s, ke - s);
      std::size_t vs = eq + 1;
      while (vs < t.size() && space(t[vs])) ++vs;
      if (group.empty()) {
        problem(s, "key " + key + " before the first group", true);
        l.kind = Kind::Bad;
      } else if (!valid_key(key)) {
        problem(s, "invalid key name '" + key + "'", true);
        l.kind = Kind::Bad;
      } else {
        l.kind = Kind::Key;
        l.group = group;
        l.key = key;
        l.value_start = vs;
        if (!seen_keys[group].insert(key).second)
          problem(s, "[" + group + "] " + key +
                         " is set again; GKeyFile (and NetworkManager) use the last value",
                  false, group, key);
        std::size_t bad = 0;
        const std::string_view v(t.data() + vs, t.size() - vs);
        if (!unescape_list(v, &bad))
          problem(vs + bad,
                  "[" + group + "] " + key + ": invalid escape sequence" +
                      (vs + bad + 1 < t.size() ? " '\\" + std::string(1, t[vs + bad + 1]) + "'"
                                               : " (a '\\' ends the line)") +
                      "; NetworkManager cannot read this value",
                  false, group, key, true);
      }
    } else {
      problem(s, "line is not a key=value pair, a [group] or a # comment (GKeyFile refuses the file)",
              true);
      l.kind = Kind::Bad;
    }
    f.lines_.push_back(std::move(l));
  }
  return f;
}

std::string File::write() const {
  std::string out;
  std::size_t n = 0;
  for (const auto& l : lines_) n += l.text.size() + l.eol.size();
  out.reserve(n);
  for (const auto& l : lines_) {
    out += l.text;
    out += l.eol;
  }
  return out;
}

bool File::loadable() const {
  return std::none_of(problems_.begin(), problems_.end(), [](const Problem& p) { return p.fatal; });
}

std::vector<std::string> File::groups() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& l : lines_)
    if (l.kind == Kind::Group && seen.insert(l.group).second) out.push_back(l.group);
  return out;
}

bool File::has_group(std::string_view g) const { return group_line(g) > 0; }

std::vector<std::string> File::keys(std::string_view g) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& l : lines_)
    if (l.kind == Kind::Key && l.group == g && seen.insert(l.key).second) out.push_back(l.key);
  return out;
}

int File::find(std::string_view g, std::string_view k) const {
  for (std::size_t i = lines_.size(); i-- > 0;)
    if (lines_[i].kind == Kind::Key && lines_[i].key == k && lines_[i].group == g)
      return static_cast<int>(i);
  return -1;
}

bool File::has(std::string_view g, std::string_view k) const { return find(g, k) >= 0; }

std::optional<std::string> File::raw(std::string_view g, std::string_view k) const {
  const int i = find(g, k);
  if (i < 0) return std::nullopt;
  const Line& l = lines_[static_cast<std::size_t>(i)];
  return l.text.substr(l.value_start);
}

std::optional<std::string> File::get(std::string_view g, std::string_view k) const {
  auto r = raw(g, k);
  if (!r) return std::nullopt;
  return unescape(*r);
}

std::optional<std::vector<std::string>> File::get_list(std::string_view g,
                                                       std::string_view k) const {
  auto r = raw(g, k);
  if (!r) return std::nullopt;
  return unescape_list(*r);
}

int File::line_of(std::string_view g, std::string_view k) const { return find(g, k) + 1; }

int File::group_line(std::string_view g) const {
  for (std::size_t i = 0; i < lines_.size(); ++i)
    if (lines_[i].kind == Kind::Group && lines_[i].group == g) return static_cast<int>(i) + 1;
  return 0;
}

int File::value_column(std::string_view g, std::string_view k) const {
  const int i = find(g, k);
  return i < 0 ? 0 : static_cast<int>(lines_[static_cast<std::size_t>(i)].value_start) + 1;
}

bool File::set(std::string_view g, std::string_view k, std::string_view value) {
  if (get(g, k) == std::string(value)) return false;
  return set_raw(g, k, escape(value));
}

bool File::set_list(std::string_view g, std::string_view k, const std::vector<std::string>& items) {
  if (get_list(g, k) == items) return false;
  return set_raw(g, k, escape_list(items));
}

bool File::set_raw(std::string_view g, std::string_view k, std::string_view rv) {
  if (const int i = find(g, k); i >= 0) {
    Line& l = lines_[static_cast<std::size_t>(i)];
    if (std::string_view(l.text).substr(l.value_start) == rv) return false;
    l.text = l.text.substr(0, l.value_start) + std::string(rv);
    return true;
  }
  Line nl;
  nl.kind = Kind::Key;
  nl.group = std::string(g);
  nl.key = std::string(k);
  nl.text = nl.key + "=" + std::string(rv);
  nl.value_start = nl.key.size() + 1;
  // After the group's last key line, else after its last header.
  std::size_t after = lines_.size();
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    const Line& l = lines_[i];
    if ((l.kind == Kind::Key || l.kind == Kind::Group) && l.group == g) after = i;
  }
  std::string eol = "\n";
  for (const auto& l : lines_)
    if (!l.eol.empty()) {
      eol = l.eol;
      break;
    }
  if (after == lines_.size()) {  // a new group at the end, after a blank line
    if (!lines_.empty() && lines_.back().eol.empty()) lines_.back().eol = eol;
    if (!lines_.empty() && lines_.back().kind != Kind::Blank)
      lines_.push_back(Line{"", eol, Kind::Blank, "", "", 0});
    lines_.push_back(Line{"[" + std::string(g) + "]", eol, Kind::Group, std::string(g), "", 0});
    nl.eol = eol;
    lines_.push_back(std::move(nl));
    return true;
  }
  Line& prev = lines_[after];
  if (prev.eol.empty()) {  // the last line had no line end: the new one takes its place
    prev.eol = eol;
    nl.eol = "";
  } else {
    nl.eol = prev.eol;
  }
  lines_.insert(lines_.begin() + static_cast<long>(after) + 1, std::move(nl));
  return true;
}

bool File::remove(std::string_view g, std::string_view k) {
  const auto before = lines_.size();
  std::string last_eol;
  if (!lines_.empty()) last_eol = lines_.back().eol;
  lines_.erase(std::remove_if(lines_.begin(), lines_.end(),
                              [&](const Line& l) {
                                return l.kind == Kind::Key && l.group == g && l.key == k;
                              }),
               lines_.end());
  if (lines_.size() == before) return false;
  if (!lines_.empty() && last_eol.empty()) lines_.back().eol.clear();
  return true;
}

}  // namespace mvt::keyfile
