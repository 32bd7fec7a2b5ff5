#include "spec/decode.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <functional>
#include <tuple>

#include "netconf/format.hpp"
#include "spec/names.hpp"
#include "spec/value_reader.hpp"

namespace mvt::spec {
namespace {

const Keys kTopKeys = {"version", "hosts"};
const Keys kHostKeys = {"uri", "files", "config_format", "nics", "guests"};
const Keys kNicKeys = {"mac", "config", "kind", "parent", "id"};
const Keys kGuestKeys = {"guest_files", "config_format", "activate", "verify", "interfaces"};
const Keys kIfaceKeys = {"name",     "network", "direct", "mac",    "model",         "ipv4",
                         "defroute", "ipv6",    "ipv6_defroute",   "peerdns", "dns",
                         "routes",   "verify"};
const Keys kVerifyKeys = {"reach"};
const Keys kDirectKeys = {"dev", "mode", "trust_guest_rx_filters", "mtu"};
const Keys kIpv4Keys = {"address", "gateway"};
const Keys kIpv6Keys = {"method", "addresses", "gateway"};
const Keys kIpv6Methods = {"static", "auto", "dhcp", "disabled"};
const Keys kRouteKeys = {"to", "via", "metric"};

std::optional<Ipv6Method> parse_ipv6_method(const std::string& s) {
  if (s == "static") return Ipv6Method::Static;
  if (s == "auto") return Ipv6Method::Auto;
  if (s == "dhcp") return Ipv6Method::Dhcp;
  if (s == "disabled") return Ipv6Method::Disabled;
  return std::nullopt;
}

class Decoder : public ValueReader {
 public:
  explicit Decoder(Diagnostics& d, bool consume = false) : ValueReader(d), consume_(consume) {}

  Topology topology(const SpecNode& root) {
    Topology t;
    if (!expect_map(root, "the spec")) return t;
    check_keys(root, kTopKeys, "at the top level");
    const SpecNode* hosts = root.find("hosts");
    if (!hosts) {
      d_.error(root.pos, "spec.missing-key", "missing required key 'hosts'");
      return t;
    }
    if (hosts->is_null()) return t;
    if (!expect_map(*hosts, "'hosts'")) return t;
    for (const auto& e : hosts->entries)
      if (name_ok(e, "host")) t.hosts[e.key] = host(e);
    return t;
  }

  void header(const SpecNode& root) {
    if (!expect_map(root, "the spec")) return;
    const SpecNode* v = root.find("version");
    if (!v) {
      d_.error(root.pos, "spec.version", "missing 'version: 1' (the only spec version)");
      return;
    }
    const ScalarKind k = v->scalar_kind();
    if (k != ScalarKind::Int && k != ScalarKind::Float) {
      d_.error(v->pos, "spec.version", "'version' must be the number 1, got " + v->describe() +
                                           (v->is_scalar() ? " " + quote(v->text) : ""));
    } else if (!is_portable_one(v->text)) {
      d_.error(v->pos, "spec.version",
               "unsupported spec version " + (v->is_scalar() ? quote(v->text) : v->describe()) +
                   " (this macvtapctl reads version 1 only)");
    }
  }

 private:
  const bool consume_;  // the tree is the decoder's own: free what is decoded

  Host host(const SpecNode::Entry& e) {
    Host h;
    h.name = e.key;
    h.pos[""] = e.key_pos;
    const SpecNode& n = e.value;
    if (!expect_map(n, "host " + quote(e.key))) return h;
    check_keys(n, kHostKeys, "in host " + quote(e.key));
    if (auto* v = n.find("uri")) {
      h.pos["uri"] = v->pos;
      if (auto u = uri(*v)) h.uri = *u;
    } else {
      d_.error(e.key_pos, "spec.missing-key", "host " + quote(e.key) + " needs a 'uri'");
    }
    if (auto* v = n.find("files")) {
      h.pos["files"] = v->pos;
      if (auto f = file_source(*v, "files",
                               {FileSourceKind::Local, FileSourceKind::Dir, FileSourceKind::Ssh,
                                FileSourceKind::None},
                               "local | dir:PATH | ssh://[USER@]HOST | none"))
        h.files = *f;
    }
    if (auto* v = n.find("config_format")) {
      h.pos["config_format"] = v->pos;
      if (auto f = config_format(*v)) h.config_format = *f;
    }
    if (auto* v = n.find("nics"); v && !v->is_null()) {
      h.pos["nics"] = v->pos;
      if (expect_map(*v, "'nics'"))
        for (const auto& ne : v->entries) {
          key_is_string(ne, "NIC");
          h.nics[ne.key] = nic(ne);
        }
    }
    if (auto* v = n.find("guests"); v && !v->is_null()) {
      h.pos["guests"] = v->pos;
      if (expect_map(*v, "'guests'"))
        for (const auto& ge : v->entries) {
          if (name_ok(ge, "guest")) h.guests[ge.key] = guest(ge);
          // A consuming decode owns the tree (decode_topology(SpecNode&&)): this guest's
          // subtree is not read again.
          if (consume_) const_cast<SpecNode&>(ge.value) = SpecNode{};
        }
    }
    return h;
  }

