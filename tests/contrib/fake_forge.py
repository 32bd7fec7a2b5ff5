#!/usr/bin/env python3
"""A fake of the two comment APIs contrib/ci/post-comment.sh talks to, on 127.0.0.1.

A fake because the real GitHub and GitLab cannot be reached from the tests (no network, no
tokens). It implements only what the poster uses, as the real APIs document it:
  GitHub: GET/POST /repos/OWNER/NAME/issues/N/comments (per_page, page),
          PATCH /repos/OWNER/NAME/issues/comments/ID; the comment author is user.login.
  GitLab: GET/POST /projects/ID/merge_requests/IID/notes (per_page, page),
          PUT /projects/ID/merge_requests/IID/notes/ID, GET /user; the author is
          author.username.
A request without the expected token is answered 401, an unknown path 404. GET /_state
returns every comment (for the test's checks). Like a token with write access on the real
APIs, it lets the bot edit anybody's comment: the poster itself must leave them alone.

  fake_forge.py github|gitlab TOKEN PORT_FILE [SEED_JSON]

SEED_JSON: a list of {"author": ..., "body": ...} stored before the first request. The
port the server listens on is written to PORT_FILE once it is ready.
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FORGE, TOKEN, PORT_FILE = sys.argv[1], sys.argv[2], sys.argv[3]
SEED = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else []
BOT = "github-actions[bot]" if FORGE == "github" else "plan-bot"
COMMENTS = []  # {"id", "author", "body"}


def add(author, body):
    COMMENTS.append({"id": 1000 + len(COMMENTS), "author": author, "body": body})
    return COMMENTS[-1]


for c in SEED:
    add(c["author"], c["body"])


def shown(c):
    if FORGE == "github":
        return {"id": c["id"], "user": {"login": c["author"]}, "body": c["body"]}
    return {"id": c["id"], "author": {"username": c["author"]}, "body": c["body"]}


if FORGE == "github":
    LIST = re.compile(r"^/repos/[^/]+/[^/]+/issues/\d+/comments$")
    ONE = re.compile(r"^/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
    UPDATE = "PATCH"
else:
    LIST = re.compile(r"^/projects/[^/]+/merge_requests/\d+/notes$")
    ONE = re.compile(r"^/projects/[^/]+/merge_requests/\d+/notes/(\d+)$")
    UPDATE = "PUT"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write("fake_forge: " + (fmt % args) + "\n")

    def reply(self, code, obj):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def authorized(self):
        if FORGE == "github":
            ok = self.headers.get("Authorization") == "Bearer " + TOKEN
        else:
            ok = self.headers.get("PRIVATE-TOKEN") == TOKEN
        if not ok:
            self.reply(401, {"message": "Bad credentials"})
        return ok

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        obj = json.loads(self.rfile.read(n).decode())
        if not isinstance(obj, dict) or not isinstance(obj.get("body"), str):
            raise ValueError("no body")
        return obj["body"]

    def handle_any(self, method):
        url = urlsplit(self.path)
        if FORGE == "gitlab" and url.path.startswith("/api/v4/"):  # CI_API_V4_URL's path
            url = url._replace(path=url.path[len("/api/v4"):])
        if url.path == "/_state" and method == "GET":
            return self.reply(200, COMMENTS)
        if not self.authorized():
            return
        if FORGE == "gitlab" and url.path == "/user" and method == "GET":
            return self.reply(200, {"username": BOT})
        if LIST.match(url.path):
            if method == "GET":
                q = parse_qs(url.query)
                per = min(int(q.get("per_page", ["30"])[0]), 100)
                page = int(q.get("page", ["1"])[0])
                return self.reply(200, [shown(c) for c in COMMENTS[(page - 1) * per:page * per]])
            if method == "POST":
                return self.reply(201, shown(add(BOT, self.body())))
        m = ONE.match(url.path)
        if m and method == UPDATE:
            for c in COMMENTS:
                if c["id"] == int(m.group(1)):
                    c["body"] = self.body()
                    return self.reply(200, shown(c))
        return self.reply(404, {"message": "Not Found"})

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_PUT(self):
        self.handle_any("PUT")


# Never outlive a test that was killed before it could stop the server.
threading.Timer(300, lambda: os._exit(0)).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
# after the bind: the port file appears only once the server listens
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
