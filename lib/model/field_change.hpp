#pragma once
// FieldChange: one field's value before and after, for people (plan steps, renderers).
// Below diff and plan, so that both use it without including each other.
#include <optional>
#include <string>

namespace mvt {

struct FieldChange {
  std::string field;                  // "DEFROUTE", "source.mode", "model", ...
  std::optional<std::string> before;  // nullopt = absent
  std::optional<std::string> after;   // nullopt = removed
};

// Whether a host of the spec was observed (issue 13: one host's trouble is reported, never
// contagious). Every host the plan considered has an entry, observed or not.
struct HostStatus {
  bool observed = true;
  std::string uri;    // the libvirt URI observed (or tried)
  std::string error;  // !observed: why ("cannot connect to URI: ...", "timed out ...")
};

}  // namespace mvt
