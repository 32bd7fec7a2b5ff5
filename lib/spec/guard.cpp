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

// `path` as the kernel resolves it (symlinks followed, "." and ".." applied): the longest
// existing prefix through realpath(3), the rest (not yet existing) lexically.
std::filesystem::path resolved(const std::string& path) {
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  return ec ? std::filesystem::path(path).lexically_normal() : p;
}

// Compared after resolution, not lexically: a dir: root that is (or passes through) a
// symlink leading out of every allowed root is refused.
bool root_allowed(const std::string& path, const std::vector<std::string>& roots) {
  if (roots.empty()) return true;
  const auto p = resolved(path);
  for (const auto& r : roots) {
    auto rel = p.lexically_relative(resolved(r));
    if (!rel.empty() && *rel.begin() != "..") return true;
  }
  return false;
}

void check_source(const FileSourceSpec& s, const Positions& pos, const std::string& field,
                  const std::string& what, const Guard& g, Diagnostics& out) {
  if (s.kind == FileSourceKind::Dir || s.kind == FileSourceKind::Local) {
    const std::string root = s.kind == FileSourceKind::Local ? "/" : s.path;
    if (!root_allowed(root, g.roots)) {
      const std::string real = resolved(root).string();
      out.error(pos_of(pos, field), "guard.root-not-allowed",
                what + " root '" + root + "'" +
                    (real != root ? " (resolved: '" + real + "')" : std::string()) +
                    " is outside the allowed roots (--allow-root / MVT_ALLOW_ROOTS)");
    }
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
