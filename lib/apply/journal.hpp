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
//   try     {apply_id, deadline, pid, timer_unit}        written right before status
//                        "trying" (apply --try): the deadline (absolute, UTC
//                        "2026-11-24T00:42:00Z"), the waiting process, the transient systemd
//                        timer that reverts it ("" when none was started). At most one, its
//                        apply_id the begin record's, every field checked (try_deadline.hpp:
//                        what later commands do with an expired try). Added in the same
//                        format 2: journals without it read as before; a macvtapctl older
//                        than the record refuses a journal that has one ("unknown record").
// File bytes are base64 (JSON strings must be UTF-8; files need not be).
//
// Chaining: starting a journal while HOST.journal is unfinished (its last status is not
// applied or rolled-back: the apply crashed, or its rollback did not complete) moves the old
// one to HOST.journal.APPLYID and names it in `previous`, so a rollback undoes both and
// restores the state from before the first of them.
//
// Each line is {"c":SHA256,"r":RECORD}: the checksum of the record's exact bytes (format 2).
// A complete line that does not check out, anywhere in the file, makes the reader refuse the
// journal naming the record; only an unfinished last line (no newline: a crash while
// appending) is ignored, and a writer reopening the journal trims it first. Format-1
// journals (no checksums) are refused with a message saying how to retire them.
// The chaining keeps the old journal under a second name (link) before the new one replaces
// HOST.journal (rename), so a crash at any point leaves HOST.journal naming a complete chain.
// Files are opened with O_NOFOLLOW and must pass open_state_file() (state_dir.hpp).
//
// Space: before each step record the writer reserves (fallocate KEEP_SIZE) room beyond it
// for the rollback's records, so a full disk fails the next step, not the rollback.
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

// The try record (apply --try): when the unconfirmed change expires.
struct TryRecord {
  std::string apply_id;
  std::string deadline;        // UTC "2026-11-24T00:42:00Z"
  long long deadline_epoch = 0;  // the same, seconds since the epoch
  long pid = 0;                // the waiting process
  std::string timer_unit;      // "macvtapctl-try-HOST-ID" or "" (no timer started)
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
  std::optional<TryRecord> try_record;  // apply --try: its deadline
  // applied or rolled-back: nothing left to finish.
  bool finished() const { return status == "applied" || status == "rolled-back"; }
};

inline constexpr int kJournalFormat = 2;

// Reads a journal file; throws Error when it is missing, unsafe (state_dir.hpp), or a
// complete record is damaged ("journal P is damaged at record N (line N): ...").
Journal read_journal(const std::filesystem::path& path);
// STATE_DIR/HOST.journal, nullopt when absent.
std::optional<Journal> read_host_journal(const std::filesystem::path& state_dir,
                                         const std::string& host);
// Whether `name` may be the `previous` of `journal`: HOST.journal.APPLYID of the same host,
// no directory part.
bool valid_previous_name(const std::string& name, const std::filesystem::path& journal);
// Host names (from begin records) of every HOST.journal in the state dir, sorted. Throws
// like read_journal() for a journal it cannot trust.
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
  // The try record (see above); the caller then writes status("trying").
  void try_deadline(const TryRecord& t);
  const std::filesystem::path& path() const { return path_; }
  const std::optional<std::string>& previous() const { return previous_; }

 private:
  // Appends one record (checksummed line, one write()); on failure the file is cut back to
  // where it was. `reserve`: first reserve the space (see Space above).
  void append(const std::string& record, bool sync = true, bool reserve = false);
  static constexpr std::size_t kReserveBase = 64 * 1024;
  static constexpr std::size_t kReservePerStep = 512;
  std::size_t reserved_ = 0;
  std::filesystem::path path_;
  UniqueFd fd_;
  std::optional<std::string> previous_;
};

// JSON spelling of an Operation (without `content`) and back; used by the journal.
std::string op_kind_name(plan::OpKind k);
std::optional<plan::OpKind> op_kind_from_name(const std::string& s);
std::optional<plan::ActivationMethod> activation_from_name(const std::string& s);

// Strict UTC "YYYY-MM-DDTHH:MM:SSZ" (what utc_timestamp() writes) to seconds since the
// epoch; nullopt for anything else (a field out of range, another zone, extra bytes).
std::optional<long long> parse_utc_timestamp(const std::string& s);

}  // namespace mvt::apply
