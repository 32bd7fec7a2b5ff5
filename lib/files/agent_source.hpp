#pragma once
// AgentSource: FileAccess inside a running guest through the QEMU guest agent (virtio-serial,
// out-of-band: it keeps working when the guest's network is broken, which is what makes
// rollback safe). Every call is one libvirt virDomainQemuAgentCommand round trip
// (Hypervisor::agent_command), bounded by Options::call_timeout.
//
// Operations and the agent commands they use:
//  - read: guest-file-open "r", guest-file-read in chunks, guest-file-close; then one
//    guest-exec of `stat` for mode/uid/gid (not in read-only mode: there mode and owner are
//    left at FileInfo's defaults). A file that does not exist -> nullopt.
//  - write_atomic: guest-file-open "w" of a temp file ".NAME.mvt-XXXXXXXX" in the target's
//    directory, guest-file-write in chunks, close; then one guest-exec (/bin/sh with a fixed
//    script, paths passed as positional arguments - never spliced into the script) that
//    copies mode/owner from an existing target (or sets `mode`, default 0644, owner 0:0),
//    syncs the temp file, renames it over the target with `mv -f` (rename(2): a reader sees
//    the old or the new bytes, never a torn file) and syncs the directory. On any failure the
//    temp file is removed. The directory must exist.
//  - list: one guest-exec of /bin/sh listing regular files (not symlinks), sorted here;
//    refused in read-only mode (can_list() is false: observe reads named files instead).
//  - remove / chown: guest-exec of rm -f / chown.
//  - run: guest-exec {path, arg, capture-output} then guest-exec-status polled (50 ms
//    growing to 250 ms) until it exits or the timeout passes; on timeout the guest process
//    is killed (best effort, `kill -9 PID` through guest-exec) and AgentError is thrown.
//  - network_interfaces: guest-network-get-interfaces.
//
// Read-only mode (Options::read_only; plan, drift and show): call() - the one way out to the
// agent - refuses every command but guest-file-open with mode "r", guest-file-read,
// guest-file-close, guest-network-get-interfaces, guest-ping, guest-info and guest-sync,
// with AccessError before anything is sent; so write_atomic/remove/chown/run/list (all of
// which need guest-exec or a write open) throw without reaching the guest.
//
// Paths are relative (FileAccess contract): absolute paths and ".." are refused with
// AccessError. They are resolved under Options::root (default "/"). Symlinks inside the
// guest are not checked by read/write (the agent API cannot open with O_NOFOLLOW); with the
// default root "/" nothing lies outside the root anyway.
//
// Errors are AgentCallError (an AgentError) with a Failure kind and a message that says
// what to do:
//  - NoChannel: the domain XML has no org.qemu.guest_agent.0 channel;
//  - NotRunning: the guest is shut off (or paused/absent);
//  - NotAnswering: no qemu-ga answered within the timeout (not installed, not started,
//    still booting);
//  - Refused: qemu-ga's allow/deny list blocks the command; the message names the config
//    line that enables it (RHEL's /etc/sysconfig/qemu-ga BLACKLIST_RPC / FILTER_RPC_ARGS
//    "--allow-rpcs=", or block-rpcs/allow-rpcs in /etc/qemu/qemu-ga.conf);
//  - CommandFailed: anything else the agent or libvirt reported.
// Not thread-safe: one thread per object (as the Hypervisor it uses).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "files/file_access.hpp"
#include "libvirt/hypervisor.hpp"
#include "model/net_types.hpp"
#include "util/errors.hpp"

namespace mvt {

class AgentCallError : public AgentError {
 public:
  enum class Failure { NoChannel, NotRunning, NotAnswering, Refused, CommandFailed };
  AgentCallError(std::string message, Failure f) : AgentError(std::move(message)), failure_(f) {}
  Failure failure() const { return failure_; }

