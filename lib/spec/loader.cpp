#include "spec/loader.hpp"

#include <malloc.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "spec/decode.hpp"
#include "spec/rules.hpp"
#include "spec/yaml_reader.hpp"
#include "util/hash.hpp"

namespace mvt::spec {
namespace {

namespace fs = std::filesystem;

bool is_yaml_name(const std::string& name) {
  if (name.empty() || name.front() == '.') return false;
  auto ends = [&](const std::string& suf) {
    return name.size() > suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
  };
  return ends(".yaml") || ends(".yml");
}

bool read_bytes(const std::string& path, std::string& out, std::string& why) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    why = "is a directory";
    return false;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = errno ? std::strerror(errno) : "cannot open";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    why = errno ? std::strerror(errno) : "read error";
    return false;
  }
  out = ss.str();
  return true;
}

}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths, Diagnostics& diags) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      diags.error({p, 0, 0}, "file.unreadable",
                  "cannot read '" + p + "': " + (ec ? ec.message() : "no such file or directory"));
      continue;
    }
    if (!fs::is_directory(st)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      std::error_code fe;
      if (is_yaml_name(name) && it->is_regular_file(fe)) names.push_back(name);
    }
    if (ec) {
      diags.error({p, 0, 0}, "file.unreadable", "cannot list directory '" + p + "': " + ec.message());
      continue;
    }
    if (names.empty()) {
      diags.error({p, 0, 0}, "file.no-yaml", "directory '" + p + "' holds no *.yaml or *.yml file");
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) files.push_back((fs::path(p) / n).string());
  }
  return files;
}

LoadResult load(const std::vector<std::string>& paths) {
  LoadResult r;
  Diagnostics& d = r.diagnostics;
  if (paths.empty()) d.error({}, "file.unreadable", "no spec file or directory given");
  std::map<std::string, std::string> contents;  // file -> bytes, for the diagnostics' lines
  std::optional<SpecNode> merged;
  std::size_t total = 0;
  for (const auto& file : expand_paths(paths, d)) {
    std::string bytes, why;
    if (!read_bytes(file, bytes, why)) {
      d.error({file, 0, 0}, "file.unreadable", "cannot read '" + file + "': " + why);
      continue;
    }
    r.topology.files.push_back(file);
    auto root = read_yaml(file, bytes, d);
    total += bytes.size();
    contents[file] = std::move(bytes);
    if (!root) continue;
    check_file_header(*root, d);
    if (!merged) merged = std::move(*root);
    else merge_into(*merged, *root);
  }
  // The digest covers every file's name, size and bytes, in order; a large spec's is hashed
  // while its topology is decoded (both take a while), from the bytes kept for diagnostics.
  const std::vector<std::string> files = r.topology.files;
  auto digest_of = [&contents, &files] {
    Sha256 h;
    for (const auto& f : files) {
      const std::string& bytes = contents.at(f);
      h.update(fs::path(f).filename().string() + "\n" + std::to_string(bytes.size()) + "\n");
      h.update(bytes);
    }
    return h.hex();
  };
  std::thread digest;
  if (total >= 64 * 1024)
    digest = std::thread([&r, &digest_of] { r.digest = digest_of(); });
  else
    r.digest = digest_of();
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{digest};
  if (merged) {
    // Decoding consumes the tree (each guest's part is freed once decoded): the tree and the
    // topology are never both whole in memory (at 10,000 guests, 63 and 40 MB).
    r.topology = decode_topology(std::move(*merged), d);
    r.topology.files = files;
    check_rules(r.topology, d);
  }
  Diagnostics out;
  std::map<std::string, LineTable> tables;  // built once per file that has a diagnostic
  for (Diagnostic x : d.items()) {
    if (x.source_line.empty())
      if (auto it = contents.find(x.pos.file); it != contents.end()) {
        auto t = tables.try_emplace(it->first, it->second).first;
        x.source_line = std::string(t->second.line(x.pos.line));
      }
    out.add(std::move(x));
  }
  out.sort();
  r.diagnostics = std::move(out);
  // The file copies are done with: give their memory back now, so that what the caller
  // allocates next (observation, often on other threads' malloc arenas, which cannot reuse
  // it) does not add to the peak.
  if (digest.joinable()) digest.join();
  contents.clear();
  ::malloc_trim(0);
  return r;
}

}  // namespace mvt::spec
