#!/bin/sh
# post-comment.sh: creates or updates ONE comment on a pull request (GitHub) or merge
# request (GitLab), found by the hidden marker that starts the body.
#
#   post-comment.sh github|gitlab COMMENT_FILE
#
# Lists the request's comments, takes the first one that was written by the commenting
# account and whose body starts with the marker, and updates it (GitHub: PATCH, GitLab:
# PUT); without one, it adds a comment (POST). A comment by anybody else is never
# touched, even with the marker: otherwise a pull-request author could plant one, let the
# job fill it with the real plan and then edit it. Needs curl and jq.
#
# Environment:
#   MVT_PR_MARKER     the marker (default: the first line of COMMENT_FILE)
#   GitHub: GITHUB_TOKEN (pull-requests: write), GITHUB_REPOSITORY (owner/name),
#           MVT_PR_NUMBER (the pull request), GITHUB_API_URL (default https://api.github.com),
#           MVT_COMMENT_AUTHOR (default github-actions[bot], the login of GITHUB_TOKEN)
#   GitLab: MVT_GITLAB_TOKEN (a project access token with the api scope), CI_API_V4_URL,
#           CI_PROJECT_ID, CI_MERGE_REQUEST_IID (all three set by GitLab CI),
#           MVT_COMMENT_AUTHOR (default: the token's own user, from GET /user)
#
# The token is handed to curl on its standard input (never on a command line, where other
# users of the machine could read it) and never printed. Exit 0 when the comment was
# created or updated, 1 otherwise.
set -u

die() {
  echo "post-comment: $*" >&2
  exit 1
}

[ "$#" -eq 2 ] || die "usage: $0 github|gitlab COMMENT_FILE"
forge=$1
body_file=$2
[ -r "$body_file" ] || die "cannot read $body_file"
command -v curl >/dev/null 2>&1 || die "curl is not installed"
command -v jq >/dev/null 2>&1 || die "jq is not installed"

marker=${MVT_PR_MARKER:-$(head -n 1 "$body_file")}
[ -n "$marker" ] || die "no marker: the first line of $body_file is empty"

work=$(mktemp -d "${TMPDIR:-/tmp}/post-comment.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

case $forge in
  github)
    token=${GITHUB_TOKEN:-}
    api=${GITHUB_API_URL:-https://api.github.com}
    [ -n "${GITHUB_REPOSITORY:-}" ] || die "GITHUB_REPOSITORY is not set"
    [ -n "${MVT_PR_NUMBER:-}" ] || die "MVT_PR_NUMBER is not set"
    auth_header="Authorization: Bearer $token"
    list_url="$api/repos/$GITHUB_REPOSITORY/issues/$MVT_PR_NUMBER/comments"
    create_url=$list_url
    update_base="$api/repos/$GITHUB_REPOSITORY/issues/comments"
    update_method=PATCH
    author_field=.user.login
    ;;
  gitlab)
    token=${MVT_GITLAB_TOKEN:-}
    api=${CI_API_V4_URL:-}
    [ -n "$api" ] || die "CI_API_V4_URL is not set"
    [ -n "${CI_PROJECT_ID:-}" ] || die "CI_PROJECT_ID is not set"
    [ -n "${CI_MERGE_REQUEST_IID:-}" ] || die "CI_MERGE_REQUEST_IID is not set"
    auth_header="PRIVATE-TOKEN: $token"
    list_url="$api/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes"
    create_url=$list_url
    update_base=$list_url
    update_method=PUT
    author_field=.author.username
    ;;
  *) die "unknown forge '$forge' (github or gitlab)" ;;
esac
[ -n "$token" ] || die "no token (GITHUB_TOKEN or MVT_GITLAB_TOKEN)"
nl='
'
case $token in *\"* | *\\* | *"$nl"*) die "the token holds a quote, a backslash or a newline" ;; esac

# api METHOD URL [DATA_FILE]: the response body on stdout; fails on an HTTP error.
api() {
  {
    printf 'header = "%s"\n' "$auth_header"
    printf 'header = "Accept: application/json"\n'
    [ "$forge" = github ] && printf 'header = "X-GitHub-Api-Version: 2022-11-28"\n'
    if [ "$#" -ge 3 ]; then
      printf 'header = "Content-Type: application/json"\n'
      printf 'data-binary = "@%s"\n' "$3"
    fi
    # a read may be retried; a write is not (it could post the comment twice)
    [ "$1" = GET ] && printf 'retry = 2\n'
  } | curl --silent --show-error --fail --max-time 60 --config - --request "$1" --url "$2"
}

if [ -n "${MVT_COMMENT_AUTHOR:-}" ]; then
  author=$MVT_COMMENT_AUTHOR
elif [ "$forge" = github ]; then
  author='github-actions[bot]'
else
  user_json=$(api GET "$api/user") || die "cannot read the token's user (GET $api/user)"
  author=$(printf '%s' "$user_json" | jq -r '.username // empty' 2>/dev/null)
  [ -n "$author" ] || die "GET $api/user named no user"
fi

# The first page holding a comment of ours with the marker; 100 comments a page.
id=
page=1
while :; do
  api GET "$list_url?per_page=100&page=$page" >"$work/page.json" ||
    die "cannot list the comments ($list_url)"
  id=$(jq -r --arg m "$marker" --arg a "$author" \
    "[.[] | select($author_field == \$a and ((.body // \"\") | startswith(\$m)))][0].id // empty" \
    "$work/page.json") || die "the comment list is not JSON"
  [ -n "$id" ] && break
  [ "$(jq length "$work/page.json")" -ge 100 ] || break
  page=$((page + 1))
done

jq -n --rawfile b "$body_file" '{body: $b}' >"$work/payload.json" || die "cannot build the request"
if [ -n "$id" ]; then
  case $id in *[!0-9]*) die "unexpected comment id '$id'" ;; esac
  api "$update_method" "$update_base/$id" "$work/payload.json" >/dev/null ||
    die "cannot update comment $id"
  echo "post-comment: updated comment $id"
else
  api POST "$create_url" "$work/payload.json" >/dev/null || die "cannot create the comment"
  echo "post-comment: created a comment"
fi
