#!/bin/bash
# The bash completion (packaging/completion/macvtapctl.bash) completes what the binary
# accepts: run in bash without the bash-completion package (as `bash -c 'source FILE'` does),
# it offers the subcommands, the values of --format per subcommand, --color and --host-files,
# spec files (*.yaml and directories, not other files), and every option that
# `macvtapctl [SUB] --help` lists, which the zsh completion and macvtapctl(1) must name too.
# Usage: completion_test.sh SOURCE_DIR MACVTAPCTL
set -u
src=$1
bin=$2
bash_comp="$src/packaging/completion/macvtapctl.bash"
zsh_comp="$src/packaging/completion/_macvtapctl"
man_src="$src/docs/man/macvtapctl.1.scd"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# shellcheck source=/dev/null
source "$bash_comp" || { echo "FAIL: cannot source $bash_comp"; exit 1; }
[ "$(complete -p macvtapctl)" = "complete -F _macvtapctl macvtapctl" ] ||
  fail "complete -p macvtapctl: $(complete -p macvtapctl 2>&1)"

# complete WORD... : what bash would offer for the last word (the line as COMP_WORDS, split
# like bash does without bash-completion: "=" is a word of its own).
complete_line() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _macvtapctl 2>/dev/null
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() {  # expect "WANTED" WORD...
  local want=$1; shift
  local got
  got=$(complete_line "$@")
  [ "$got" = "$want" ] || fail "complete '$*': got '$got', want '$want'"
}

expect "apply confirm drift plan rollback show validate" macvtapctl ""
expect "plan" macvtapctl pl
expect "plan" macvtapctl --host kvm1 pl
expect "json markdown text" macvtapctl plan --format ""
expect "json text" macvtapctl validate --format ""
expect "json markdown text" macvtapctl drift --format ""
expect "markdown" macvtapctl plan --format m
expect "markdown" macvtapctl plan --format = m
expect "json markdown text" macvtapctl plan --format =
expect "always auto never" macvtapctl --color ""
expect "dir: local none" macvtapctl show --host-files ""
expect "--detailed-exitcode" macvtapctl plan --det
expect "--prometheus" macvtapctl drift --pro
expect "--no-rollback" macvtapctl apply --no
expect "--version" macvtapctl --vers

# Spec files: *.yaml and directories, never other files.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/specs.d"
: >"$tmp/a.yaml"
: >"$tmp/notes.txt"
cd "$tmp" || exit 1
expect "a.yaml specs.d" macvtapctl validate -f ""
expect "a.yaml specs.d" macvtapctl plan --file ""
expect "a.yaml notes.txt specs.d" macvtapctl plan -o ""
expect "a.yaml notes.txt specs.d" macvtapctl apply ""
cd - >/dev/null || exit 1

# Every option and subcommand the binary lists is completed, and named by the zsh completion
# and the man page.
options_of() {  # the long and short options a --help lists (its first column), one per line
  "$bin" "$@" --help | grep -E '^ +-' | awk '{ print $1 }' | sed 's/[{=].*//' | tr ',' '\n' |
    sort -u
}
subcommands=$("$bin" --help | sed -n '/^subcommands:/I,/^$/p' | grep -oE '^ +[a-z]+' | tr -d ' ')
[ -n "$subcommands" ] || fail "no SUBCOMMANDS in macvtapctl --help"
for sub in $subcommands; do
  [ "$(complete_line macvtapctl "$sub")" = "$sub" ] || fail "subcommand $sub is not completed"
  grep -q "'$sub:" "$zsh_comp" || fail "zsh completion does not describe $sub"
  grep -q "^\*$sub\*" "$man_src" || fail "macvtapctl(1) has no entry for $sub"
done
global=$(options_of)
[ -n "$global" ] || fail "no options in macvtapctl --help"
offered=" $(complete_line macvtapctl -) "
for opt in $global; do
  [[ "$offered" == *" $opt "* ]] || fail "global option $opt is not completed"
  grep -qE "(^|[^a-z-])$opt([^a-z-]|$)" "$zsh_comp" || fail "zsh completion lacks $opt"
  grep -qF "*$opt*" "$man_src" || fail "macvtapctl(1) does not name $opt"
done
for sub in $subcommands; do
  offered=" $(complete_line macvtapctl "$sub" -) "
  for opt in $(options_of "$sub"); do
    [[ "$offered" == *" $opt "* ]] || fail "$sub: option $opt is not completed"
    grep -qE "(^|[^a-z-])$opt([^a-z-]|$)" "$zsh_comp" || fail "zsh completion lacks $opt"
    grep -qF "*$opt*" "$man_src" || fail "macvtapctl(1) does not name $opt"
  done
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "completion: ok"
