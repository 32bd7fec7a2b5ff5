#include "plan/plan_json.hpp"

#include "netconf/format.hpp"

#include "plan/batches.hpp"

#include <cstdint>

namespace mvt::plan {
namespace {

Json opt_str(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

Json op_to_json(const Operation& op) {
  Json j;
  j["kind"] = to_string(op.kind);
  switch (op.kind) {
    case OpKind::WriteFile:
    case OpKind::RemoveFile:
      j["scope"] = to_string(op.scope);
      if (op.scope == FileScope::Guest) j["guest"] = op.guest;
      j["path"] = op.path;
      if (op.kind == OpKind::WriteFile) {
        j["content"] = op.content;
        j["mode"] = op.mode ? Json(*op.mode) : Json(nullptr);
      }
      j["before_sha256"] = opt_str(op.before_sha256);
      break;
    case OpKind::DefineInterface:
    case OpKind::LiveAttach:
    case OpKind::LiveDetach:
      j["guest"] = op.guest;
      j["mac"] = op.mac;
      j["interface_xml"] = op.interface_xml;
      j["old_interface_xml"] = op.old_interface_xml;
      break;
    case OpKind::Activate:
      j["guest"] = op.guest;
      j["method"] = to_string(op.method);
      j["config_format"] = op.config_format;
      j["profiles"] = op.profiles;
      j["restore_profiles"] = op.restore_profiles;
      break;
    case OpKind::Verify:
      break;
  }
  return j;
}

class Reader {
 public:
  Reader(const std::string& origin, Diagnostics& d) : origin_(origin), d_(d) {}
  void fail(const std::string& where, const std::string& what) {
    d_.error(SourcePos{origin_, 0, 0}, "planfile.invalid", where + ": " + what);
    ok = false;
  }
  std::string str(const Json& j, const char* key, const std::string& where, bool required = true) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) fail(where, std::string("missing \"") + key + "\"");
      return {};
    }
    if (!it->is_string()) {
      fail(where, std::string("\"") + key + "\" is not a string");
      return {};
    }
    return it->get<std::string>();
  }
  std::optional<std::string> opt(const Json& j, const char* key, const std::string& where) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      fail(where, std::string("\"") + key + "\" is not a string or null");
      return std::nullopt;
    }
    return it->get<std::string>();
  }
  // A list of NetworkManager connection UUIDs (absent: none); anything else is refused, as
  // each becomes an argument of `nmcli connection up uuid`.
  std::vector<std::string> uuids(const Json& j, const char* key, const std::string& where) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return out;
    if (!it->is_array()) {
      fail(where, std::string("\"") + key + "\" is not a list");
      return out;
    }
    for (const auto& v : *it) {
      if (!v.is_string() || !netconf::is_connection_uuid(v.get<std::string>())) {
        fail(where, std::string("\"") + key + "\" holds " + v.dump() +
                        ", not a NetworkManager connection UUID");
        return {};
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }
  bool ok = true;

 private:
  std::string origin_;
  Diagnostics& d_;
};

}  // namespace

std::string to_string(FileScope s) { return s == FileScope::Host ? "host" : "guest"; }

std::optional<Action> parse_action(const std::string& s) {
  for (Action a : {Action::Create, Action::Update, Action::Replace, Action::Delete,
                   Action::Activate, Action::Verify})
    if (to_string(a) == s) return a;
  return std::nullopt;
}

