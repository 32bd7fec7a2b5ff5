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

#include "files/unique_fd.hpp"

namespace mvt::apply {

// Creates the directory (and parents) if missing, mode 0700, then checks it like
// check_state_dir(). An existing directory is never chmod-ed.
void ensure_state_dir(const std::filesystem::path& dir);

// Trusted only when safe (like OpenSSH's StrictModes): the directory is a directory (not a
// symlink) owned by the effective uid and not writable by group or others; every ancestor
// of its resolved path is owned by root or the effective uid and is not writable by group or
// others unless it is sticky (so /tmp/x is accepted, a 0777 /srv/x parent is not). Throws
// AccessError naming the path and the fix ("chown root: DIR && chmod 0700 DIR").
void check_state_dir(const std::filesystem::path& dir);

// Opens a file of the state dir with O_NOFOLLOW (flags: O_RDONLY, O_WRONLY|O_APPEND,
// O_RDWR|O_CREAT...; created 0600) and checks it: a regular file owned by the effective uid,
// not writable by group or others; AccessError naming the file and the fix otherwise.
// Returns an empty fd when the file is absent and O_CREAT is not given.
UniqueFd open_state_file(const std::filesystem::path& path, int flags);

// Removes the temp files the tool leaves in the state dir for a host after a crash
// (.HOST.journal.new, .HOST.*.tmp-*), never following a symlink. The caller holds the lock.
void remove_state_temp_files(const std::filesystem::path& dir, const std::string& host);

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
