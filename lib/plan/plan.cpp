#include "plan/plan.hpp"

namespace mvt::plan {

std::string to_string(Action a) {
  switch (a) {
    case Action::Create: return "create";
    case Action::Update: return "update";
    case Action::Replace: return "replace";
    case Action::Delete: return "delete";
    case Action::Activate: return "activate";
    case Action::Verify: return "verify";
  }
  return "update";
}

std::string to_string(OpKind k) {
  switch (k) {
    case OpKind::WriteFile: return "write-file";
    case OpKind::RemoveFile: return "remove-file";
    case OpKind::DefineInterface: return "define-interface";
    case OpKind::LiveAttach: return "live-attach";
    case OpKind::LiveDetach: return "live-detach";
    case OpKind::Activate: return "activate";
    case OpKind::Verify: return "verify";
  }
  return "verify";
}

std::string to_string(ActivationMethod m) {
  switch (m) {
    case ActivationMethod::None: return "none";
    case ActivationMethod::RestartNetwork: return "restart-network";
    case ActivationMethod::Reboot: return "reboot";
    case ActivationMethod::ColdRestart: return "cold-restart";
  }
  return "none";
}

bool Plan::has_changes() const {
  for (const auto& s : steps)
    if (s.action != Action::Verify) return true;
  return false;
}

std::vector<std::string> Plan::unobserved_hosts() const {
  std::vector<std::string> out;
  for (const auto& [name, st] : hosts)
    if (!st.observed) out.push_back(name);
  return out;
}

}  // namespace mvt::plan
