#include "netconf/ifcfg/route_file.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace mvt::ifcfg {
namespace {

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    if (i >= line.size()) break;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_comment_or_blank(const std::string& line) {
  auto w = split_words(line);
  return w.empty() || w[0][0] == '#';
}

// Parses "DEST" as ip(8) does for routes: "default", "ADDR", "ADDR/p" of the file's family.
std::optional<IpPrefix> parse_dest(const std::string& s, IpFamily fam) {
  if (s == "default")
    return fam == IpFamily::V4 ? IpPrefix(Cidr(Ipv4(0), 0)) : IpPrefix(IpAddress::v6({}), 0);
  std::optional<IpPrefix> p;
  if (s.find('/') != std::string::npos) {
    p = IpPrefix::parse(s);
  } else if (auto a = IpAddress::parse(s)) {
    p = IpPrefix(*a, a->max_prefix());
  }
  if (p && p->family() != fam) return std::nullopt;
  return p;
}

// A decimal metric 0..4294967295 without a sign or leading zero.
std::optional<std::uint32_t> parse_metric(std::string_view s) {
  if (s.empty() || s.size() > 10 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

struct IpLine {
  std::optional<Route> route;
  std::string problem;  // non-empty: why the line is not a modelled route
  std::size_t column = 1;
};

// One `ip route add` argument list. Recognised: [to] DEST, via GW, dev DEV, metric N;
// anything else (src, mtu, route types...) makes the line a problem, since the model cannot
// represent it.
IpLine parse_ip_line(const std::string& line, IpFamily fam) {
  IpLine r;
  auto w = split_words(line);
  r.column = line.find_first_not_of(" \t") + 1;
  std::optional<IpPrefix> to;
  std::optional<IpAddress> via;
  std::optional<std::uint32_t> metric;
  const std::string fam_name = fam == IpFamily::V4 ? "IPv4" : "IPv6";
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& t = w[i];
    bool has_arg = i + 1 < w.size();
    if ((t == "via" || t == "to" || t == "dev" || t == "metric") && !has_arg) {
      r.problem = "'" + t + "' without an argument";
      return r;
    }
    if (t == "via") {
      via = IpAddress::parse(w[++i]);
      if (!via || via->family() != fam) {
        r.problem = "gateway '" + w[i] + "' is not an " + fam_name + " address";
        return r;
      }
    } else if (t == "metric" && !metric) {
      metric = parse_metric(w[++i]);
      if (!metric) {
        r.problem = "metric '" + w[i] + "' is not a number";
        return r;
      }
    } else if (t == "dev") {
      ++i;
    } else if (t == "to" || (!to && i == 0)) {
      const std::string& d = t == "to" ? w[++i] : t;
      to = parse_dest(d, fam);
      if (!to) {
        r.problem = "destination '" + d + "' is not supported";
        return r;
      }
    } else {
      r.problem = "route attribute '" + t + "' is not supported by the model";
      return r;
    }
  }
  if (!to) {
    r.problem = "route without a destination";
  } else if (!via) {
    r.problem = "route without a gateway ('via') is not supported by the model";
  } else if (!to->is_network()) {
    r.problem = "destination " + to->str() + " has host bits set";
  } else {
    r.route = Route{*to, *via, metric};
  }
  return r;
}

std::string ip_line_for(const Route& r) { return r.str(); }

// The index of a route-file key `<PREFIX><digits>` whose prefix is one of `prefixes`; a
// number too large for the type is the largest index. No std::regex: it recursed once per
// character of a key (stack overflow on a long one) and std::stoi threw on a large index.
std::optional<std::uint64_t> indexed_key(std::string_view key,
                                         std::initializer_list<std::string_view> prefixes) {
  for (const auto p : prefixes) {
    if (key.size() <= p.size() || key.substr(0, p.size()) != p) continue;
    const std::string_view digits = key.substr(p.size());
    std::uint64_t n = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n > (UINT64_MAX - 9) / 10 ? UINT64_MAX : n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
  }
  return std::nullopt;
}

bool has_address_keys(const File& f) {
  for (const auto& k : f.keys())
    if (indexed_key(k, {"ADDRESS"})) return true;
  return false;
}

}  // namespace

RouteFile RouteFile::parse(std::string_view text, IpFamily family) {
  RouteFile rf;
  rf.family_ = family;
  rf.keys_ = File::parse(text);
  if (family == IpFamily::V4 && has_address_keys(rf.keys_)) {
    rf.format_ = Format::Keys;
    return rf;
  }
  rf.format_ = Format::IpLines;
  std::string t(text);
  rf.final_newline_ = t.empty() || t.back() == '\n';
  std::size_t i = 0;
  while (i < t.size()) {
    auto nl = t.find('\n', i);
    if (nl == std::string::npos) nl = t.size();
    rf.lines_.push_back(t.substr(i, nl - i));
    i = nl + 1;
  }
  return rf;
}

std::string RouteFile::write() const {
  if (format_ == Format::Keys) return keys_.write();
  std::string out;
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    out += lines_[i];
    if (i + 1 < lines_.size() || final_newline_) out += '\n';
  }
  return out;
}

