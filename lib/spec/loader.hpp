#pragma once
// Loading a topology spec: the one entry point every command uses.
//
//   auto r = mvt::spec::load({"specs/"});
//   if (r.diagnostics.has_errors()) { print them; exit 1; }
//
// Inputs: files or directories. A directory contributes every regular `*.yaml` / `*.yml`
// file directly inside it (not recursive, dot-files skipped), in lexical order of file name;
// arguments are taken in the order given. Files named explicitly are read whatever their
// extension. Several files merge like netplan: mappings merge key by key, lists (e.g. a
// guest's `interfaces`) and scalars are replaced whole, the later file wins.
//
// Every file must start a mapping with `version: 1` (other versions are refused). Defaults:
// host `files` none, guest `guest_files` none, `activate` none, NIC `config` host,
// `direct.mode` vepa (libvirt's default); `uri` is required.
//
// Symlinks (issue 12): every -f path is opened one component at a time with O_NOFOLLOW from
// the working directory (or /): a symbolic link anywhere on it - the spec file, the spec
// directory, a directory above, or a *.yaml inside a spec directory - is refused with an
// error naming the link (never a byte of its target), whoever typed the path: the operator
// cannot tell a link of their own from one a checkout carries (`topology -> /etc`); give the
// resolved path instead. A FIFO, socket, device, or a directory where a file is expected, is
// refused before it is opened (and opened O_NONBLOCK in case one is swapped in).
//
// Relative paths resolve against the directory of the spec file that set them:
//   files: dir:PATH / guest_files: dir:PATH   ->  dir:/ABS/PATH
//   uri: test:RELPATH   (no "//": a libvirt test-driver node file)  ->  test:///ABS/PATH
//   uri: test:///ABS/PATH is kept as is, as is every other URI.
//
// Diagnostics: structural problems (decode.hpp, yaml_reader.hpp), file problems
// (file.unreadable, file.no-yaml, file.encoding, file.empty) and the semantic rules
// (rules.hpp) are all reported in one run, sorted by file, line and column, each with the
// source line filled in for the caret. Never throws for bad input; never prints.
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "util/diagnostics.hpp"

namespace mvt::spec {

struct LoadResult {
  Topology topology;        // meaningful only when !diagnostics.has_errors()
  Diagnostics diagnostics;
  // sha256 hex over the merged files in merge order: for each, its file name (without
  // directory), '\n', its size in decimal, '\n', its bytes. Same specs -> same digest,
  // wherever the checkout lives.
  std::string digest;
};

LoadResult load(const std::vector<std::string>& paths);

// The files `paths` expand to, in merge order (directories expanded as described above).
// Problems (missing paths, a directory without YAML) go to `diags`.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths, Diagnostics& diags);

}  // namespace mvt::spec
