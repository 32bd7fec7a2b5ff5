#include "plan/batches.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace mvt::plan {

void apply_batches(Plan& p, int n) {
  if (n <= 0) return;
  p.batch_size = n;
  std::vector<std::string> host_order;
  std::map<std::string, std::vector<Step>> by_host;
  for (auto& s : p.steps) {
    if (!by_host.count(s.host)) host_order.push_back(s.host);
    by_host[s.host].push_back(std::move(s));
  }
  std::vector<Step> out;
  for (const auto& h : host_order) {
    auto& steps = by_host[h];
    // Guests in the order of their first step; those with a disruptive step are batched.
    std::vector<std::string> guests;
    std::set<std::string> seen, disruptive;
    for (const auto& s : steps) {
      if (s.op.guest.empty()) continue;
      if (seen.insert(s.op.guest).second) guests.push_back(s.op.guest);
      if (s.disruptive) disruptive.insert(s.op.guest);
    }
    std::map<std::string, int> batch_of;
    int k = 0;
    for (const auto& g : guests)
      if (disruptive.count(g)) batch_of[g] = 1 + (k++) / n;
    if (batch_of.empty()) {
      for (auto& s : steps) out.push_back(std::move(s));
      continue;
    }
    const int batches = 1 + (k - 1) / n;
    auto batch = [&](const Step& s) {
      auto it = batch_of.find(s.op.guest);
      return it == batch_of.end() ? 0 : it->second;
    };
    for (auto& s : steps)  // host files, guests that restart nothing: first, in batch 1
      if (s.op.kind != OpKind::Verify && batch(s) == 0) {
        s.batch = 1;
        out.push_back(s);
      }
    for (int b = 1; b <= batches; ++b)
      for (auto& s : steps)
        if (s.op.kind != OpKind::Verify && batch(s) == b) {
          s.batch = b;
          out.push_back(s);
        }
    for (auto& s : steps)
      if (s.op.kind == OpKind::Verify) {
        s.batch = 0;
        out.push_back(s);
      }
  }
  // Ids in the new order (the planner's width), depends_on renamed.
  const std::size_t width = std::max<std::size_t>(2, std::to_string(out.size()).size());
  std::map<std::string, std::string> rename;
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::string id = std::to_string(i + 1);
    if (id.size() < width) id.insert(0, width - id.size(), '0');
    rename[out[i].id] = "s" + id;
  }
  for (auto& s : out) {
    s.id = rename[s.id];
    for (auto& d : s.depends_on) d = rename.count(d) ? rename[d] : d;
    std::sort(s.depends_on.begin(), s.depends_on.end());
  }
  p.steps = std::move(out);
}

std::vector<BatchInfo> batches_of(const Plan& p) {
  std::map<std::string, std::map<int, BatchInfo>> hosts;
  for (const auto& s : p.steps) {
    if (s.batch <= 0) continue;
    BatchInfo& b = hosts[s.host][s.batch];
    b.host = s.host;
    b.number = s.batch;
    b.step_ids.push_back(s.id);
    if (s.disruptive && !s.op.guest.empty() &&
        std::find(b.guests.begin(), b.guests.end(), s.op.guest) == b.guests.end())
      b.guests.push_back(s.op.guest);
  }
  std::vector<BatchInfo> out;
  for (auto& [h, bs] : hosts) {
    const int of = bs.empty() ? 0 : bs.rbegin()->first;
    for (auto& [n, b] : bs) {
      b.of = of;
      out.push_back(std::move(b));
    }
  }
  return out;
}

std::string batch_title(const BatchInfo& b) {
  std::string t = "batch " + std::to_string(b.number) + " of " + std::to_string(b.of) + ":";
  if (b.guests.empty()) return t + " (no guest restarted)";
  for (std::size_t i = 0; i < b.guests.size(); ++i) t += (i ? ", " : " ") + b.guests[i];
  return t;
}

}  // namespace mvt::plan