std::optional<OpKind> parse_op_kind(const std::string& s) {
  for (OpKind k : {OpKind::WriteFile, OpKind::RemoveFile, OpKind::DefineInterface,
                   OpKind::LiveAttach, OpKind::LiveDetach, OpKind::Activate, OpKind::Verify})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

std::optional<ActivationMethod> parse_activation_method(const std::string& s) {
  for (ActivationMethod m : {ActivationMethod::None, ActivationMethod::RestartNetwork,
                             ActivationMethod::Reboot, ActivationMethod::ColdRestart})
    if (to_string(m) == s) return m;
  return std::nullopt;
}

Json step_to_json(const Step& s) {
  Json j;
  j["id"] = s.id;
  j["host"] = s.host;
  j["target"] = s.target;
  j["action"] = to_string(s.action);
  Json changes = Json::array();
  for (const auto& c : s.changes) {
    Json f;
    f["field"] = c.field;
    f["before"] = opt_str(c.before);
    f["after"] = opt_str(c.after);
    changes.push_back(std::move(f));
  }
  j["changes"] = std::move(changes);
  j["depends_on"] = s.depends_on;
  j["reason"] = s.reason;
  j["disruptive"] = s.disruptive;
  j["operation"] = op_to_json(s.op);
  if (s.batch > 0) j["batch"] = s.batch;  // `--batch N` only: unbatched plans are unchanged
  return j;
}

Json plan_to_json(const Plan& p) {
  Json j;
  j["format_version"] = p.format_version;
  j["spec_digest"] = p.spec_digest;
  Json fp = Json::object();
  for (const auto& [k, v] : p.fingerprint) fp[k] = v;  // std::map: sorted
  j["fingerprint"] = std::move(fp);
  Json steps = Json::array();
  for (const auto& s : p.steps) steps.push_back(step_to_json(s));
  j["steps"] = std::move(steps);
  j["warnings"] = p.warnings;
  // Every host considered, by name (std::map: sorted): {"status": "observed"} or
  // {"status": "unobserved", "uri", "error"}. An observed host's URI is left out: it is the
  // spec's, and keeps the output free of machine-specific paths.
  Json hosts = Json::object();
  for (const auto& [name, st] : p.hosts) {
    Json h;
    h["status"] = st.observed ? "observed" : "unobserved";
    if (!st.observed) {
      h["uri"] = st.uri;
      h["error"] = st.error;
    }
    hosts[name] = std::move(h);
  }
  j["hosts"] = std::move(hosts);
  // `--batch N` (batches.hpp): the size and, per host, each batch's guests and steps.
  if (p.batch_size > 0) {
    Json b;
    b["size"] = p.batch_size;
    Json per_host = Json::object();
    for (const auto& bi : batches_of(p)) {
      Json one;
      one["batch"] = bi.number;
      one["of"] = bi.of;
      one["guests"] = bi.guests;
      one["steps"] = bi.step_ids;
      if (!per_host.contains(bi.host)) per_host[bi.host] = Json::array();
      per_host[bi.host].push_back(std::move(one));
    }
    b["hosts"] = std::move(per_host);
    j["batches"] = std::move(b);
  }
  return j;
}

std::optional<Plan> plan_from_json(const Json& j, const std::string& origin, Diagnostics& diags) {
  Reader r(origin, diags);
  if (!j.is_object()) {
    r.fail("plan", "not a JSON object");
    return std::nullopt;
  }
  Plan p;
  if (auto it = j.find("format_version"); it != j.end() && it->is_number_integer())
    p.format_version = it->get<int>();
  else
    r.fail("plan", "missing or non-integer \"format_version\"");
  p.spec_digest = r.str(j, "spec_digest", "plan");
  if (auto it = j.find("fingerprint"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (v.is_string())
        p.fingerprint[k] = v.get<std::string>();
      else
        r.fail("fingerprint." + k, "not a string");
    }
  } else {
    r.fail("plan", "missing \"fingerprint\" object");
  }
  if (auto it = j.find("warnings"); it != j.end() && it->is_array()) {
    for (const auto& w : *it)
      if (w.is_string()) p.warnings.push_back(w.get<std::string>());
  }
  // "hosts" is optional: plan files written before it (issue 13) have none.
  if (auto it = j.find("hosts"); it != j.end()) {
    if (!it->is_object()) {
      r.fail("plan", "\"hosts\" is not an object");
    } else {
      for (const auto& [name, hj] : it->items()) {
        const std::string where = "hosts." + name;
        if (!hj.is_object()) {
          r.fail(where, "not an object");
          continue;
        }
        HostStatus st;
        const std::string status = r.str(hj, "status", where);
        if (status == "observed")
          st.observed = true;
        else if (status == "unobserved")
          st.observed = false;
        else if (!status.empty())
          r.fail(where, "unknown status \"" + status + "\"");
        st.uri = r.str(hj, "uri", where, !st.observed);
        st.error = r.str(hj, "error", where, !st.observed);
        p.hosts[name] = std::move(st);
      }
    }
  }
  // "batches" only in plans made with --batch N: its size is what apply re-batches with.
  if (auto it = j.find("batches"); it != j.end()) {
    auto sz = it->is_object() ? it->find("size") : it->end();
    if (!it->is_object() || sz == it->end() || !sz->is_number_unsigned() ||
        sz->get<std::uint64_t>() < 1 || sz->get<std::uint64_t>() > 1000000u)
      r.fail("batches", "\"batches.size\" is not a positive integer");
    else
      p.batch_size = sz->get<int>();
  }
  auto steps = j.find("steps");
  if (steps == j.end() || !steps->is_array()) {
    r.fail("plan", "missing \"steps\" array");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const Json& sj = (*steps)[i];
    const std::string where = "steps[" + std::to_string(i) + "]";
    if (!sj.is_object()) {
      r.fail(where, "not an object");
      continue;
    }
    Step s;
    s.id = r.str(sj, "id", where);
    s.host = r.str(sj, "host", where);
    s.target = r.str(sj, "target", where);
    const std::string action = r.str(sj, "action", where);
    if (auto a = parse_action(action))
      s.action = *a;
    else if (!action.empty())
      r.fail(where, "unknown action \"" + action + "\"");
    if (auto it = sj.find("changes"); it != sj.end() && it->is_array()) {
      for (const auto& c : *it) {
        if (!c.is_object()) continue;
        s.changes.push_back({r.str(c, "field", where + ".changes"), r.opt(c, "before", where),
                             r.opt(c, "after", where)});
      }
    }
    if (auto it = sj.find("depends_on"); it != sj.end() && it->is_array())
      for (const auto& d : *it)
        if (d.is_string()) s.depends_on.push_back(d.get<std::string>());
    s.reason = r.str(sj, "reason", where, false);
    if (auto it = sj.find("disruptive"); it != sj.end() && it->is_boolean())
      s.disruptive = it->get<bool>();
    if (auto it = sj.find("batch"); it != sj.end()) {
      if (it->is_number_unsigned() && it->get<std::uint64_t>() >= 1 &&
          it->get<std::uint64_t>() <= 1000000u)
        s.batch = it->get<int>();
      else
        r.fail(where, "\"batch\" is not a positive integer");
    }
    auto oj = sj.find("operation");
    if (oj == sj.end() || !oj->is_object()) {
      r.fail(where, "missing \"operation\"");
      continue;
    }
    Operation& op = s.op;
    const std::string where_op = where + ".operation";
    const std::string kind = r.str(*oj, "kind", where_op);
    if (auto k = parse_op_kind(kind))
      op.kind = *k;
    else if (!kind.empty())
      r.fail(where_op, "unknown kind \"" + kind + "\"");
    op.guest = r.str(*oj, "guest", where_op, false);
    switch (op.kind) {
      case OpKind::WriteFile:
      case OpKind::RemoveFile: {
        const std::string scope = r.str(*oj, "scope", where_op);
        if (scope == "host")
          op.scope = FileScope::Host;
        else if (scope == "guest")
          op.scope = FileScope::Guest;
        else if (!scope.empty())
          r.fail(where_op, "unknown scope \"" + scope + "\"");
        op.path = r.str(*oj, "path", where_op);
        if (op.kind == OpKind::WriteFile) {
          op.content = r.str(*oj, "content", where_op);
          if (auto it = oj->find("mode"); it != oj->end() && !it->is_null()) {
            if (it->is_number_unsigned() && it->get<std::uint64_t>() <= 07777u)
              op.mode = it->get<unsigned>();
            else
              r.fail(where_op, "\"mode\" is not a file mode (an integer 0 to 4095) or null");
          }
        }
        op.before_sha256 = r.opt(*oj, "before_sha256", where_op);
        break;
      }
      case OpKind::DefineInterface:
      case OpKind::LiveAttach:
      case OpKind::LiveDetach:
        op.mac = r.str(*oj, "mac", where_op);
        op.interface_xml = r.str(*oj, "interface_xml", where_op, false);
        op.old_interface_xml = r.str(*oj, "old_interface_xml", where_op, false);
        break;
      case OpKind::Activate: {
        const std::string m = r.str(*oj, "method", where_op);
        if (auto am = parse_activation_method(m))
          op.method = *am;
        else if (!m.empty())
          r.fail(where_op, "unknown method \"" + m + "\"");
        // Absent in plans made before keyfiles: the ifcfg format's activation.
        if (auto f = r.opt(*oj, "config_format", where_op)) {
          if (netconf::find_format(*f))
            op.config_format = *f;
          else
            r.fail(where_op, "unknown config_format " + Json(*f).dump());
        }
        op.profiles = r.uuids(*oj, "profiles", where_op);
        op.restore_profiles = r.uuids(*oj, "restore_profiles", where_op);
        break;
      }
      case OpKind::Verify:
        break;
    }
    p.steps.push_back(std::move(s));
  }
  if (!r.ok) return std::nullopt;
  return p;
}

}  // namespace mvt::plan
