// The mapping of libvirt's agent failures to AgentCallError kinds and messages (the real
// agent is exercised by tests/system/agent_source_test.cpp; these pin the wording).
#include <doctest/doctest.h>
#include <libvirt/virterror.h>

#include "files/agent_source.hpp"

using Failure = mvt::AgentCallError::Failure;

namespace {
bool has(const mvt::AgentCallError& e, const std::string& s) {
  return std::string(e.what()).find(s) != std::string::npos;
}
}  // namespace

TEST_CASE("agent errors are classified and say what to do" * doctest::test_suite("agent")) {
  auto off = mvt::agent_error_from("web1", "guest-ping", VIR_ERR_OPERATION_INVALID,
                                   "Requested operation is not valid: domain is not running");
  CHECK(off.failure() == Failure::NotRunning);
  CHECK(has(off, "web1 is not running"));

  auto none = mvt::agent_error_from("web1", "guest-ping", VIR_ERR_ARGUMENT_UNSUPPORTED,
                                    "argument unsupported: QEMU guest agent is not configured");
  CHECK(none.failure() == Failure::NoChannel);
  CHECK(has(none, "org.qemu.guest_agent.0"));

  auto mute = mvt::agent_error_from("web1", "guest-ping", VIR_ERR_AGENT_UNRESPONSIVE,
                                    "Guest agent is not responding: QEMU guest agent is not connected");
  CHECK(mute.failure() == Failure::NotAnswering);
  CHECK(has(mute, "not answering"));

  auto refused = mvt::agent_error_from(
      "web1", "guest-exec", VIR_ERR_INTERNAL_ERROR,
      "internal error: unable to execute QEMU agent command 'guest-exec': Command guest-exec "
      "has been disabled");
  CHECK(refused.failure() == Failure::Refused);
  CHECK(has(refused, "refuses guest-exec"));
  CHECK(has(refused, "BLACKLIST_RPC"));
  CHECK(has(refused, "/etc/qemu/qemu-ga.conf"));

  auto other = mvt::agent_error_from("web1", "guest-file-open", VIR_ERR_INTERNAL_ERROR,
                                     "failed to open file '/x': Permission denied");
  // A file RPC denied by the guest's policy (SELinux): refused, with what the guest needs.
  CHECK(other.failure() == Failure::Refused);
  CHECK(has(other, "Permission denied"));
  CHECK(has(other, "virt_qemu_ga_read_nonsecurity_files"));
  auto gone = mvt::agent_error_from("web1", "guest-ping", VIR_ERR_NO_DOMAIN, "no domain");
  CHECK(gone.failure() == Failure::NotRunning);
  CHECK(has(gone, "does not exist"));
}