namespace {

struct KeyRoute {
  int index;
  std::optional<Route> route;
  std::string problem;
};

// ADDRESSn/NETMASKn/GATEWAYn groups, consecutive from 0 as initscripts reads them.
std::vector<KeyRoute> key_routes(const File& f) {
  std::vector<KeyRoute> out;
  for (int n = 0;; ++n) {
    std::string s = std::to_string(n);
    if (!f.has("ADDRESS" + s)) break;
    KeyRoute kr{n, std::nullopt, {}};
    auto addr = f.get("ADDRESS" + s);
    auto a = addr ? Ipv4::parse(*addr) : std::nullopt;
    std::optional<int> prefix = 32;
    if (f.has("NETMASK" + s)) {
      auto m = f.get("NETMASK" + s);
      prefix = m ? Cidr::prefix_from_netmask(*m) : std::nullopt;
    }
    auto g = f.get("GATEWAY" + s);
    auto via = g ? Ipv4::parse(*g) : std::nullopt;
    if (!a) {
      kr.problem = "ADDRESS" + s + " is not an IPv4 address";
    } else if (!prefix) {
      kr.problem = "NETMASK" + s + " is not a valid netmask";
    } else if (!via) {
      kr.problem = "route " + s + " has no usable GATEWAY" + s + " (not supported by the model)";
    } else if (f.has("OPTIONS" + s)) {
      kr.problem = "route " + s + " has OPTIONS" + s + ", which the model does not represent";
    } else if (f.has("METRIC" + s) && !(f.get("METRIC" + s) && parse_metric(*f.get("METRIC" + s)))) {
      kr.problem = "METRIC" + s + " is not a number";
    } else if (Cidr(*a, *prefix).network() != *a) {
      kr.problem = "ADDRESS" + s + " has host bits set for its netmask";
    } else {
      std::optional<std::uint32_t> metric;
      if (auto m = f.get("METRIC" + s)) metric = parse_metric(*m);
      kr.route = Route{Cidr(*a, *prefix), *via, metric};
    }
    out.push_back(std::move(kr));
  }
  return out;
}

}  // namespace

std::vector<Route> RouteFile::routes() const {
  std::vector<Route> out;
  if (format_ == Format::Keys) {
    for (const auto& kr : key_routes(keys_))
      if (kr.route) out.push_back(*kr.route);
    return out;
  }
  for (const auto& l : lines_) {
    if (is_comment_or_blank(l)) continue;
    if (auto r = parse_ip_line(l, family_).route) out.push_back(*r);
  }
  return out;
}

std::vector<Problem> RouteFile::problems() const {
  std::vector<Problem> out;
  if (format_ == Format::Keys) {
    out = keys_.problems();
    for (const auto& kr : key_routes(keys_))
      if (!kr.problem.empty())
        out.push_back(Problem{keys_.line_of("ADDRESS" + std::to_string(kr.index)), 1,
                              "ADDRESS" + std::to_string(kr.index), kr.problem});
    return out;
  }
  for (std::size_t i = 0; i < lines_.size(); ++i) {
    if (is_comment_or_blank(lines_[i])) continue;
    auto p = parse_ip_line(lines_[i], family_);
    if (!p.problem.empty())
      out.push_back(Problem{static_cast<int>(i) + 1, static_cast<int>(p.column), {}, p.problem});
  }
  return out;
}

void RouteFile::set_routes(const std::vector<Route>& routes) {
  if (format_ == Format::Keys) {
    auto current = key_routes(keys_);
    int n = static_cast<int>(routes.size());
    for (int i = 0; i < n; ++i) {
      std::string s = std::to_string(i);
      bool same = i < static_cast<int>(current.size()) && current[i].route &&
                  *current[i].route == routes[i];
      if (same) continue;
      const auto to = routes[i].to.v4();
      if (!to || !routes[i].via.is_v4())  // the caller passes this file's family only
        throw std::invalid_argument("route-file: " + routes[i].str() + " is not IPv4");
      keys_.set("ADDRESS" + s, to->address().str());
      keys_.set("NETMASK" + s, to->netmask().str());
      keys_.set("GATEWAY" + s, routes[i].via.str());
      if (routes[i].metric)
        keys_.set("METRIC" + s, std::to_string(*routes[i].metric));
      else
        keys_.unset("METRIC" + s);
      keys_.unset("OPTIONS" + s);
    }
    std::vector<std::string> gone;  // removed in one pass: linear in the file's size
    for (const auto& k : keys_.keys()) {
      const auto i = indexed_key(k, {"ADDRESS", "NETMASK", "GATEWAY", "METRIC", "OPTIONS"});
      if (i && *i >= static_cast<std::uint64_t>(n)) gone.push_back(k);
    }
    if (!gone.empty()) keys_.unset(gone);
    if (keys_.modified()) modified_ = true;
    return;
  }
  // IpLines: keep comments, blank and unsupported lines, and the lines of routes still
  // wanted (verbatim, once each); drop other route lines; append missing routes in order.
  std::vector<std::string> out;
  std::vector<Route> kept;
  bool changed = false;
  for (const auto& l : lines_) {
    if (is_comment_or_blank(l)) {
      out.push_back(l);
      continue;
    }
    auto p = parse_ip_line(l, family_);
    if (!p.route) {
      out.push_back(l);
      continue;
    }
    bool wanted = std::find(routes.begin(), routes.end(), *p.route) != routes.end() &&
                  std::find(kept.begin(), kept.end(), *p.route) == kept.end();
    if (wanted) {
      out.push_back(l);
      kept.push_back(*p.route);
    } else {
      changed = true;
    }
  }
  for (const auto& r : routes) {
    if (std::find(kept.begin(), kept.end(), r) != kept.end()) continue;
    final_newline_ = true;  // an appended line always ends with a newline
    out.push_back(ip_line_for(r));
    kept.push_back(r);
    changed = true;
  }
  if (!changed) return;
  lines_ = std::move(out);
  // Re-sync the key view (unused for IpLines, kept consistent for write()).
  keys_ = File::parse(write());
  modified_ = true;
}

}  // namespace mvt::ifcfg
