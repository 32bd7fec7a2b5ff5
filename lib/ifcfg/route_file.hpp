#pragma once
// route-<dev> files, both formats initscripts reads (sysconfig.txt):
//  - key format: ADDRESSn=, NETMASKn=, GATEWAYn= (an ifcfg::File underneath, lossless);
//  - ip format: one `ip route` argument list per line ("10.20.0.0/16 via 104.50.201.86"),
//    comments and blank lines kept.
// parse() detects the format (any ADDRESSn= line -> key format); write() is lossless.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ifcfg/ifcfg_file.hpp"
#include "model/topology.hpp"

namespace mvt::ifcfg {

class RouteFile {
 public:
  enum class Format { Keys, IpLines };
  static RouteFile parse(std::string_view text);
  std::string write() const;
  Format format() const { return format_; }
  // The routes the file declares, in file order (unsupported lines -> problems()).
  std::vector<Route> routes() const;
  std::vector<Problem> problems() const;
  // Replaces the declared routes, keeping comments and the file's format; for an empty file
  // uses the ip-lines format.
  void set_routes(const std::vector<Route>& routes);
  bool modified() const { return modified_; }

 private:
  Format format_ = Format::IpLines;
  File keys_;                      // Keys format
  std::vector<std::string> lines_; // IpLines format, verbatim (without newline)
  bool final_newline_ = true;
  bool modified_ = false;
  std::vector<Problem> problems_;
};

}  // namespace mvt::ifcfg
