#include "apply/rollback.hpp"

#include <functional>
#include <map>
#include <set>

#include "apply/step_runner.hpp"
#include "apply/temp_files.hpp"
#include "util/errors.hpp"

namespace mvt::apply {

void RollbackReport::append(const RollbackReport& other) {
  auto add = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  add(undone, other.undone);
  add(errors, other.errors);
  add(pending, other.pending);
  add(notes, other.notes);
}

std::vector<Journal> rollback_chain(const std::filesystem::path& state_dir,
                                    const std::string& host) {
  std::vector<Journal> chain;
  auto jn = read_host_journal(state_dir, host);
  if (!jn || jn->status == "rolled-back") return chain;
  chain.push_back(std::move(*jn));
  for (int guard = 0; guard < 100 && chain.back().previous; ++guard) {
    const auto p = state_dir / *chain.back().previous;  // a plain name: checked by read_journal
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) break;
    Journal prev = read_journal(p);
    if (prev.status == "rolled-back") break;
    chain.push_back(std::move(prev));
  }
  return chain;
}

RollbackReport rollback_host(const std::filesystem::path& state_dir, const std::string& host,
                             HostBackends& b, const Timeouts& t, const ProgressFn& progress,
                             int from_seq) {
  RollbackReport rep;
  auto chain = rollback_chain(state_dir, host);
  if (from_seq > 0 && chain.size() > 1) chain.resize(1);  // a batch: this apply's journal only
  if (chain.empty()) {
    rep.nothing_to_do = true;
    return rep;
  }
  struct Reactivation {
    std::string guest;
    plan::Operation op;
    JournalWriter* writer;
    int seq;
    std::string label;
  };
  std::vector<Reactivation> reactivate;  // oldest journal's first activation first
  std::vector<std::unique_ptr<JournalWriter>> writers;
  std::map<std::string, AgentWait> agent_waits;  // per guest: waited once (see rollback.hpp)
  auto wait_agent = [&](const std::string& guest) {
    auto it = agent_waits.find(guest);
    if (it == agent_waits.end())
      it = agent_waits
               .emplace(guest, wait_for_agent(b, host, guest, t.agent_boot,
                                              "before rollback restores its files", progress))
               .first;
    if (it->second.status == AgentWaitStatus::TimedOut) throw Error(it->second.detail);
  };
  // The journal records the progress of the rollback when it can; when it cannot (a full
  // disk: the reserved space is gone), the rollback goes on without journaling more. Each
  // undo restores a before-image, so a later rollback redoing one changes nothing.
  bool journal_ok = true;
  auto journal = [&](const std::function<void()>& write) {
    if (!journal_ok) return;
    try {
      write();
    } catch (const std::exception& e) {
      journal_ok = false;
      rep.notes.push_back(std::string("rolling back without journaling further: ") + e.what());
    }
  };
  for (auto& jn : chain) {
    writers.push_back(std::make_unique<JournalWriter>(jn.path));
    JournalWriter* w = writers.back().get();
    journal([&] { w->status("rolling-back"); });
    for (auto it = jn.steps.rbegin(); it != jn.steps.rend(); ++it) {
      const JournalStep& s = *it;
      if (s.undone || s.seq < from_seq) continue;
      const std::string label = s.id + " " + s.target;
      if (s.op.kind == plan::OpKind::Activate) {
        reactivate.insert(reactivate.begin(), {s.op.guest, s.op, w, s.seq, label});
        continue;
      }
      try {
        const bool guest_file =
            (s.op.kind == plan::OpKind::WriteFile || s.op.kind == plan::OpKind::RemoveFile) &&
            s.op.scope == plan::FileScope::Guest;
        if (guest_file) wait_agent(s.op.guest);
        undo_operation(s, b, t);
        journal([&] { w->step_undone(s.seq); });
        rep.undone.push_back(label);
      } catch (const std::exception& e) {
        rep.errors.push_back(label + ": " + e.what());
      }
    }
  }
  std::set<std::string> seen;
  for (auto& r : reactivate) {
    try {
      if (seen.insert(r.guest).second) activate_guest(host, r.op, true, b, t, rep.pending, progress);
      journal([&] { r.writer->step_undone(r.seq); });
      rep.undone.push_back(r.label);
    } catch (const std::exception& e) {
      rep.errors.push_back(r.label + ": re-activation failed: " + e.what());
    }
  }
  for (auto& w : writers)
    journal([&] {
      w->status(!rep.errors.empty() ? "rollback-incomplete"
                : from_seq > 0      ? "applied"
                                    : "rolled-back");
    });
  // The temp files a crash left beside the files undone (not for a guest whose agent never
  // answered: it cannot be reached).
  std::vector<TempDirRef> dirs;
  for (auto& d : temp_dirs_of(chain, b)) {
    auto it = agent_waits.find(d.guest);
    if (d.guest.empty() || it == agent_waits.end() || it->second.status != AgentWaitStatus::TimedOut)
      dirs.push_back(d);
  }
  remove_temp_files(dirs, rep.notes);
  return rep;
}

}  // namespace mvt::apply
