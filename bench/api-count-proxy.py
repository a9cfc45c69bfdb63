#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""api-count-proxy.py LISTEN_SOCKET ENGINE_SOCKET COUNT_FILE

A counting pass-through for the Docker API, for bench/docker-update.sh:
listens on a unix socket, forwards every connection to the engine's socket
and counts the HTTP requests clients send (each request line, by method).
On SIGTERM it writes "total N" and "mutating M" (POST, PUT, DELETE) to
COUNT_FILE. Requests are delimited properly (head, Content-Length or
chunked body), so requests following one another on a kept-alive
connection are all counted. Used to count the calls of a client that has no counter of its
own (docker-compose)."""
import os
import re
import selectors
import signal
import socket
import sys

listen_path, engine_path, count_file = sys.argv[1:4]
REQ = re.compile(rb"^(GET|POST|PUT|DELETE|HEAD) /")
counts = {"total": 0, "mutating": 0}


def write_counts(*_):
    with open(count_file, "w") as f:
        f.write("total %d\nmutating %d\n" % (counts["total"], counts["mutating"]))
    sys.exit(0)


signal.signal(signal.SIGTERM, write_counts)
if os.path.exists(listen_path):
    os.unlink(listen_path)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(listen_path)
srv.listen(64)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ, None)
tails = {}


class Parser:
    """Splits a client's byte stream into requests: head, then a body of
    Content-Length bytes or chunked up to its last chunk."""

    def __init__(self):
        self.buf = b""
        self.body = 0       # body bytes still to skip
        self.chunked = False

    def feed(self, data):
        self.buf += data
        while True:
            if self.body:
                take = min(self.body, len(self.buf))
                self.buf = self.buf[take:]
                self.body -= take
                if self.body:
                    return
            if self.chunked:
                end = self.buf.find(b"\r\n0\r\n\r\n")
                if self.buf.startswith(b"0\r\n\r\n"):
                    end, skip = 0, 5
                else:
                    skip = 7
                if end < 0:
                    self.buf = self.buf[-8:]
                    return
                self.buf = self.buf[end + skip:]
                self.chunked = False
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end], self.buf[end + 4:]
            m = REQ.match(head)
            if m:
                counts["total"] += 1
                if m.group(1) in (b"POST", b"PUT", b"DELETE"):
                    counts["mutating"] += 1
            low = head.lower()
            cl = re.search(rb"\r\ncontent-length: *([0-9]+)", low)
            self.body = int(cl.group(1)) if cl else 0
            self.chunked = b"\r\ntransfer-encoding: chunked" in low


def count(client, data):
    tails.setdefault(client, Parser()).feed(data)


def close(a, b):
    for s in (a, b):
        try:
            sel.unregister(s)
        except (KeyError, ValueError):
            pass
        s.close()
    tails.pop(a, None)
    tails.pop(b, None)


while True:
    for key, _ in sel.select():
        if key.data is None:
            c, _ = srv.accept()
            e = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            e.connect(engine_path)
            sel.register(c, selectors.EVENT_READ, (e, True))
            sel.register(e, selectors.EVENT_READ, (c, False))
            continue
        peer, from_client = key.data
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if not data:
            close(key.fileobj, peer)
            continue
        if from_client:
            count(key.fileobj, data)
        try:
            peer.sendall(data)
        except OSError:
            close(key.fileobj, peer)