  // `config_format:`: auto or a registered format's name (netconf/registry.cpp).
  std::optional<std::string> config_format(const SpecNode& n) {
    Keys allowed{kAutoFormat};
    for (const auto* f : netconf::formats()) allowed.insert(allowed.end(), std::string(f->name()));
    return enum_value<std::string>(n, "config_format", allowed,
                                   [&](const std::string& s) -> std::optional<std::string> {
                                     for (const auto& a : allowed)
                                       if (a == s) return s;
                                     return std::nullopt;
                                   });
  }

  HostNic nic(const SpecNode::Entry& e) {
    HostNic c;
    c.name = e.key;
    c.pos[""] = e.key_pos;
    const SpecNode& n = e.value;
    if (n.is_null()) return c;
    if (!expect_map(n, "NIC " + quote(e.key))) return c;
    check_keys(n, kNicKeys, "in NIC " + quote(e.key));
    if (auto* v = n.find("mac")) {
      c.pos["mac"] = v->pos;
      c.mac = mac(*v, "mac");
    }
    if (auto* v = n.find("config")) {
      c.pos["config"] = v->pos;
      if (auto x = enum_value<NicConfig>(*v, "config", {"unconfigured", "host"}, parse_nic_config))
        c.config = *x;
    }
    if (auto* v = n.find("kind")) {
      c.pos["kind"] = v->pos;
      c.kind = enum_value<NicKind>(*v, "kind", {"ethernet", "vlan", "bond", "team"}, parse_nic_kind);
    }
    if (auto* v = n.find("parent")) {
      c.pos["parent"] = v->pos;
      if (auto s = str(*v, "parent")) c.parent = *s;
    }
    if (auto* v = n.find("id")) {
      c.pos["id"] = v->pos;
      if (auto k = decimal(*v, "id")) {
        if (*k >= 1 && *k <= 4094)
          c.vlan_id = static_cast<int>(*k);
        else
          d_.error(v->pos, "spec.value", "'id' (a VLAN id) must be 1 to 4094, got " + std::to_string(*k));
      }
    }
    return c;
  }

  Guest guest(const SpecNode::Entry& e) {
    Guest g;
    g.name = e.key;
    g.pos[""] = e.key_pos;
    const SpecNode& n = e.value;
    if (n.is_null()) return g;
    if (!expect_map(n, "guest " + quote(e.key))) return g;
    check_keys(n, kGuestKeys, "in guest " + quote(e.key));
    if (auto* v = n.find("guest_files")) {
      g.pos["guest_files"] = v->pos;
      if (auto f = file_source(*v, "guest_files",
                               {FileSourceKind::Agent, FileSourceKind::Dir, FileSourceKind::Ssh,
                                FileSourceKind::None},
                               "agent | dir:PATH | ssh://[USER@]HOST | none"))
        g.guest_files = *f;
    }
    if (auto* v = n.find("config_format")) {
      g.pos["config_format"] = v->pos;
      if (auto f = config_format(*v)) g.config_format = *f;
    }
    if (auto* v = n.find("activate")) {
      g.pos["activate"] = v->pos;
      if (auto a = enum_value<Activate>(*v, "activate", {"reboot", "restart-network", "none"},
                                        parse_activate))
        g.activate = *a;
    }
    if (auto* v = n.find("verify")) verify(*v, g.verify, g.pos);
    if (auto* v = n.find("interfaces"); v && !v->is_null()) {
      g.pos["interfaces"] = v->pos;
      if (!v->is_seq()) {
        d_.error(v->pos, "spec.type", "'interfaces' must be a list, got " + v->describe());
      } else {
        g.interfaces.reserve(v->items.size());
        for (const auto& item : v->items) g.interfaces.push_back(iface(item));
      }
    }
    return g;
  }

