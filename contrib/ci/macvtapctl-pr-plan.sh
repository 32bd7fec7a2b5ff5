#!/bin/sh
# macvtapctl-pr-plan.sh: the pull-request check of a topology repository, shared by the
# GitHub workflow (contrib/github/) and the GitLab job (contrib/gitlab/).
#
#   macvtapctl-pr-plan.sh [-o COMMENT_FILE] SPEC...
#
# Runs `macvtapctl validate` and then `macvtapctl plan --format markdown
# --detailed-exitcode` on SPEC (files or directories, each passed as -f), read-only and
# with the guard settings of SECURITY.md ("Running CI on pull requests"), and writes the
# body of ONE pull-request comment to COMMENT_FILE (default macvtapctl-comment.md). The
# body's first line is the hidden marker by which contrib/ci/post-comment.sh finds the
# comment again and updates it instead of adding another.
#
# Exit status: 0 the spec is valid and every host was planned (changes or not); 1 the
# spec has errors, a host could not be observed, or the check itself could not run. The
# comment is written in every case but a usage error, so that the author sees why.
#
# Environment (set by the CI job, never by the spec):
#   MVT_ALLOW_URIS      required: the libvirt URIs the spec may reach (patterns, comma-
#                       separated; see SECURITY.md). Without it the script refuses to run:
#                       a pull request could otherwise aim the plan at any host the
#                       runner can reach.
#   MVT_ALLOW_ROOTS     directories that dir: roots and test: node files may lie beneath
#   MVT_ALLOW_URI_PARAMS  URI query parameters your own URIs need (rarely)
#   MACVTAPCTL          the macvtapctl binary (default: macvtapctl on PATH)
#   MVT_PR_MARKER       the hidden marker (default <!-- macvtapctl-pr-plan -->)
#   MVT_PR_MAX_BYTES    cut the comment to this size (default 65000: GitHub refuses a
#                       comment over 65,536 characters); the full plan stays in the job log
#   MVT_PR_TITLE        the comment's heading when there is no plan to show (default
#                       "macvtapctl plan", the plan's own heading)
#
# A private, empty state directory is passed with --state-dir: validate and plan never need
# one, and a state directory a pull request left on a shared runner is never read.
set -u

usage() {
  echo "usage: $0 [-o COMMENT_FILE] SPEC..." >&2
  exit 1
}

out=macvtapctl-comment.md
while getopts o: opt; do
  case $opt in
    o) out=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -gt 0 ] || usage

bin=${MACVTAPCTL:-macvtapctl}
marker=${MVT_PR_MARKER:-'<!-- macvtapctl-pr-plan -->'}
max_bytes=${MVT_PR_MAX_BYTES:-65000}
title=${MVT_PR_TITLE:-macvtapctl plan}
case $max_bytes in '' | *[!0-9]*) echo "$0: MVT_PR_MAX_BYTES must be a number" >&2; exit 1 ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/macvtapctl-pr.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/state" || exit 1

# The spec arguments, each behind -f, kept as separate words in "$@".
n=$#
i=0
while [ "$i" -lt "$n" ]; do
  set -- "$@" -f "$1"
  shift
  i=$((i + 1))
done

