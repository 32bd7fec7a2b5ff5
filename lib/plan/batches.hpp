#pragma once
// Disruption in batches (issue 13, `plan --batch N` / `apply --batch N`): Ansible's `serial`,
// for guests. Within each host (hosts are applied one at a time already), the guests that
// have a disruptive step (a live detach, or an activation: network restart, reboot, cold
// restart - what the planner marks `disruptive`) are cut, in plan order (the order of their
// first step), into groups of at most N: batch 1, 2, ... M. apply runs batch 1, verifies it,
// then batch 2, ...; a batch that fails is rolled back alone and the rollout of that host
// stops (executor.hpp).
//
// Step order (the planner's dependency order stays valid): a batched host's steps become
//   1. its host-scoped steps (host NIC files) and the steps of its guests that restart
//      nothing (a stopped guest's definition, an `activate: none` guest's files), in plan
//      order - they belong to batch 1, run first and are verified with it;
//   2. batch 1's guests' steps, in plan order; then batch 2's; ... batch M's;
//   3. the host's Verify step (batch 0): the full verification, which closes batch M.
// Dependencies only ever name a host NIC file (first) or a step of the same guest (kept in
// order), so every depends_on still names an earlier step. Ids are renumbered s01, s02, ...
// in the new order (depends_on follows). A host without a disruptive guest is not batched
// (its steps keep batch 0). N = 0 leaves the plan untouched, byte for byte.
#include <string>
#include <vector>

#include "plan/plan.hpp"

namespace mvt::plan {

// Reorders and numbers `p` for batches of at most `n` disruptive guests (n >= 1); sets
// p.batch_size. n <= 0: nothing changes.
void apply_batches(Plan& p, int n);

struct BatchInfo {
  std::string host;
  int number = 0;  // 1-based
  int of = 0;      // batches of this host
  std::vector<std::string> guests;    // the disruptive guests restarted in it, in plan order
  std::vector<std::string> step_ids;  // its steps, in order
};

// The batches of a batched plan, by host (name order) then number; empty when not batched.
std::vector<BatchInfo> batches_of(const Plan& p);

// "batch 2 of 3: web3, web4"
std::string batch_title(const BatchInfo& b);

}  // namespace mvt::plan
