#include <doctest/doctest.h>

#include "spec/guard.hpp"

using namespace mvt;

namespace {
Topology one_host(const std::string& uri, FileSourceSpec files) {
  Topology t;
  Host h;
  h.name = "kvm1";
  h.uri = uri;
  h.files = files;
  h.pos[""] = {"spec.yaml", 3, 3};
  h.pos["uri"] = {"spec.yaml", 4, 10};
  Guest g;
  g.name = "web1";
  g.guest_files = {FileSourceKind::Dir, "/srv/lab/guest"};
  h.guests["web1"] = g;
  t.hosts["kvm1"] = h;
  return t;
}
}  // namespace

TEST_CASE("guard: empty allow-lists allow everything" * doctest::test_suite("security")) {
  Diagnostics d;
  check_guard(one_host("qemu+ssh://root@evil/system", {FileSourceKind::Local, ""}), Guard{}, d);
  CHECK(d.empty());
}

TEST_CASE("guard: URIs outside the allow-list are refused at their position" *
          doctest::test_suite("security")) {
  Guard g;
  g.uris = {"qemu:///system"};  // a path is matched exactly, never as a glob
  Diagnostics d;
  check_guard(one_host("qemu+ssh://root@evil/system", {FileSourceKind::None, ""}), g, d);
  REQUIRE(d.error_count() == 1);
  CHECK(d.items()[0].rule == "guard.uri-not-allowed");
  CHECK(d.items()[0].pos.line == 4);
  Diagnostics ok;
  check_guard(one_host("qemu:///system", {FileSourceKind::None, ""}), g, ok);
  CHECK(ok.empty());
  Diagnostics other;
  check_guard(one_host("qemu:///system/", {FileSourceKind::None, ""}), g, other);
  CHECK(other.error_count() == 1);
}

TEST_CASE("guard: dir roots must lie inside an allowed root, local is root /" *
          doctest::test_suite("security")) {
  Guard g;
  g.roots = {"/srv/lab"};
  Diagnostics d;
  check_guard(one_host("test:///default", {FileSourceKind::Dir, "/srv/lab/../../etc"}), g, d);
  CHECK(d.error_count() == 1);  // host files escape; guest files inside
  Diagnostics d2;
  check_guard(one_host("test:///default", {FileSourceKind::Local, ""}), g, d2);
  CHECK(d2.error_count() == 1);
  Diagnostics d3;
  check_guard(one_host("test:///default", {FileSourceKind::Dir, "/srv/lab/host"}), g, d3);
  CHECK(d3.empty());
}