 private:
  Failure failure_;
};

// One interface as guest-network-get-interfaces reports it.
struct GuestNic {
  std::string name;                  // "ens9"
  std::optional<MacAddress> mac;     // absent for interfaces without one
  std::vector<Cidr> ipv4;            // in the agent's order
  std::vector<std::string> ipv6;     // "fe80::1/64"
};

class AgentSource : public FileAccess {
 public:
  struct Options {
    std::string root = "/";                              // guest directory paths are under
    std::chrono::seconds call_timeout{10};              // one agent round trip
    std::size_t chunk = 48 * 1024;                       // bytes per guest-file-read/write
    std::chrono::milliseconds file_op_timeout{20000};   // the guest-exec helpers of files
    bool read_only = false;  // write_atomic/remove/chown/run refused (AccessError): show, plan
  };

  // `hv` must outlive the source. No agent call is made here.
  AgentSource(Hypervisor& hv, std::string domain);
  AgentSource(Hypervisor& hv, std::string domain, Options options);

  std::string describe() const override;  // "agent:DOMAIN"
  std::optional<FileInfo> read(const std::string& rel) override;
  std::vector<std::string> list(const std::string& rel_dir) override;
  void write_atomic(const std::string& rel, const std::string& bytes,
                    std::optional<unsigned> mode = std::nullopt) override;
  void remove(const std::string& rel) override;
  void chown(const std::string& rel, unsigned uid, unsigned gid) override;
  bool can_run() const override { return !options_.read_only; }
  bool can_list() const override { return !options_.read_only; }
  bool read_only() const { return options_.read_only; }
  // argv[0] is looked up in the guest agent's PATH. Throws AgentCallError on timeout.
  CommandResult run(const std::vector<std::string>& argv,
                    std::chrono::milliseconds timeout) override;

  // guest-network-get-interfaces, sorted by name.
  std::vector<GuestNic> network_interfaces();
  // guest-ping once (bounded by `timeout`); throws AgentCallError.
  void ping(std::chrono::seconds timeout = std::chrono::seconds(5));
  // Polls guest-ping (1 s per try) until it answers or `timeout` passes; returns whether it
  // answered. For boots and reboots; never throws for NotAnswering/NotRunning.
  bool wait_until_ready(std::chrono::milliseconds timeout);

  // One raw agent command: {"execute": cmd, "arguments": args-json}; returns the JSON text
  // of "return". Errors mapped as above.
  std::string call(const std::string& command, const std::string& arguments_json = "{}",
                   std::optional<std::chrono::seconds> timeout = std::nullopt);

  const std::string& domain() const { return domain_; }

 private:
  std::string guest_path(const std::string& rel) const;
  void check_writable(const std::string& what) const;
  // run() without the read-only check: the source's own read-side helpers (stat, list).
  CommandResult exec(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);
  CommandResult exec_checked(const std::vector<std::string>& argv, const std::string& what);

  Hypervisor& hv_;
  std::string domain_;
  Options options_;
};

// Maps a libvirt failure of virDomainQemuAgentCommand (code + message) for `domain` and
// agent command `command` to the AgentCallError the source throws. Exposed for unit tests.
AgentCallError agent_error_from(const std::string& domain, const std::string& command, int code,
                                const std::string& message);

// The file source `agent` of guest `domain` on `hv` (FileSourceKind::Agent).
std::unique_ptr<FileAccess> open_agent_source(Hypervisor& hv, const std::string& domain,
                                              bool read_only = false);

// The advice appended to a Refused error for `command`: the qemu-ga setting that allows it.
std::string agent_refusal_advice(const std::string& command);
// What macvtapctl needs from a guest's agent (commands per command, SELinux), for messages.
std::string agent_rpc_needs();
// Whether `command` with `arguments_json` only reads (the read-only mode's allow list):
// guest-file-open only with "mode": "r".
bool agent_command_reads_only(const std::string& command, const std::string& arguments_json);

}  // namespace mvt
