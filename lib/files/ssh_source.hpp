#pragma once
// SshSource: FileAccess on another machine through the OpenSSH client (`ssh`), run with
// run_process (argv vectors, stdout and stderr drained together, bounded).
//
// Every operation is one `ssh` run:
//   ssh -o BatchMode=yes -o ConnectTimeout=N [-p PORT] [extra options] DEST -- WORDS...
// ssh joins the remote words into one string for the remote user's shell, so each word is
// quoted here for a POSIX shell ('...' with '\'' for quotes): an argument reaches the
// remote program verbatim, whatever it contains. The remote side needs a POSIX sh and
// stat/cat/mv/chmod/chown/mktemp (coreutils or busybox).
//
// Host keys: the policy is the user's (~/.ssh/config, /etc/ssh/ssh_config, or a config given
// with "-F" in Options::extra_options); StrictHostKeyChecking is never overridden. BatchMode
// means a missing key, a passphrase prompt or an unknown host fails at once instead of
// waiting for a terminal.
//
//  - read: one remote sh script prints "MODE UID GID\n" then the bytes; a missing file ->
//    nullopt (script exit 3).
//  - write_atomic: the bytes go through ssh's stdin into `mktemp DIR/.NAME.mvt-XXXXXX`, then
//    mode/owner (kept from an existing target, else `mode`/0644 and 0:0), sync, `mv -f` over
//    the target (rename(2): never a torn file), directory sync; the temp file is removed on
//    failure. The directory must exist.
//  - list: regular files (not symlinks) of a directory, sorted; empty when it is absent.
//  - run: argv on the remote host; throws SystemError(ETIMEDOUT) when it outlives timeout.
// Failures of ssh itself (exit 255: cannot connect, host key, authentication) are
// SystemError with ssh's own message; a remote helper that fails is AccessError.
// Paths are relative (absolute and ".." refused with AccessError), under Options::root.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "files/file_access.hpp"
#include "model/topology.hpp"

namespace mvt {

class SshSource : public FileAccess {
 public:
  struct Options {
    std::string ssh = "ssh";                         // the client program
    std::vector<std::string> extra_options;          // e.g. {"-F", "/path/config"}
    std::chrono::seconds connect_timeout{10};        // ssh -o ConnectTimeout
    std::chrono::milliseconds op_timeout{60000};     // whole run of one file operation
    std::string root = "/";
    bool read_only = false;  // write_atomic/remove/chown/run refused (AccessError)
  };

  // `target` is "ssh://[USER@]HOST[:PORT]" or "[USER@]HOST". Throws AccessError when it is
  // malformed (empty host, a host or user starting with '-', spaces).
  explicit SshSource(const std::string& target);
  SshSource(const std::string& target, Options options);

  std::string describe() const override;  // "ssh://USER@HOST[:PORT]"
  std::optional<FileInfo> read(const std::string& rel) override;
  std::vector<std::string> list(const std::string& rel_dir) override;
  void write_atomic(const std::string& rel, const std::string& bytes,
                    std::optional<unsigned> mode = std::nullopt) override;
  void remove(const std::string& rel) override;
  void chown(const std::string& rel, unsigned uid, unsigned gid) override;
  bool can_run() const override { return !options_.read_only; }
  CommandResult run(const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout) override;

  // The full local argv that runs `remote_argv` on the host (for tests and messages).
  std::vector<std::string> ssh_argv(const std::vector<std::string>& remote_argv) const;

 private:
  CommandResult run_with_input(const std::vector<std::string>& argv, const std::string& input,
                               std::chrono::milliseconds timeout);
  std::string remote_path(const std::string& rel) const;
  void check_writable(const std::string& what) const;

  std::string user_;
  std::string host_;
  std::optional<int> port_;
  Options options_;
};

// The file source for FileSourceKind::Ssh (spec.path is "[USER@]HOST[:PORT]").
std::unique_ptr<FileAccess> open_ssh_source(const FileSourceSpec& spec, bool read_only = false);

// Quotes one word for a POSIX shell: abc -> 'abc', it's -> 'it'\''s', "" -> ''.
std::string shell_quote(const std::string& word);

}  // namespace mvt
