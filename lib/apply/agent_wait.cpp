#include "apply/agent_wait.hpp"

#include <fmt/format.h>

#include "files/agent_source.hpp"
#include "util/errors.hpp"

namespace mvt::apply {
namespace {

using Clock = std::chrono::steady_clock;
using Failure = AgentCallError::Failure;

std::string seconds(std::chrono::milliseconds d) {
  return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

std::chrono::milliseconds since(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
}

}  // namespace

AgentWait wait_for_agent(HostBackends& b, const std::string& host, const std::string& guest,
                         std::chrono::milliseconds bound, const std::string& why,
                         const ProgressFn& progress) {
  AgentWait w;
  auto it = b.guest_files.find(guest);
  auto* agent = it == b.guest_files.end() ? nullptr : dynamic_cast<AgentSource*>(it->second);
  if (!agent) return w;  // NotAgent
  const auto t0 = Clock::now();
  std::string first_error;
  try {
    agent->ping(std::chrono::seconds(5));
    w.status = AgentWaitStatus::Ready;
    return w;
  } catch (const AgentCallError& e) {
    switch (e.failure()) {
      case Failure::NoChannel:
        w.status = AgentWaitStatus::NoChannel;
        w.detail = e.what();
        return w;
      case Failure::NotRunning:
        w.status = AgentWaitStatus::NotRunning;
        w.detail = e.what();
        return w;
      case Failure::Refused:
        w.status = AgentWaitStatus::Ready;
        return w;
      case Failure::NotAnswering:
      case Failure::CommandFailed:
        first_error = e.what();
        break;
    }
  }
  const std::string who = "guest agent of " + guest + " on " + host;
  if (progress)
    progress("waiting up to " + seconds(bound) + " for the " + who + " (" + why +
             "; still booting?)");
  bool answered = false;
  try {
    answered = agent->wait_until_ready(bound);
  } catch (const AgentCallError& e) {  // NoChannel/Refused surfaced while polling
    if (e.failure() == Failure::Refused) {
      answered = true;
    } else {
      w.status = e.failure() == Failure::NoChannel ? AgentWaitStatus::NoChannel
                                                   : AgentWaitStatus::NotRunning;
      w.detail = e.what();
      w.waited = since(t0);
      return w;
    }
  }
  w.waited = since(t0);
  if (answered) {
    w.status = AgentWaitStatus::Ready;
    w.detail = who + " answered after " + seconds(w.waited);
    if (progress) progress(w.detail);
    return w;
  }
  w.status = AgentWaitStatus::TimedOut;
  w.detail = "guest " + guest + " on host " + host + ": its guest agent did not answer within " +
             seconds(bound) + " (" + why + "; first error: " + first_error +
             "); check the guest's console (virsh console " + guest +
             ") and that qemu-guest-agent starts at boot";
  return w;
}

AgentWait require_agent(HostBackends& b, const std::string& host, const std::string& guest,
                        std::chrono::milliseconds bound, const std::string& why,
                        const ProgressFn& progress) {
  AgentWait w = wait_for_agent(b, host, guest, bound, why, progress);
  if (w.status == AgentWaitStatus::TimedOut) throw Error(w.detail);
  return w;
}

}  // namespace mvt::apply
