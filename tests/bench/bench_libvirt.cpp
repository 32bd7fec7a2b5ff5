#include "bench_libvirt.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <csignal>
#include <cstdlib>
#include <memory>

namespace mvt::bench {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_signal(int) { g_interrupted = 1; }

struct ConnClose {
  void operator()(virConnectPtr c) const { virConnectClose(c); }
};
struct DomFree {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
struct CharFree {
  void operator()(char* p) const { std::free(p); }
};
using Conn = std::unique_ptr<virConnect, ConnClose>;
using Dom = std::unique_ptr<virDomain, DomFree>;
using Chars = std::unique_ptr<char, CharFree>;

void quiet(void*, virErrorPtr) {}

std::runtime_error failure(const std::string& what) {
  const virError* e = virGetLastError();
  return std::runtime_error(what + ": " + (e && e->message ? e->message : "libvirt error"));
}

Conn open(const std::string& uri, bool read_only) {
  virSetErrorFunc(nullptr, quiet);
  Conn c(read_only ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str()));
  if (!c) throw failure("cannot connect to " + uri);
  return c;
}

std::vector<Dom> list_all(virConnectPtr c) {
  virDomainPtr* doms = nullptr;
  const int n = virConnectListAllDomains(c, &doms, 0);
  if (n < 0) throw failure("cannot list domains");
  std::vector<Dom> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k) out.emplace_back(doms[k]);
  std::free(doms);
  return out;
}

// Index of an mvtbench-NNNNN name, or -1.
int bench_index(const char* name) {
  static constexpr std::string_view prefix = "mvtbench-";
  const std::string_view n(name ? name : "");
  if (n.size() != prefix.size() + 5 || n.substr(0, prefix.size()) != prefix) return -1;
  int v = 0;
  for (char ch : n.substr(prefix.size())) {
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  return v;
}

void undefine(virDomainPtr d) {
  if (virDomainIsActive(d) == 1) virDomainDestroy(d);
  if (virDomainUndefineFlags(d, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                    VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                                    VIR_DOMAIN_UNDEFINE_NVRAM) < 0)
    throw failure(std::string("cannot undefine ") + virDomainGetName(d));
}

}  // namespace

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

void check_interrupted() {
  if (g_interrupted) throw Interrupted();
}

FloorResult floor_list_xml(const std::vector<std::string>& uris) {
  FloorResult r;
  for (const auto& uri : uris) {
    Conn c = open(uri, true);
    for (auto& d : list_all(c.get())) {
      Chars xml(virDomainGetXMLDesc(d.get(), VIR_DOMAIN_XML_INACTIVE));
      if (!xml) {
        const virError* e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_DOMAIN) continue;  // another user's domain went away
        throw failure("cannot read domain XML");
      }
      r.xml_bytes += std::char_traits<char>::length(xml.get());
      ++r.domains;
    }
  }
  return r;
}

void floor_define(const std::string& uri, const std::vector<std::string>& xmls) {
  Conn c = open(uri, false);
  for (const auto& x : xmls) {
    Dom d(virDomainDefineXML(c.get(), x.c_str()));
    if (!d) throw failure("cannot define a domain");
  }
}

std::map<std::string, std::string> inactive_xml_of(const std::string& uri,
                                                    const std::vector<std::string>& names) {
  Conn c = open(uri, true);
  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    Dom d(virDomainLookupByName(c.get(), n.c_str()));
    if (!d) throw failure("cannot find domain " + n);
    Chars xml(virDomainGetXMLDesc(d.get(), VIR_DOMAIN_XML_INACTIVE));
    if (!xml) throw failure("cannot read the XML of " + n);
    out.emplace(n, xml.get());
  }
  return out;
}

FixtureStats ensure_domains(const std::string& uri, const Shape& s,
                            const std::function<void(int, int)>& progress) {
  FixtureStats st;
  Conn c = open(uri, false);
  std::vector<bool> ok(static_cast<std::size_t>(s.guests), false);
  for (auto& d : list_all(c.get())) {
    check_interrupted();
    const int i = bench_index(virDomainGetName(d.get()));
    if (i < 0) continue;
    if (i >= s.guests) {
      undefine(d.get());
      ++st.removed;
      continue;
    }
    Chars xml(virDomainGetXMLDesc(d.get(), VIR_DOMAIN_XML_INACTIVE));
    const std::string want = "<description>" + stamp(i, s) + "</description>";
    if (xml && std::string_view(xml.get()).find(want) != std::string_view::npos &&
        virDomainIsActive(d.get()) == 0) {
      ok[static_cast<std::size_t>(i)] = true;
      ++st.reused;
    }
  }
  const int todo = s.guests - st.reused;
  int done = 0;
  for (int i = 0; i < s.guests; ++i) {
    if (ok[static_cast<std::size_t>(i)]) continue;
    check_interrupted();
    if (Dom old{virDomainLookupByName(c.get(), guest_name(i).c_str())}) undefine(old.get());
    const std::string x = qemu_domain_xml(i, s);
    Dom d(virDomainDefineXML(c.get(), x.c_str()));
    if (!d) throw failure("cannot define " + guest_name(i));
    ++st.defined;
    if (++done % 500 == 0 && progress) progress(done, todo);
  }
  return st;
}

int remove_all_bench_domains(const std::string& uri, std::string* error) {
  int n = 0;
  try {
    Conn c = open(uri, false);
    for (auto& d : list_all(c.get())) {
      if (bench_index(virDomainGetName(d.get())) < 0) continue;
      undefine(d.get());
      ++n;
    }
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  }
  return n;
}

}  // namespace mvt::bench
