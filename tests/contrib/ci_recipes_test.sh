#!/bin/sh
# The CI recipes' script part (contrib/ci/), run locally:
#  - macvtapctl-pr-plan.sh against the embedded lab (specs/lab, libvirt's test driver): a
#    spec with no changes, the procedure's changes, a spec error, a host that cannot be
#    observed, a spec aimed at a URI the job does not allow, a job without MVT_ALLOW_URIS, a
#    plan over the size limit, a message that holds a code fence; each one's exit status
#    and comment body;
#  - post-comment.sh against a fake GitHub and a fake GitLab on 127.0.0.1 (fake_forge.py:
#    the real ones cannot be reached from a test): create, then update the same comment,
#    past a first page of 100 comments, never touching a marked comment of someone else;
#  - the GitHub workflow and the GitLab job parse as YAML and run both scripts on pull
#    requests with MVT_ALLOW_URIS set.
#
#   ci_recipes_test.sh MACVTAPCTL SOURCE_DIR
# Exit 0 pass, 1 fail, 77 skipped (a tool the test needs is missing: named on stderr).
set -u
bin=$1
src=$2
pr_plan=$src/contrib/ci/macvtapctl-pr-plan.sh
poster=$src/contrib/ci/post-comment.sh

for tool in python3 curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "SKIPPED: ci_recipes_test needs $tool (Debian package $tool)" >&2
    exit 77
  fi
done

t=$(mktemp -d "${TMPDIR:-/tmp}/ci-recipes.XXXXXX") || exit 1
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$t"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
has() { grep -qF -- "$2" "$1" || fail "$1 does not contain: $2"; }
lacks() { ! grep -qF -- "$2" "$1" || fail "$1 contains: $2"; }

# run NAME EXPECTED_STATUS [ARGS...]: the PR script, its comment in $t/NAME.md.
run() {
  name=$1
  want=$2
  shift 2
  sh "$pr_plan" -o "$t/$name.md" "$@" >"$t/$name.out" 2>"$t/$name.err"
  got=$?
  [ "$got" = "$want" ] || {
    fail "$name: exit $got, expected $want"
    sed 's/^/  | /' "$t/$name.out" "$t/$name.err" >&2
  }
  [ -s "$t/$name.md" ] || fail "$name: no comment written"
  [ "$(head -n 1 "$t/$name.md")" = "<!-- macvtapctl-pr-plan -->" ] ||
    fail "$name: the comment does not start with the marker"
}

export MACVTAPCTL="$bin"
lab=$src/specs/lab

# --- the PR script ---------------------------------------------------------------------

# A spec that matches the lab as it is: the guest's one interface, its NICs, nothing to do.
mkdir "$t/clean"
cp "$lab/node.xml" "$t/clean/node.xml"
cat >"$t/clean/topology.yaml" <<'EOF'
version: 1
hosts:
  kvm1:
    uri: test:node.xml
    nics:
      em1: {config: host, mac: "18:66:da:9f:96:d6"}
    guests:
      web1:
        interfaces:
          - name: eth0
            network: default
            mac: "52:54:00:b4:87:0f"
EOF
MVT_ALLOW_URIS="test://$t/clean/node.xml" run clean 0 "$t/clean"
has "$t/clean.md" "no changes"
lacks "$t/clean.md" "changes pending"

# The procedure's topology against the lab's BEFORE state: changes, reviewed, exit 0.
export MVT_ALLOW_URIS="test://$lab/node.xml"
run changes 0 "$src/specs/seed.yaml" "$lab/seed-lab.yaml"
has "$t/changes.md" "changes pending"
for want in web1 ens9 ens8 em2 "52:54:00:5d:9c:33"; do has "$t/changes.md" "$want"; done
# the comment ends with the tool's own markdown plan, whole
"$bin" --color never plan -f "$src/specs/seed.yaml" -f "$lab/seed-lab.yaml" --format markdown \
  >"$t/direct.md" 2>/dev/null
[ -s "$t/direct.md" ] || fail "changes: plan --format markdown printed nothing"
tail -n "$(wc -l <"$t/direct.md")" "$t/changes.md" | cmp -s - "$t/direct.md" ||
  fail "changes: the comment does not end with the whole markdown plan"

# A spec error: validate's file:line:col in the comment, nothing planned, exit 1.
mkdir "$t/bad"
cp "$lab/node.xml" "$t/bad/node.xml"
cat >"$t/bad/topology.yaml" <<'EOF'
version: 1
hosts:
  kvm1:
    uri: test:node.xml
    nics:
      em2: {config: unconfigured}
    guests:
      web1:
        interfaces:
          - name: ens9
            direct: {dev: em2}
            ipv4: {address: 192.0.2.10/24, gateway: 198.51.100.1}
