#pragma once
// Name checks shared by the loader and the rules. Each returns nullopt when the name is fine,
// else the reason, phrased to follow "name 'x' ": e.g. "contains '/'".
#include <optional>
#include <string>

namespace mvt::spec {

// Host and guest names (map keys) end up in file paths, plan targets and command lines
// (at most 64 characters of letters, digits, ".", "_", "-", "+"):
// non-empty, no '/', no "..", no whitespace or control characters, no leading '-'.
std::optional<std::string> object_name_problem(const std::string& name);

// A Linux network interface name (guest devices, host NICs): 1..15 bytes, not "." or "..",
// no '/', ':', whitespace or control characters, no "..", no leading '-'. Not "lo" (the
// loopback device), and not ending in a suffix network-scripts or NetworkManager skip, since
// the name's ifcfg-<name> would then be written and never read (initscripts' is_ignored_file:
// "~", .bak, .old, .orig, .rpmnew, .rpmorig, .rpmsave; NetworkManager's ifcfg-rh also .rej,
// .augnew, .augtmp; editors' .swp) - compared ignoring case.
std::optional<std::string> ifname_problem(const std::string& name);

}  // namespace mvt::spec
