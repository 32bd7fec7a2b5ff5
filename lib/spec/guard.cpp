#include "spec/guard.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "spec/libvirt_uri.hpp"
#include "util/path_parts.hpp"

namespace mvt {
namespace {

using spec::LibvirtUri;
using spec::UriParam;

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

// Query parameters of libvirt's remote driver (https://libvirt.org/uri.html, "Transport
// configuration") that make the client run a program, open a local file or socket, or stop
// verifying the peer - and what each does, for the message.
struct RiskyParam {
  const char* name;
  const char* effect;
};
constexpr RiskyParam kRiskyParams[] = {
    {"command", "runs a local program of the URI's choosing (the ssh binary, or the ext "
                "transport's tunnel)"},
    {"netcat", "names the program run on the remote host"},
    {"proxy", "chooses the proxy program run on the remote host"},
    {"socket", "opens a socket path of the URI's choosing"},
    {"keyfile", "reads a local private key file"},
    {"known_hosts", "reads, and may rewrite, a local known_hosts file"},
    {"known_hosts_verify", "relaxes host key checking ('auto' records new keys in a local "
                           "file, 'ignore' checks none)"},
    {"no_verify", "turns off the check of the server's host key or TLS certificate (ssh then "
                  "records unknown host keys in a local file)"},
    {"pkipath", "reads TLS certificates and keys from a local directory of the URI's choosing"},
    {"tls_priority", "overrides the TLS priority string (it can weaken the encryption)"},
    {"name", "replaces the URI the libvirt daemon opens, so the checks on this URI's path no "
             "longer apply"},
};
// Parameters that do none of that: the daemon kind, no password prompt, the order of ssh
// authentication methods (a key file can only come from `keyfile`).
constexpr const char* kHarmlessParams[] = {"mode", "no_tty", "sshauth"};
// The drivers macvtapctl manages; another one only when an --allow-uri pattern names it.
constexpr const char* kDrivers[] = {"qemu", "test"};
// Transports of libvirt's remote driver, but `ext` (runs the `command` parameter).
constexpr const char* kTransports[] = {"tls", "unix", "ssh", "libssh", "libssh2", "tcp"};

template <class List>
bool in(const List& list, const std::string& s) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

// The valid patterns of g.uris; an invalid one is an error (at "--allow-uri").
std::vector<LibvirtUri> parse_patterns(const Guard& g, Diagnostics* out) {
  std::vector<LibvirtUri> ps;
  for (const auto& p : g.uris) {
    std::string why;
    if (auto u = spec::parse_libvirt_uri(p, why, /*pattern=*/true))
      ps.push_back(std::move(*u));
    else if (out)
      out->error(SourcePos{"--allow-uri"}, "guard.pattern-invalid",
                 "allowed URI pattern '" + p + "' (--allow-uri / MVT_ALLOW_URIS) " + why);
  }
  return ps;
}

bool host_matches(const std::string& pattern, const std::string& host) {
  if (!pattern.empty() && pattern.front() == '[') return pattern == host;  // IPv6: exact
  return ::fnmatch(pattern.c_str(), host.c_str(), 0) == 0;
}

bool param_in(const UriParam& q, const std::vector<UriParam>& ps) {
  return std::any_of(ps.begin(), ps.end(),
                     [&](const UriParam& p) { return p.name == q.name && p.value == q.value; });
}

bool matches(const LibvirtUri& u, const LibvirtUri& p) {
  if (u.driver != p.driver || u.transport != p.transport) return false;
  if (p.user && u.user != p.user) return false;
  if (!host_matches(p.host, u.host)) return false;
  if (p.port != 0 && u.port != p.port) return false;
  if (u.path != p.path) return false;
  return std::all_of(u.params.begin(), u.params.end(),
                     [&](const UriParam& q) { return param_in(q, p.params); });
}

struct Refusal {
  std::string rule;
  std::string message;  // follows "<what> '<uri>' "
};

// Every reason `u` (a libvirt URI) is refused, whatever the allow-list.
std::vector<Refusal> uri_refusals(const LibvirtUri& u, const Guard& g,
                                  const std::vector<LibvirtUri>& patterns) {
  std::vector<Refusal> out;
  if (u.transport == "ext")
    out.push_back({"guard.uri-transport",
                   "uses the 'ext' transport, which runs a local program; refused"});
  else if (!u.transport.empty() && !in(kTransports, u.transport))
    out.push_back({"guard.uri-transport", "uses the unknown transport '" + u.transport +
                                              "' (known: tls, unix, ssh, libssh, libssh2, tcp)"});
  const bool named = std::any_of(patterns.begin(), patterns.end(),
                                 [&](const LibvirtUri& p) { return p.driver == u.driver; });
  if (!in(kDrivers, u.driver) && !named)
    out.push_back({"guard.uri-driver", "uses the libvirt driver '" + u.driver +
                                           "', which macvtapctl does not manage (qemu, test; "
                                           "an --allow-uri pattern naming the driver admits it)"});
  std::vector<std::string> allowed;
  for (const auto& a : g.uri_params) allowed.push_back(lower(a));
  for (const auto& q : u.params) {
    if (in(kHarmlessParams, q.name) || in(allowed, q.name)) continue;
    std::string effect = "is not one macvtapctl knows to be harmless (mode, no_tty, sshauth)";
    for (const auto& r : kRiskyParams)
      if (q.name == r.name) effect = r.effect;
    const std::string spelled = q.raw_name == q.name ? "" : " (written '" + q.raw_name + "')";
    out.push_back({"guard.uri-param",
                   "has the query parameter '" + q.name + "'" + spelled + ", which " + effect +
                       "; refused (an operator allows it with --allow-uri-param " + q.name +
                       " or MVT_ALLOW_URI_PARAMS=" + q.name + ", never from a spec)"});
  }
  return out;
}

void check_uri(const std::string& uri, const SourcePos& pos, const std::string& what,
               const Guard& g, const std::vector<LibvirtUri>& patterns, Diagnostics& out) {
  std::string why;
  auto u = spec::parse_libvirt_uri(uri, why);
  if (!u) {
    out.error(pos, "guard.uri-invalid", what + " '" + uri + "' " + why + "; refused");
    return;
  }
  for (const auto& r : uri_refusals(*u, g, patterns))
    out.error(pos, r.rule, what + " '" + uri + "' " + r.message);
  if (!g.uris.empty() &&
      std::none_of(patterns.begin(), patterns.end(),
                   [&](const LibvirtUri& p) { return matches(*u, p); }))
    out.error(pos, "guard.uri-not-allowed",
              what + " '" + uri + "' is not in the allowed URIs (--allow-uri / MVT_ALLOW_URIS)");
}

// An ssh:// file source: user@host[:port], nothing else (SshSource does not percent-decode).
void check_ssh(const std::string& text, const SourcePos& pos, const std::string& what,
               const Guard& g, const std::vector<LibvirtUri>& patterns, Diagnostics& out) {
  std::string why;
  auto u = spec::parse_libvirt_uri(text, why);
  if (u && text.find('%') != std::string::npos) why = "contains '%' (no percent-encoding)";
  if (u && (!u->path.empty() || !u->params.empty() || u->host.empty()))
    why = "is not ssh://[USER@]HOST[:PORT]";
  if (!u || !why.empty()) {
    out.error(pos, "guard.uri-invalid", what + " '" + text + "' " + why + "; refused");
    return;
  }
  if (!g.uris.empty() &&
      std::none_of(patterns.begin(), patterns.end(),
                   [&](const LibvirtUri& p) { return matches(*u, p); }))
    out.error(pos, "guard.uri-not-allowed",
              what + " '" + text + "' is not in the allowed URIs (--allow-uri / MVT_ALLOW_URIS)");
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

// Walks `path` (absolute) from "/" one component at a time, ".." included, never following a
// symbolic link (lstat first, then openat O_PATH|O_NOFOLLOW; nothing is ever opened for
// reading, so a FIFO cannot block). Returns the path as resolved (equal to the lexical normal
// form, since no link was crossed), or nullopt with the reason in `why` (naming the component,
// never reading it).
std::optional<std::filesystem::path> walk_regular_file(const std::string& path, std::string& why) {
  int cur = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  const std::vector<std::string> parts = path_components(path);
  std::filesystem::path shown = "/";
  for (std::size_t i = 0; i < parts.size() && why.empty(); ++i) {
    const bool last = i + 1 == parts.size();
    shown /= parts[i];
    struct stat st {};
    if (::fstatat(cur, parts[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      why = "'" + shown.string() + "': " + std::strerror(errno);
    else if (S_ISLNK(st.st_mode))
      why = "'" + shown.string() + "' is a symbolic link (never followed)";
    else if (!last && !S_ISDIR(st.st_mode))
      why = "'" + shown.string() + "' is not a directory";
    else if (last && !S_ISREG(st.st_mode))
      why = "'" + shown.string() + "' is not a regular file";
    if (!why.empty()) break;
    const int next = ::openat(cur, parts[i].c_str(),
                              O_PATH | O_NOFOLLOW | O_CLOEXEC | (last ? 0 : O_DIRECTORY));
    struct stat again {};
    if (next < 0 || ::fstat(next, &again) != 0 || again.st_ino != st.st_ino ||
        again.st_dev != st.st_dev)
      why = "'" + shown.string() + "' changed while it was checked";
    if (next >= 0) {
      ::close(cur);
      cur = next;
    }
  }
  ::close(cur);
  if (parts.empty()) why = "'/' is not a regular file";
  if (!why.empty()) return std::nullopt;
  return std::filesystem::path(path).lexically_normal();
}

bool beneath(const std::filesystem::path& p, const std::filesystem::path& dir) {
  auto rel = p.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != ".." && rel != ".";
}

// A host's `uri:` naming a libvirt test-driver node file on this machine (test:FILE,
// test:///ABS/PATH, any transport without a host): the test driver parses that file and
// quotes it in its errors. It must be a regular file, reached without a symbolic link, lying
// beneath the directory of the spec file naming the URI or beneath an --allow-root root (both
// compared after resolution). test:///default has no file. A --connect URI is the operator's
// and is not checked here.
void check_test_node(const std::string& uri, const SourcePos& pos, const std::string& what,
                     const Guard& g, Diagnostics& out) {
  if (!pos.known()) return;  // not from a spec file (show --connect)
  std::string why;
  auto u = spec::parse_libvirt_uri(uri, why);
  if (!u || u->driver != "test" || !u->host.empty() || u->path.empty() || u->path == "/default")
    return;
  const std::string prefix = what + " '" + uri + "': test driver node file '" + u->path + "' ";
  auto real = walk_regular_file(u->path, why);
  if (!real) {
    out.error(pos, "guard.test-node", prefix + "refused: " + why);
    return;
  }
  const std::string spec_file = pos.file.str();
  std::filesystem::path spec_dir;
  if (!spec_file.empty())
    spec_dir = resolved(std::filesystem::absolute(spec_file).parent_path().string());
  if (!spec_dir.empty() && beneath(*real, spec_dir)) return;
  for (const auto& r : g.roots)
    if (beneath(*real, resolved(r))) return;
  out.error(pos, "guard.test-node",
            prefix + "lies outside the directory of the spec file naming it ('" +
                spec_dir.string() + "') and the allowed roots (--allow-root / MVT_ALLOW_ROOTS); " +
                "refused");
}

void check_source(const FileSourceSpec& s, const Positions& pos, const std::string& field,
                  const std::string& what, const Guard& g,
                  const std::vector<LibvirtUri>& patterns, Diagnostics& out) {
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
    check_ssh(s.str(), pos_of(pos, field), what, g, patterns, out);
  }
}

}  // namespace

void Guard::add_from_environment() {
  split_into(std::getenv("MVT_ALLOW_URIS"), uris);
  split_into(std::getenv("MVT_ALLOW_ROOTS"), roots);
  split_into(std::getenv("MVT_ALLOW_URI_PARAMS"), uri_params);
}

void check_guard(const Topology& t, const Guard& g, Diagnostics& out) {
  const auto patterns = parse_patterns(g, &out);
  for (const auto& [hn, h] : t.hosts) {
    // An empty URI was refused by the loader already.
    if (!h.uri.empty()) {
      check_uri(h.uri, pos_of(h.pos, "uri"), "host '" + hn + "': libvirt URI", g, patterns, out);
      check_test_node(h.uri, pos_of(h.pos, "uri"), "host '" + hn + "': libvirt URI", g, out);
    }
    check_source(h.files, h.pos, "files", "host '" + hn + "': files", g, patterns, out);
    for (const auto& [gn, guest] : h.guests)
      check_source(guest.guest_files, guest.pos, "guest_files",
                   "host '" + hn + "', guest '" + gn + "': guest_files", g, patterns, out);
  }
}

std::optional<std::string> libvirt_uri_refusal(const std::string& uri, const Guard& g) {
  Diagnostics d;
  check_uri(uri, SourcePos{}, "libvirt URI", g, parse_patterns(g, nullptr), d);
  if (d.items().empty()) return std::nullopt;
  return d.items().front().message;
}

}  // namespace mvt
