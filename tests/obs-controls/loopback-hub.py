#!/usr/bin/env python3
"""A model hub on 127.0.0.1 for the panel download tests, in the shapes the downloader reads
(the same as tests/managed/StreamFx.ModelHub.Tests/LoopbackHub.cs):

  GET /api/models/{owner}/{name}/tree/{rev}?recursive=true
      a JSON array of {"type": "file", "oid": <git blob id>, "size": n, "path": p} (and "directory"
      entries); files of 1024 bytes or more also carry "lfs": {"oid": <sha256>, "size": n}
  GET /{owner}/{name}/resolve/{rev}/{path}
      the file, with Range support and an X-Repo-Commit header

  loopback-hub.py --repo OWNER/NAME=FOLDER ... --catalogue-in shipped.json --catalogue-out test.json
                  [--corrupt-once OWNER/NAME:PATH] [--hold OWNER/NAME:PATH:N] [--rate BYTES_PER_S]

Once listening it writes --catalogue-out (the shipped catalogue with its one hub string replaced by
this server's URL), then prints "ready <url>" on stdout. --corrupt-once flips a byte of that
file the first time it is served (a checksum failure, then a clean retry). --hold answers the Nth
request for that file with its headers and then nothing (a download that is still running when OBS
shuts down). --rate throttles every
file body (the GUI screenshot needs a download that lasts). Runs until killed.
"""
import argparse
import hashlib
import http.server
import json
import os
import sys
import threading
import time
import urllib.parse

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Hub:
    def __init__(self, repos, corrupt_once, hold, rate):
        self.repos = repos  # "owner/name" -> {path: bytes}
        self.corrupt_once = set(corrupt_once)
        self.hold = {}  # "owner/name:path" -> the request number that is held
        for spec in hold:
            key, n = spec.rsplit(":", 1)
            self.hold[key] = int(n)
        self.rate = rate
        self.lock = threading.Lock()
        self.served = {}  # "owner/name:path" -> requests

    def tree(self, repo):
        files = self.repos[repo]
        entries = []
        for d in sorted({p.rsplit("/", 1)[0] for p in files if "/" in p}):
            entries.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": d})
        for p, data in sorted(files.items()):
            e = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": p}
            if len(data) >= 1024:
                e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            entries.append(e)
        return json.dumps(entries).encode()


def load_folder(folder):
    files = {}
    for root, _, names in os.walk(folder):
        for n in names:
            full = os.path.join(root, n)
            rel = os.path.relpath(full, folder).replace(os.sep, "/")
            with open(full, "rb") as f:
                files[rel] = f.read()
    return files


def make_handler(hub):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("loopback-hub: " + fmt % args + "\n")

        def send_body(self, status, body, content_type="application/json", extra=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True

        def do_GET(self):
            path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
            seg = path.strip("/").split("/")
            if len(seg) == 6 and seg[0] == "api" and seg[1] == "models" and seg[4] == "tree":
                repo = seg[2] + "/" + seg[3]
                if repo not in hub.repos:
                    return self.send_body(404, b"Repository not found", "text/plain")
                return self.send_body(200, hub.tree(repo), extra={"X-Repo-Commit": COMMIT})
            if len(seg) >= 5 and seg[2] == "resolve":
                repo = seg[0] + "/" + seg[1]
                file = "/".join(seg[4:])
                data = hub.repos.get(repo, {}).get(file)
                if data is None:
                    return self.send_body(404, b"Entry not found", "text/plain", {"X-Repo-Commit": COMMIT})
                return self.serve_file(repo, file, data)
            return self.send_body(404, b"not found", "text/plain")

        def serve_file(self, repo, file, data):
            key = repo + ":" + file
            with hub.lock:
                hub.served[key] = hub.served.get(key, 0) + 1
                corrupt = key in hub.corrupt_once
                hub.corrupt_once.discard(key)
                held = hub.hold.get(key) == hub.served[key]
            if corrupt:
                data = bytearray(data)
                data[len(data) // 2] ^= 0x5A
                data = bytes(data)
            start = 0
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
            if start > len(data):
                return self.send_body(416, b"", "text/plain", {"X-Repo-Commit": COMMIT})
            self.send_response(206 if start else 200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Connection", "close")
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.end_headers()
            if held:
                self.wfile.flush()
                # Until the client goes away (its cancel) or the hub is stopped.
                while self.rfile.read(1):
                    pass
                return
            body = memoryview(data)[start:]
            # Small chunks when throttled, so progress moves smoothly rather than in 64 KiB jumps.
            chunk = 64 * 1024 if not hub.rate else max(512, min(64 * 1024, int(hub.rate / 8)))
            t0 = time.monotonic()
            sent = 0
            while sent < len(body):
                n = min(chunk, len(body) - sent)
                self.wfile.write(body[sent:sent + n])
                sent += n
                if hub.rate:
                    # Paced by the clock: the body arrives at --rate bytes per second.
                    ahead = sent / hub.rate - (time.monotonic() - t0)
                    if ahead > 0:
                        time.sleep(ahead)
            self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", action="append", default=[], help="OWNER/NAME=FOLDER")
    ap.add_argument("--catalogue-in", required=True)
    ap.add_argument("--catalogue-out", required=True)
    ap.add_argument("--corrupt-once", action="append", default=[], help="OWNER/NAME:PATH")
    ap.add_argument("--hold", action="append", default=[], help="OWNER/NAME:PATH:N")
    ap.add_argument("--rate", type=float, default=0)
    a = ap.parse_args()

    repos = {}
    for spec in a.repo:
        name, folder = spec.split("=", 1)
        repos[name] = load_folder(folder)
        if not repos[name]:
            sys.exit("loopback-hub: %s: no files in %s" % (name, folder))
    hub = Hub(repos, a.corrupt_once, a.hold, a.rate)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(hub))
    url = "http://127.0.0.1:%d" % server.server_address[1]
    with open(a.catalogue_in, encoding="utf-8") as f:
        text = f.read()
    if text.count('"https://huggingface.co"') != 1:
        sys.exit("loopback-hub: %s: expected the hub URL exactly once" % a.catalogue_in)
    text = text.replace('"https://huggingface.co"', json.dumps(url))
    tmp = a.catalogue_out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, a.catalogue_out)
    sys.stderr.write("loopback-hub: serving %s at %s\n" % (", ".join(sorted(repos)), url))
    # The test waits for this line (not for a time): the catalogue is in place and the port listens.
    sys.stdout.write("ready %s\n" % url)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
