#pragma once
// The state directory (--state-dir, default /var/lib/macvtapctl): per-host lock files,
// journals and confirm files. Created 0700; every file in it is created 0600.
//
// Layout (HOST is the spec's host name, encoded by host_file_stem()):
//   HOST.lock             flock()ed by the running apply/rollback; holds "pid start-time"
//   HOST.journal          JSON lines of the last apply on HOST (journal.hpp)
//   HOST.journal.APPLYID  an interrupted earlier apply that the next one continued from
//   HOST.confirm          written by `macvtapctl confirm`: the apply id being confirmed
#include <filesystem>
#include <string>

namespace mvt::apply {

// Creates the directory (and parents) if missing, mode 0700. An existing directory is
// accepted as is when it is a directory (not a symlink) owned by us; throws SystemError /
// AccessError otherwise.
void ensure_state_dir(const std::filesystem::path& dir);

// A file-name-safe spelling of a host name: [A-Za-z0-9_-] kept, other bytes (and a leading
// '.') as %XX. Injective, so two hosts never share a file.
std::string host_file_stem(const std::string& host);

// Writes bytes to dir/name atomically (temp + fsync + rename + dir fsync), mode 0600.
void write_state_file(const std::filesystem::path& dir, const std::string& name,
                      const std::string& bytes);

// UTC "2026-11-24T00:40:00Z" for a time_t.
std::string utc_timestamp(long long epoch_seconds);
std::string utc_now();

}  // namespace mvt::apply
