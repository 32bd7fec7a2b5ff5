#pragma once
// route-<dev> files, both formats initscripts reads (sysconfig.txt):
//  - key format: ADDRESSn=, NETMASKn=, GATEWAYn= (an ifcfg::File underneath, lossless);
//  - ip format: one `ip route` argument list per line ("10.20.0.0/16 via 104.50.201.86"),
//    comments and blank lines kept.
// parse() detects the format (any ADDRESSn= assignment -> key format); write() is lossless.
//
// The model's Route is "network via gateway". What it cannot represent is reported by
// problems() and left out of routes(), never silently dropped from the file:
//  - key format: groups are read consecutively from 0 and stop at the first missing
//    ADDRESSn (as initscripts' ifup-routes); a group without a usable GATEWAYn, with
//    OPTIONSn, a non-numeric METRICn or with host bits set is a problem (line of ADDRESSn);
//  - ip format: "[to] DEST [via GW] [dev DEV] [metric N]" where DEST is default, ADDR or
//    ADDR/p of the file's family (route6-<dev>: IPv6, ip lines only); any other attribute
//    (src, mtu, route types such as local) makes the line a problem (its line and column).
//    Comment and blank lines are not routes.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netconf/ifcfg/ifcfg_file.hpp"
#include "model/interface_config.hpp"

namespace mvt::ifcfg {

class RouteFile {
 public:
  enum class Format { Keys, IpLines };
  // `family`: V4 for route-<dev> (both formats), V6 for route6-<dev> (ip lines only).
  static RouteFile parse(std::string_view text, IpFamily family = IpFamily::V4);
  std::string write() const;
  Format format() const { return format_; }
  // The routes the file declares, in file order (unsupported lines -> problems()).
  std::vector<Route> routes() const;
  std::vector<Problem> problems() const;
  // Replaces the declared routes, keeping comments and the file's format; for an empty file
  // uses the ip-lines format. Key format: group i is rewritten in place only when its route
  // differs (its METRICi/OPTIONSi then removed); groups beyond the list are removed.
  // Ip format: lines of routes still wanted stay verbatim (first occurrence), other modelled
  // route lines are removed, problem lines are kept, missing routes are appended as
  // "NET/P via GW" lines. routes() afterwards holds the same set (order may differ).
  void set_routes(const std::vector<Route>& routes);
  bool modified() const { return modified_; }

 private:
  Format format_ = Format::IpLines;
  IpFamily family_ = IpFamily::V4;
  File keys_;                       // Keys format
  std::vector<std::string> lines_;  // IpLines format, verbatim (without newline)
  bool final_newline_ = true;
  bool modified_ = false;
  std::vector<Problem> problems_;
};

}  // namespace mvt::ifcfg