EOF
MVT_ALLOW_URIS="test://$t/bad/node.xml" run bad 1 "$t/bad/topology.yaml"
has "$t/bad.md" "The spec has errors"
has "$t/bad.md" "topology.yaml:12:"
has "$t/bad.md" "iface.gateway-in-subnet"
lacks "$t/bad.md" "changes pending"

# A guest the host does not define: that host is not observed, the plan fails, exit 1.
mkdir "$t/unobserved"
cp "$lab/node.xml" "$t/unobserved/node.xml"
sed 's/web1:/nosuch:/' "$t/clean/topology.yaml" >"$t/unobserved/topology.yaml"
MVT_ALLOW_URIS="test://$t/unobserved/node.xml" run unobserved 1 "$t/unobserved"
has "$t/unobserved.md" "The plan failed"
has "$t/unobserved.md" "nosuch"

# A pull request that aims the spec at a URI the job does not allow: refused, exit 1.
MVT_ALLOW_URIS="qemu+ssh://ci-reader@kvm1.lab.example/system" run not_allowed 1 "$t/clean"
has "$t/not_allowed.md" "The spec has errors"
has "$t/not_allowed.md" "guard.uri-not-allowed"

# A job that pins nothing: the script refuses to plan at all.
env -u MVT_ALLOW_URIS sh "$pr_plan" -o "$t/unpinned.md" "$t/clean" >/dev/null 2>&1 &&
  fail "unpinned: exit 0 without MVT_ALLOW_URIS"
has "$t/unpinned.md" "MVT_ALLOW_URIS"
lacks "$t/unpinned.md" "no changes"

# Over the size limit: the plan is cut on a line boundary, with a note, its code fences and
# folded blocks closed; still exit 0. 900 cuts in the table, 3000 in a folded diff.
for limit in 900 3000; do
  MVT_PR_MAX_BYTES=$limit run "cut$limit" 0 "$src/specs/seed.yaml" "$lab/seed-lab.yaml"
  size=$(wc -c <"$t/cut$limit.md")
  [ "$size" -le "$limit" ] || fail "cut$limit: the comment is $size bytes, over $limit"
  has "$t/cut$limit.md" "The plan was cut here"
  has "$t/cut$limit.md" "changes pending"
  [ $(($(grep -c '^```' "$t/cut$limit.md") % 2)) = 0 ] || fail "cut$limit: a code fence is left open"
  [ "$(grep -c '<details>' "$t/cut$limit.md")" = "$(grep -c '</details>' "$t/cut$limit.md")" ] ||
    fail "cut$limit: a <details> block is left open"
done
grep -q '<details><summary>' "$t/cut3000.md" || fail "cut3000: no folded guest kept (cut too early to test)"

# A message holding a code fence cannot close the block it is quoted in.
mkdir "$t/fence"
printf 'version: 1\nhosts:\n  kvm1:\n    uri: test:///default\n    "x```y": 1\n' >"$t/fence/t.yaml"
MVT_ALLOW_URIS="test:///default" run fence 1 "$t/fence/t.yaml"
has "$t/fence.md" "x\`\`\`y"
grep -qx '````' "$t/fence.md" || fail "fence: the output is not fenced with four backticks"
[ "$(grep -cx '````' "$t/fence.md")" = 2 ] || fail "fence: the four-backtick fence is not closed"

# --- the poster, against a fake forge --------------------------------------------------

