#include "spec/guard.hpp"

#include <fnmatch.h>

#include <cstdlib>
#include <filesystem>

namespace mvt {
namespace {

void split_into(const char* text, std::vector<std::string>& out) {
  if (!text) return;
  std::string cur;
  for (const char* p = text;; ++p) {
    if (*p == ',' || *p == '\0') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (*p == '\0') break;
    } else if (*p != ' ' && *p != '\t' && *p != '\n') {
      cur += *p;
    }
  }
}

bool uri_allowed(const std::string& uri, const std::vector<std::string>& pats) {
  if (pats.empty()) return true;
  for (const auto& p : pats)
    if (fnmatch(p.c_str(), uri.c_str(), 0) == 0) return true;
  return false;
}

bool root_allowed(const std::string& path, const std::vector<std::string>& roots) {
  if (roots.empty()) return true;
  const auto p = std::filesystem::path(path).lexically_normal();
  for (const auto& r : roots) {
    const auto root = std::filesystem::path(r).lexically_normal();
    auto rel = p.lexically_relative(root);
    if (!rel.empty() && *rel.begin() != "..") return true;
  }
  return false;
}

void check_source(const FileSourceSpec& s, const Positions& pos, const std::string& field,
                  const std::string& what, const Guard& g, Diagnostics& out) {
  if (s.kind == FileSourceKind::Dir || s.kind == FileSourceKind::Local) {
    const std::string root = s.kind == FileSourceKind::Local ? "/" : s.path;
    if (!root_allowed(root, g.roots))
      out.error(pos_of(pos, field), "guard.root-not-allowed",
                what + " root '" + root +
                    "' is outside the allowed roots (--allow-root / MVT_ALLOW_ROOTS)");
  } else if (s.kind == FileSourceKind::Ssh) {
    if (!uri_allowed(s.str(), g.uris))
      out.error(pos_of(pos, field), "guard.uri-not-allowed",
                what + " '" + s.str() + "' is not in the allowed URIs (--allow-uri / MVT_ALLOW_URIS)");
  }
}

}  // namespace

void Guard::add_from_environment() {
  split_into(std::getenv("MVT_ALLOW_URIS"), uris);
  split_into(std::getenv("MVT_ALLOW_ROOTS"), roots);
}

void check_guard(const Topology& t, const Guard& g, Diagnostics& out) {
  if (g.empty()) return;
  for (const auto& [hn, h] : t.hosts) {
    if (!uri_allowed(h.uri, g.uris))
      out.error(pos_of(h.pos, "uri"), "guard.uri-not-allowed",
                "host '" + hn + "': libvirt URI '" + h.uri +
                    "' is not in the allowed URIs (--allow-uri / MVT_ALLOW_URIS)");
    check_source(h.files, h.pos, "files", "host '" + hn + "': files", g, out);
    for (const auto& [gn, guest] : h.guests)
      check_source(guest.guest_files, guest.pos, "guest_files",
                   "host '" + hn + "', guest '" + gn + "': guest_files", g, out);
  }
}

}  // namespace mvt