  GuestInterface iface(const SpecNode& n) {
    GuestInterface i;
    i.pos[""] = n.pos;
    if (!expect_map(n, "an interface")) return i;
    check_keys(n, kIfaceKeys, "in an interface");
    if (auto* v = n.find("name")) {
      if (auto s = str(*v, "name")) {
        i.name = *s;
        i.pos["name"] = v->pos;  // only for a string: an empty name then means "missing"
      }
    } else {
      d_.error(n.pos, "spec.missing-key", "interface needs a 'name'");
    }
    const std::string label = i.name.empty() ? "interface" : "interface " + quote(i.name);
    const SpecNode* net = n.find("network");
    const SpecNode* dir = n.find("direct");
    if (net && dir) {
      const SourcePos later = std::max(key_pos(n, "network"), key_pos(n, "direct"),
                                       [](const SourcePos& a, const SourcePos& b) {
                                         return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                                       });
      d_.error(later, "spec.interface-kind",
               label + " has both 'network:' and 'direct:' (it needs exactly one)");
    } else if (!net && !dir) {
      d_.error(n.pos, "spec.interface-kind",
               label + " needs exactly one of 'network:' or 'direct:'");
    }
    if (net && !dir) {
      i.kind = InterfaceKind::Network;
      i.pos["network"] = net->pos;
      if (auto s = str(*net, "network")) {
        if (s->empty()) d_.error(net->pos, "spec.value", "'network' must not be empty");
        else if (auto why = object_name_problem(*s))
          d_.error(net->pos, "spec.name", "network name " + quote(*s) + " " + *why);
        i.network = *s;
      }
    }
    if (dir) {
      i.kind = InterfaceKind::Direct;
      i.pos["direct"] = dir->pos;
      if (expect_map(*dir, "'direct'")) {
        check_keys(*dir, kDirectKeys, "in 'direct'");
        if (auto* v = dir->find("dev")) {
          i.pos["direct.dev"] = v->pos;
          if (auto s = str(*v, "direct.dev")) i.source_dev = *s;
        } else {
          d_.error(dir->pos, "spec.missing-key", "'direct' needs 'dev' (the host NIC)");
        }
        if (auto* v = dir->find("mode")) {
          i.pos["direct.mode"] = v->pos;
          if (auto m = enum_value<MacvtapMode>(*v, "direct.mode",
                                               {"vepa", "bridge", "private", "passthrough"},
                                               parse_macvtap_mode))
            i.mode = *m;
        }
        if (auto* v = dir->find("trust_guest_rx_filters")) {
          i.pos["direct.trust_guest_rx_filters"] = v->pos;
          i.trust_guest_rx_filters = boolean(*v, "direct.trust_guest_rx_filters");
        }
        if (auto* v = dir->find("mtu")) {
          i.pos["direct.mtu"] = v->pos;
          i.mtu = decimal(*v, "direct.mtu");
        }
      }
    }
    if (auto* v = n.find("mac")) {
      i.pos["mac"] = v->pos;
      i.mac = mac(*v, "mac");
    }
    if (auto* v = n.find("model")) {
      i.pos["model"] = v->pos;
      if (auto s = str(*v, "model")) {
        const bool ok = !s->empty() && s->size() <= 32 && s->front() != '-' && s->find_first_not_of(
                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") ==
                            std::string::npos;
        if (ok) i.model = *s;
        else d_.error(v->pos, "spec.value", "'model' must be a NIC model name like virtio or rtl8139, got " + quote(*s));
      }
    }
    if (auto* v = n.find("ipv4")) ipv4(*v, i);
    if (auto* v = n.find("defroute")) {
      i.pos["defroute"] = v->pos;
      i.ip.defroute = boolean(*v, "defroute");
    }
    if (auto* v = n.find("ipv6")) ipv6(*v, i);
    if (auto* v = n.find("ipv6_defroute")) {
      i.pos["ipv6_defroute"] = v->pos;
      i.ip.ipv6_defroute = boolean(*v, "ipv6_defroute");
    }
    if (auto* v = n.find("peerdns")) {
      i.pos["peerdns"] = v->pos;
      i.ip.peerdns = boolean(*v, "peerdns");
    }
    if (auto* v = n.find("dns")) {
      i.pos["dns"] = v->pos;
      if (!v->is_seq()) {
        d_.error(v->pos, "spec.type", "'dns' must be a list of IP addresses (IPv4 or IPv6), got " +
                                          v->describe());
      } else {
        i.ip.dns.emplace();
        for (std::size_t k = 0; k < v->items.size(); ++k) {
          i.pos["dns." + std::to_string(k)] = v->items[k].pos;
          if (auto a = ip_any(v->items[k], "dns")) i.ip.dns->push_back(*a);
        }
      }
    }
    if (auto* v = n.find("routes")) routes(*v, i);
    if (auto* v = n.find("verify")) verify(*v, i.verify, i.pos);
    return i;
  }

  // verify: {reach: true | warn | false} (a guest's or an interface's).
  void verify(const SpecNode& v, VerifyPolicy& out, Positions& pos) {
    pos["verify"] = v.pos;
    if (!expect_map(v, "'verify'")) return;
    check_keys(v, kVerifyKeys, "in 'verify'");
    const SpecNode* r = v.find("reach");
    if (!r) return;
    pos["verify.reach"] = r->pos;
    bool b = false;
    if (r->is_scalar() && !r->quoted && parse_portable_bool(r->text, &b)) {
      out.reach = b ? ReachPolicy::Check : ReachPolicy::Skip;
    } else if (yaml11_only_bool(*r, "verify.reach")) {
    } else if (r->is_scalar() && r->scalar_kind() == ScalarKind::String && r->text == "warn") {
      out.reach = ReachPolicy::Warn;
    } else {
      d_.error(r->pos, "spec.value",
               "'verify.reach' must be true, warn or false, got " + r->describe() +
                   (r->is_scalar() ? " " + quote(r->text) : "") +
                   (r->is_scalar() ? did_you_mean(r->text, {"true", "warn", "false"}) : ""));
    }
  }

  void ipv4(const SpecNode& v, GuestInterface& i) {
    i.pos["ipv4"] = v.pos;
    if (v.is_scalar() && v.scalar_kind() == ScalarKind::String && v.text == "dhcp") {
      i.ip.ipv4 = Ipv4Config::make_dhcp();
      return;
    }
    if (!v.is_map()) {
      d_.error(v.pos, "spec.type", "'ipv4' must be 'dhcp' or a mapping {address, gateway}, got " +
                                       v.describe() + (v.is_scalar() ? " " + quote(v.text) : ""));
      return;
    }
    check_keys(v, kIpv4Keys, "in 'ipv4'");
    Ipv4Config c;
    if (auto* a = v.find("address")) {
      i.pos["ipv4.address"] = a->pos;
      if (auto c4 = cidr(*a, "ipv4.address")) c.addresses.push_back(*c4);
    } else {
      d_.error(v.pos, "spec.missing-key", "static 'ipv4' needs an 'address' (CIDR)");
    }
    if (auto* g = v.find("gateway")) {
      i.pos["ipv4.gateway"] = g->pos;
      c.gateway = ip(*g, "ipv4.gateway");
    }
    if (!c.addresses.empty()) i.ip.ipv4 = c;
  }

  // ipv6: auto | dhcp | disabled | {method?, addresses?, gateway?}. Without `method` the
  // mapping is static. With auto or dhcp, `addresses` are static addresses kept beside SLAAC
  // or the DHCPv6 lease (as ifcfg's IPV6ADDR beside IPV6_AUTOCONF=yes); `disabled` takes
  // neither addresses nor a gateway. Rules on the values: spec/rules.hpp (iface.ipv6-*).
  void ipv6(const SpecNode& v, GuestInterface& i) {
    i.pos["ipv6"] = v.pos;
    if (v.is_scalar() && v.scalar_kind() == ScalarKind::String && v.text != "static") {
      if (auto m = enum_value<Ipv6Method>(v, "ipv6", {"auto", "dhcp", "disabled"}, parse_ipv6_method))
        i.ip.ipv6 = Ipv6Config{*m, {}, std::nullopt};
      return;
    }
    if (!v.is_map()) {
      d_.error(v.pos, "spec.type",
               "'ipv6' must be auto, dhcp, disabled or a mapping {method, addresses, gateway}, got " +
                   v.describe() + (v.is_scalar() ? " " + quote(v.text) : "") +
                   (v.is_scalar() && v.text == "static"
                        ? " (static needs addresses: {addresses: [\"2001:db8::10/64\"]})"
                        : ""));
      return;
    }
    check_keys(v, kIpv6Keys, "in 'ipv6'");
    Ipv6Config c;
    bool ok = true;
    if (auto* m = v.find("method")) {
      i.pos["ipv6.method"] = m->pos;
      if (auto x = enum_value<Ipv6Method>(*m, "ipv6.method", kIpv6Methods, parse_ipv6_method))
        c.method = *x;
      else
        ok = false;
    }
    const bool off = c.method == Ipv6Method::Disabled;
    if (auto* a = v.find("addresses")) {
      i.pos["ipv6.addresses"] = a->pos;
      if (off) {
        d_.error(a->pos, "spec.value", "'ipv6' with method disabled takes no 'addresses'");
        ok = false;
      } else if (!a->is_seq()) {
        d_.error(a->pos, "spec.type", "'ipv6.addresses' must be a list of IPv6 addresses with "
                                      "prefix length (like \"2001:db8::10/64\"), got " +
                                          a->describe());
        ok = false;
      } else {
        for (std::size_t k = 0; k < a->items.size(); ++k) {
          i.pos["ipv6.addresses." + std::to_string(k)] = a->items[k].pos;
          if (auto p = ipv6_prefix(a->items[k], "ipv6.addresses")) c.addresses.push_back(*p);
          else ok = false;
        }
      }
    }
    if (auto* g = v.find("gateway")) {
      i.pos["ipv6.gateway"] = g->pos;
      if (off) {
        d_.error(g->pos, "spec.value", "'ipv6' with method disabled takes no 'gateway'");
        ok = false;
      } else if (auto a = ipv6_address(*g, "ipv6.gateway")) {
        c.gateway = *a;
      } else {
        ok = false;
      }
    }
    if (ok) i.ip.ipv6 = c;
  }

  void routes(const SpecNode& v, GuestInterface& i) {
    i.pos["routes"] = v.pos;
    if (!v.is_seq()) {
      d_.error(v.pos, "spec.type", "'routes' must be a list of {to, via, metric}, got " + v.describe());
      return;
    }
    i.ip.routes.emplace();
    for (std::size_t k = 0; k < v.items.size(); ++k) {
      const SpecNode& r = v.items[k];
      const std::string base = "routes." + std::to_string(k);
      i.pos[base] = r.pos;
      if (!expect_map(r, "a route")) continue;
      check_keys(r, kRouteKeys, "in a route");
      std::optional<IpPrefix> to;
      std::optional<IpAddress> via;
      std::optional<std::uint32_t> metric;
      bool ok = true;
      if (auto* t = r.find("to")) {
        i.pos[base + ".to"] = t->pos;
        to = prefix_any(*t, "to");
      } else {
        d_.error(r.pos, "spec.missing-key", "a route needs 'to' (a network in CIDR form)");
      }
      if (auto* t = r.find("via")) {
        i.pos[base + ".via"] = t->pos;
        via = ip_any(*t, "via");
      } else {
        d_.error(r.pos, "spec.missing-key", "a route needs 'via' (a gateway address)");
      }
      if (auto* t = r.find("metric")) {
        i.pos[base + ".metric"] = t->pos;
        if (auto m = decimal(*t, "metric")) metric = *m;
        else ok = false;
      }
      if (to && via && ok) i.ip.routes->push_back(Route{*to, *via, metric});
    }
  }
};

}  // namespace

Topology decode_topology(const SpecNode& root, Diagnostics& diags) {
  return Decoder(diags).topology(root);
}

Topology decode_topology(SpecNode&& root, Diagnostics& diags) {
  SpecNode owned = std::move(root);
  return Decoder(diags, /*consume=*/true).topology(owned);
}

void check_file_header(const SpecNode& root, Diagnostics& diags) { Decoder(diags).header(root); }

}  // namespace mvt::spec
