#pragma once
// The NetworkManager keyfile format (RHEL 9/10, Fedora: nm-settings-keyfile(5)) behind
// netconf::Format. Files: etc/NetworkManager/system-connections/*.nmconnection, one profile
// each, named freely (a new profile: "<device>.nmconnection").
//
// Reading (keyfile_profile.cpp; one set of rules for `show` and `diff`):
//  - device: [connection] interface-name (a profile matched by MAC only has device "");
//    MAC pin: [ethernet] mac-address (also the old group name [802-3-ethernet]); a profile
//    is matched to its device by the MAC, else by interface-name; two profiles for one device
//    (same MAC, or same interface-name where one has no MAC) are an error naming them
//    ("keyfile.several-profiles": NetworkManager would activate only one);
//  - [ipv4] method manual -> static, auto -> dhcp (addressN kept as extra static addresses,
//    as NetworkManager adds them to the lease), disabled -> disabled; link-local and shared
//    are not the model's (ipv4 not said; the method is listed as unmanaged); no method but
//    addresses -> static;
//  - [ipv6] method manual -> static, auto -> auto, dhcp -> dhcp, disabled and ignore ->
//    disabled (ifcfg's IPV6INIT=no reads so too; "ignore" is also listed as unmanaged);
//    link-local and shared: not the model's;
//  - addressN (N from 0 or 1, and the unnumbered and "addresses" spellings, in NetworkManager's
//    order) "ADDR/PLEN[,GATEWAY]": the old gateway-in-address form counts when `gateway=` is
//    absent; gateway=;
//  - never-default -> defroute / ipv6_defroute (inverted), [ipv4] ignore-auto-dns -> peerdns
//    (inverted), dns lists of both families ([ipv4] first), routeN "DEST/PLEN,VIA[,METRIC]"
//    of both families (a route without a next hop is kept and listed as unmanaged),
//    [ethernet] mtu (0 = automatic: not said);
//  - id, uuid and may-fail are the tool's policy keys (written in new profiles); every other
//    key is InterfaceConfig::unmanaged (kept by every edit, shown as comments);
//  - a file GKeyFile refuses (keyfile_file.hpp) is an error ("keyfile.unloadable":
//    NetworkManager ignores such a profile) and the file is neither read nor edited; an
//    undecodable value is an error in a key the model reads, else a warning;
//  - a profile NetworkManager would ignore because of its owner or mode (not root, or any
//    group/other permission bit) is a warning ("keyfile.ignored-by-nm") when the file source
//    reports them.
//
// Editing: only managed keys whose values differ are rewritten, in place; new keys go after
// the group's last key. A new profile: the header, [connection] id (the device), uuid (UUID
// v5 of host/guest/device, the ifcfg format's), type=ethernet, interface-name, [ethernet]
// mac-address (the pin) and mtu, [ipv4] and [ipv6] with everything the spec declares
// (may-fail=false for static IPv4, as the ifcfg format's IPV4_FAILURE_FATAL=yes;
// never-default=true for IPv6 when neither ipv6_defroute nor an IPv6 gateway is declared, as
// its IPV6_DEFROUTE=no; no ipv6 in the spec: method disabled, as its IPV6INIT=no). A gateway
// in a family whose profile says never-default=true is a warning: NetworkManager drops it. Every edit is written with mode 0600. A renamed device
// (same MAC) keeps its profile: interface-name (and an id equal to the old name) change.
#include "netconf/format.hpp"

namespace mvt::keyfile {

const netconf::Format& format();

}  // namespace mvt::keyfile
