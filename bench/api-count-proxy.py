#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""api-count-proxy.py LISTEN_SOCKET ENGINE_SOCKET COUNT_FILE

A counting pass-through for the Docker API, for bench/docker-update.sh:
listens on a unix socket, forwards every connection to the engine's socket
and counts the HTTP requests clients send (each request line, by method).
On SIGTERM it writes "total N" and "mutating M" (POST, PUT, DELETE) to
COUNT_FILE. Used to count the calls of a client that has no counter of its
own (docker-compose)."""
import os
import re
import selectors
import signal
import socket
import sys

listen_path, engine_path, count_file = sys.argv[1:4]
REQ = re.compile(rb"(?:^|\r\n)(GET|POST|PUT|DELETE|HEAD) /[^ \r\n]* HTTP/1\.[01]\r\n")
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


def count(client, data):
    # what follows the last complete line is kept for the next read, so a
    # request line split across reads is counted once
    buf = tails.get(client, b"") + data
    for m in REQ.finditer(buf):
        counts["total"] += 1
        if m.group(1) in (b"POST", b"PUT", b"DELETE"):
            counts["mutating"] += 1
    end = buf.rfind(b"\r\n")
    tails[client] = (buf[end + 2:] if end >= 0 else buf)[-8192:]


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
