#pragma once
// The apply journal: JSON lines (nlohmann), one file per host, STATE_DIR/HOST.journal, mode
// 0600, every record fsync'd before the call returns. It holds, for every step, the
// before-image needed to undo it without re-observing, and records which steps started,
// finished, failed and were undone, so `macvtapctl rollback` works after a crash too.
//
// Records (field "record"):
//   begin   {apply_id, host, pid, started, spec_digest, sources{uri, host_files,
//            guest_files{guest: spec}}, previous}            first line
//   step    {seq, id, host, target, op{...}, content_sha256, before{...}}
//                                                            written BEFORE the step runs
//   done    {seq}        the step finished
//   failed  {seq, error} the step threw
//   undone  {seq}        its inverse was applied (rollback)
//   status  {status}     applying | applied | trying | rolling-back | rolled-back |
//                        rollback-incomplete
// File bytes are base64 (JSON strings must be UTF-8; files need not be).
//
// Chaining: starting a journal while HOST.journal is unfinished (its last status is not
// applied or rolled-back: the apply crashed, or its rollback did not complete) moves the old
// one to HOST.journal.APPLYID and names it in `previous`, so a rollback undoes both and
// restores the state from before the first of them.
//
// A torn last line (crash while appending) is ignored by the reader.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "files/file_access.hpp"
#include "files/unique_fd.hpp"
#include "plan/plan.hpp"

namespace mvt::apply {

// Everything needed to undo one step.
struct BeforeImage {
  std::optional<FileInfo> file;             // WriteFile/RemoveFile; nullopt: was absent
  std::optional<std::string> inactive_xml;  // DefineInterface: the whole inactive domain XML
  bool live_present = false;                // LiveAttach/LiveDetach: the MAC was in the live XML
  bool was_running = false;                 // Activate, live ops: the guest was running
};

// How to reopen a host's backends without the spec (rollback after a crash).
struct HostSources {
  std::string uri;
  std::string host_files = "none";                 // FileSourceSpec::str()
  std::map<std::string, std::string> guest_files;  // guest -> FileSourceSpec::str()
};

struct JournalStep {
  int seq = 0;  // 1-based execution order within this journal
  std::string id;
  std::string host;
  std::string target;
  plan::Operation op;          // content is not journaled (only its digest)
  std::string content_sha256;  // WriteFile: sha256 of what is written
  BeforeImage before;
  bool done = false;
  bool undone = false;
  std::optional<std::string> error;
};

struct Journal {
  std::filesystem::path path;
  std::string apply_id;
  std::string host;
  long pid = 0;
  std::string started;
  std::string spec_digest;
  HostSources sources;
  std::optional<std::string> previous;  // file name (in the same dir) of a continued journal
  std::string status = "applying";
  std::vector<JournalStep> steps;  // in seq order
  // applied or rolled-back: nothing left to finish.
  bool finished() const { return status == "applied" || status == "rolled-back"; }
};

// Reads a journal file; throws Error when it is missing or its begin record is unreadable.
Journal read_journal(const std::filesystem::path& path);
// STATE_DIR/HOST.journal, nullopt when absent.
std::optional<Journal> read_host_journal(const std::filesystem::path& state_dir,
                                         const std::string& host);
// Host names (from begin records) of every HOST.journal in the state dir, sorted.
std::vector<std::string> journal_hosts(const std::filesystem::path& state_dir);

class JournalWriter {
 public:
  // Starts STATE_DIR/HOST.journal (see Chaining above). The caller holds the host's lock.
  JournalWriter(const std::filesystem::path& state_dir, const std::string& host,
                const std::string& apply_id, const std::string& spec_digest,
                const HostSources& sources);
  // Appends to an existing journal (rollback of a previous run).
  explicit JournalWriter(const std::filesystem::path& journal_path);

  void step_started(const JournalStep& s);
  void step_done(int seq);
  void step_failed(int seq, const std::string& error);
  void step_undone(int seq);
  void status(const std::string& status);
  const std::filesystem::path& path() const { return path_; }
  const std::optional<std::string>& previous() const { return previous_; }

 private:
  void append(const std::string& json_line, bool sync = true);
  std::filesystem::path path_;
  UniqueFd fd_;
  std::optional<std::string> previous_;
};

// JSON spelling of an Operation (without `content`) and back; used by the journal.
std::string op_kind_name(plan::OpKind k);
std::optional<plan::OpKind> op_kind_from_name(const std::string& s);
std::optional<plan::ActivationMethod> activation_from_name(const std::string& s);

}  // namespace mvt::apply
