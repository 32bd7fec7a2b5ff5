#pragma once
// The transient systemd timer of `apply --try`: it reverts an unconfirmed try even when the
// waiting process died (kill -9, a lost SSH session) and nobody runs macvtapctl again.
//
// Where systemd is the service manager (/run/systemd/system exists: sd_booted()'s test),
// `apply --try=S` runs, without a shell:
//   systemd-run --unit=macvtapctl-try-HOST-ID --on-active=SECONDS --timer-property=AccuracySec=1s
//     --description=... EXE [--allow-uri P]... rollback --host HOST --expired-try ID
//     --state-dir DIR
// SECONDS is the time left to the try's deadline plus kTimerMarginSeconds; EXE is this very
// binary (/proc/self/exe). `rollback --expired-try ID` acts only when HOST's journal is
// still that try, unconfirmed and past its deadline, and does nothing otherwise (the
// waiting process rolled back or was confirmed, a later apply replaced the journal).
// `confirm` and a successful rollback stop the timer (systemctl stop UNIT.timer); a failure
// to start or stop it is a note, never fatal: without the timer the next macvtapctl apply,
// rollback or confirm on the host reverts the expired try (try_deadline.hpp).
//
// Test-only override (like MVT_FAULT_AFTER_STEP in executor.hpp): MVT_TEST_SYSTEMD_PRESENT=1
// makes systemd_present() true, =0 false, whatever /run/systemd/system says. It exists
// because no systemd manager can run in the test container (systemd is not PID 1 there):
// the tests put a fake systemd-run/systemctl first in PATH (tests/unit/fake_systemd/) and
// force the detection. Nothing else reads it.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mvt::apply {

inline constexpr long long kTimerMarginSeconds = 2;

// Whether systemd is the running service manager (see the override above).
bool systemd_present();

// "macvtapctl-try-HOST-ID": host and id escaped for a unit name ([A-Za-z0-9_-] kept, other
// bytes as \xNN, as systemd-escape does), so the name is one the journal reader accepts.
std::string try_timer_unit(const std::string& host, const std::string& apply_id);

// This binary's absolute path (/proc/self/exe).
std::filesystem::path self_executable();

// How `apply` starts timers: disabled by default (library users and in-process tests start
// none); the CLI enables it where systemd_present().
struct TryTimerConfig {
  bool enabled = false;
  std::filesystem::path exe;              // the macvtapctl the timer runs
  std::vector<std::string> global_args;   // put before `rollback` (the trust guard's options)
};

// The argv of systemd-run for one host's try (see above).
std::vector<std::string> try_timer_argv(const TryTimerConfig& c,
                                        const std::filesystem::path& state_dir,
                                        const std::string& host, const std::string& apply_id,
                                        long long on_active_seconds);

// Starts the timer; the error ("systemd-run: ...") when it could not.
std::optional<std::string> start_try_timer(const std::vector<std::string>& argv);

// `systemctl stop UNIT.timer`; the error when it failed (a note for the caller).
std::optional<std::string> cancel_try_timer(const std::string& unit);

}  // namespace mvt::apply