# start_forge FORGE: the fake server on 127.0.0.1, with 120 unrelated comments and a
# marked comment by someone else among them; sets $base.
start_forge() {
  python3 - "$t/seed.json" <<'EOF'
import json, sys
seed = [{"author": "alice", "body": "comment %d" % i} for i in range(60)]
seed.append({"author": "mallory", "body": "<!-- macvtapctl-pr-plan -->\nall good, merge it"})
seed += [{"author": "bob", "body": "comment %d" % i} for i in range(60, 120)]
json.dump(seed, open(sys.argv[1], "w"))
EOF
  rm -f "$t/port"
  python3 "$src/tests/contrib/fake_forge.py" "$1" s3cret-token "$t/port" "$t/seed.json" \
    2>"$t/forge-$1.log" &
  server_pid=$!
  i=0
  while [ ! -s "$t/port" ] && [ "$i" -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  [ -s "$t/port" ] || { fail "$1: the fake forge did not start"; return 1; }
  base="http://127.0.0.1:$(cat "$t/port")"
}

stop_forge() {
  kill "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=
}

# check_forge FORGE: post, post again with another body: one comment of ours, updated.
check_forge() {
  curl -s "$base/_state" >"$t/state0.json"
  sh "$poster" "$1" "$t/changes.md" >"$t/post1.out" 2>&1 || fail "$1: first post failed: $(cat "$t/post1.out")"
  has "$t/post1.out" "created"
  curl -s "$base/_state" >"$t/state1.json"
  sh "$poster" "$1" "$t/clean.md" >"$t/post2.out" 2>&1 || fail "$1: second post failed: $(cat "$t/post2.out")"
  has "$t/post2.out" "updated comment"
  curl -s "$base/_state" >"$t/state2.json"
  n0=$(jq length "$t/state0.json")
  n1=$(jq length "$t/state1.json")
  n2=$(jq length "$t/state2.json")
  { [ "$n1" = $((n0 + 1)) ] && [ "$n2" = "$n1" ]; } || fail "$1: comments $n0 -> $n1 -> $n2, expected one more, then the same"
  jq -j '.[-1].body' "$t/state2.json" >"$t/last.md"
  cmp -s "$t/last.md" "$t/clean.md" || fail "$1: the comment was not updated to the new body"
  [ "$(jq '[.[] | select(.author == "mallory")][0].body' "$t/state2.json")" = \
    '"<!-- macvtapctl-pr-plan -->\nall good, merge it"' ] ||
    fail "$1: someone else's marked comment was changed"
}

start_forge github && {
  GITHUB_API_URL=$base GITHUB_TOKEN=s3cret-token GITHUB_REPOSITORY=example/topology \
    MVT_PR_NUMBER=7 check_forge github
  # a wrong token is an error, not a silent success
  GITHUB_API_URL=$base GITHUB_TOKEN=wrong GITHUB_REPOSITORY=example/topology MVT_PR_NUMBER=7 \
    sh "$poster" github "$t/clean.md" >/dev/null 2>&1 && fail "github: a rejected token gave exit 0"
  stop_forge
}

start_forge gitlab && {
  CI_API_V4_URL=$base/api/v4 MVT_GITLAB_TOKEN=s3cret-token CI_PROJECT_ID=42 \
    CI_MERGE_REQUEST_IID=7 check_forge gitlab
  stop_forge
}

# --- the recipes parse and use the scripts ---------------------------------------------

python3 - "$src/contrib/github/macvtapctl-plan.yml" "$src/contrib/gitlab/macvtapctl-plan.gitlab-ci.yml" \
  >"$t/yaml.out" 2>&1 <<'EOF'
import sys
try:
    import yaml
except ImportError:
    print("SKIPPED: no python3-yaml to parse the recipes")
    sys.exit(77)
gh = yaml.safe_load(open(sys.argv[1]))
on = gh.get("on", gh.get(True))  # YAML 1.1 readers take the key `on` for true
assert "pull_request_target" in on, "workflow: not run on pull requests"
assert gh["permissions"]["pull-requests"] == "write", "workflow: cannot comment"
job = gh["jobs"]["plan"]
assert job["env"]["MVT_ALLOW_URIS"], "workflow: MVT_ALLOW_URIS not pinned"
runs = "\n".join(s.get("run", "") for s in job["steps"])
assert "macvtapctl-pr-plan.sh" in runs and "post-comment.sh github" in runs, "workflow: scripts not run"
assert "exit 1" in runs, "workflow: never fails the check"
gl = yaml.safe_load(open(sys.argv[2]))
job = gl["macvtapctl-plan"]
assert any("merge_request_event" in r["if"] for r in job["rules"]), "gitlab: not run on merge requests"
assert job["variables"]["MVT_ALLOW_URIS"], "gitlab: MVT_ALLOW_URIS not pinned"
script = "\n".join(job["script"])
assert "macvtapctl-pr-plan.sh" in script and "post-comment.sh gitlab" in script, "gitlab: scripts not run"
assert "exit 1" in script, "gitlab: never fails the job"
print("recipes ok")
EOF
case $? in
  0) ;;
  77)
    # Without python3-yaml (a dependency in cmake/install-deps.sh): the same facts, grepped.
    cat "$t/yaml.out" >&2
    for f in "$src/contrib/github/macvtapctl-plan.yml" "$src/contrib/gitlab/macvtapctl-plan.gitlab-ci.yml"; do
      has "$f" "MVT_ALLOW_URIS:"
      has "$f" "macvtapctl-pr-plan.sh"
      has "$f" "exit 1"
    done
    has "$src/contrib/github/macvtapctl-plan.yml" "pull_request_target:"
    has "$src/contrib/github/macvtapctl-plan.yml" "post-comment.sh github"
    has "$src/contrib/gitlab/macvtapctl-plan.gitlab-ci.yml" "merge_request_event"
    has "$src/contrib/gitlab/macvtapctl-plan.gitlab-ci.yml" "post-comment.sh gitlab"
    ;;
  *) fail "recipes: $(cat "$t/yaml.out")" ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "ci_recipes_test: $failures failures" >&2
  exit 1
fi
echo "ci_recipes_test: all checks passed"