# A fenced block that nothing in FILE can close (one backtick more than its longest run),
# of at most 100 lines.
fenced() {
  fence=$(awk '{ n = 0; for (i = 1; i <= length($0); i++) { if (substr($0, i, 1) == "`") { n++; if (n > m) m = n } else n = 0 } }
               END { m = (m < 3 ? 3 : m + 1); s = ""; for (i = 0; i < m; i++) s = s "`"; print s }' "$1")
  lines=$(wc -l <"$1")
  printf '%s\n' "$fence"
  head -n 100 "$1"
  # a file without a final newline still closes its fence on a line of its own
  [ -n "$(tail -c 1 "$1")" ] && echo
  printf '%s\n' "$fence"
  [ "$lines" -le 100 ] || printf '%s more lines in the job log\n' "$((lines - 100))"
}

# write_comment STATUS_LINE [SECTION_TITLE FILE]...: the comment: marker, heading, status,
# each non-empty FILE folded under its title, then the markdown plan when $with_plan is 1.
# Over max_bytes, the plan is cut (whole lines) and a note says so.
write_comment() {
  {
    printf '%s\n' "$marker"
    # the markdown plan has its own heading
    [ "${with_plan:-0}" = 1 ] && [ -s "$work/plan.md" ] || printf '## %s\n\n' "$title"
    printf '%s\n' "$1"
    shift
    while [ "$#" -ge 2 ]; do
      if [ -s "$2" ]; then
        printf '\n<details><summary>%s</summary>\n\n' "$1"
        fenced "$2"
        printf '\n</details>\n'
      fi
      shift 2
    done
  } >"$work/body"
  if [ "${with_plan:-0}" = 1 ] && [ -s "$work/plan.md" ]; then
    printf '\n' >>"$work/body"
    head_size=$(wc -c <"$work/body")
    plan_size=$(wc -c <"$work/plan.md")
    if [ $((head_size + plan_size)) -le "$max_bytes" ]; then
      cat "$work/plan.md" >>"$work/body"
    else
      note="*The plan was cut here: the whole comment would be $((head_size + plan_size)) bytes, and one holds $max_bytes. The whole plan is in the job log.*"
      keep=$((max_bytes - head_size - ${#note} - 64))  # 64: the closing lines
      if [ "$keep" -gt 0 ]; then
        # whole lines only, so that no line (nor a multi-byte character) is split; then
        # close a code fence and <details> blocks the cut left open
        head -c "$keep" "$work/plan.md" | sed '$d' | awk '
          { print }
          /^```/ { run = $0; sub(/[^`].*$/, "", run)
                   if (fence == "") fence = run
                   else if ($0 ~ /^`+[ \t]*$/ && length(run) >= length(fence)) fence = "" }
          fence == "" && /<details>/ { open++ }
          fence == "" && /<\/details>/ { open-- }
          END { if (fence != "") print fence; while (open-- > 0) print "</details>" }' >>"$work/body"
      fi
      printf '\n\n%s\n' "$note" >>"$work/body"
    fi
  fi
  cat "$work/body" >"$out" || {
    echo "$0: cannot write $out" >&2
    exit 1
  }
}

if [ -z "${MVT_ALLOW_URIS:-}" ]; then
  echo "refusing to plan without MVT_ALLOW_URIS: set it in the CI job to the URIs the spec may reach" >"$work/err"
  write_comment ":x: **Not checked**: the CI job does not set \`MVT_ALLOW_URIS\`." \
    "Why" "$work/err"
  cat "$work/err" >&2
  exit 1
fi
export MVT_ALLOW_URIS

if ! command -v "$bin" >/dev/null 2>&1; then
  echo "macvtapctl not found (MACVTAPCTL=$bin)" >"$work/err"
  write_comment ":x: **Not checked**: macvtapctl is not installed on the runner." "Why" "$work/err"
  cat "$work/err" >&2
  exit 1
fi

# 1. validate: every problem of the spec at once, file:line:col; contacts nothing.
"$bin" --color never --state-dir "$work/state" validate "$@" >"$work/validate.out" 2>&1
rc=$?
cat "$work/validate.out"
if [ "$rc" -ne 0 ]; then
  write_comment ":x: **The spec has errors** (\`macvtapctl validate\` exit $rc): nothing was planned." \
    "validate" "$work/validate.out"
  exit 1
fi

# 2. plan, read-only: markdown on stdout, warnings and unobserved hosts on stderr.
"$bin" --color never --state-dir "$work/state" plan "$@" --format markdown --detailed-exitcode \
  >"$work/plan.md" 2>"$work/plan.err"
rc=$?
cat "$work/plan.md"
cat "$work/plan.err" >&2
with_plan=1
case $rc in
  0)
    write_comment ":white_check_mark: The spec is valid; **no changes**: the hosts match it." \
      "warnings (stderr)" "$work/plan.err"
    exit 0
    ;;
  2)
    write_comment ":memo: The spec is valid; **changes pending**: review the plan below. \`macvtapctl apply\` will recompute it on each host and refuse it if the hosts have moved." \
      "warnings (stderr)" "$work/plan.err"
    exit 0
    ;;
  *)
    write_comment ":x: **The plan failed** (\`macvtapctl plan\` exit $rc): a host could not be observed or its live state is not what the spec describes." \
      "errors (stderr)" "$work/plan.err"
    exit 1
    ;;
esac
