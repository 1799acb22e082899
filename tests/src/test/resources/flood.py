#!/usr/bin/env python3
"""UDP flooder for the hardening tests: sends as fast as one process can from many source
addresses to one WireGuard port, then prints one JSON line with what it did.

  flood.py handshake TARGET PORT SECONDS SOURCES PUBKEY_B64
      handshake initiations (148 bytes) with a valid MAC1 for PUBKEY: random sender index,
      ephemeral, static and timestamp fields, MAC2 zero, so each costs the responder a
      Diffie-Hellman unless it is under load, when it must answer with a cookie reply instead.
  flood.py garbage TARGET PORT SECONDS SOURCES
      random bytes led by every type word (1, 2, 3, 4, 0, 5, 255 and junk in the reserved
      bytes) in every size from 0 to 1500 and some up to 65507.

SOURCES is a comma-separated list of local addresses to send from (one socket each, in turn).
Replies are counted by type; a cookie reply is type 3, 64 bytes.
"""
import base64
import errno
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time

INITIATION_SIZE = 148
MAC1_OFFSET = 116
DISTINCT = 4096


def initiations(public_key):
    mac1_key = hashlib.blake2s(b"mac1----" + public_key).digest()
    messages = []
    for _ in range(DISTINCT):
        body = bytearray(struct.pack("<I", 1) + os.urandom(MAC1_OFFSET - 4))
        mac1 = hashlib.blake2s(bytes(body), digest_size=16, key=mac1_key).digest()
        messages.append(bytes(body + mac1 + bytes(16)))
    return messages


def garbage():
    messages = []
    prefixes = [struct.pack("<I", t) for t in (1, 2, 3, 4, 0, 5, 255)] + [b"\x01\x01\x00\x00", b"\x04\x00\x00\x01"]
    sizes = list(range(0, 1501)) + [2000, 4096, 9000, 16384, 32768, 65507]
    for i, size in enumerate(sizes):
        prefix = prefixes[i % len(prefixes)]
        body = (prefix + os.urandom(max(0, size - len(prefix))))[:size]
        messages.append(body)
    # Exact handshake and cookie sizes for every type, so they reach the MAC and index checks.
    for size in (148, 92, 64, 32):
        for prefix in prefixes:
            messages.append((prefix + os.urandom(size))[:size])
    return messages


def main():
    mode, target, port, seconds, sources = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    if mode == "handshake":
        messages = initiations(base64.b64decode(sys.argv[6]))
    elif mode == "garbage":
        messages = garbage()
    else:
        sys.exit("unknown mode " + mode)
    family = socket.AF_INET6 if ":" in target else socket.AF_INET
    sockets = []
    poller = select.epoll()
    for address in sources.split(","):
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
        s.bind((address, 0))
        s.setblocking(False)
        s.connect((target, port))
        poller.register(s.fileno(), select.EPOLLIN)
        sockets.append(s)
    by_fd = {s.fileno(): s for s in sockets}
    replies = {}
    sent = 0
    blocked = 0
    failed = 0

    def drain(timeout):
        for fd, _ in poller.poll(timeout):
            s = by_fd[fd]
            while True:
                try:
                    data = s.recv(65535)
                except BlockingIOError:
                    break
                except OSError:
                    break
                key = "type%d_%d" % (data[0] if data else -1, len(data))
                replies[key] = replies.get(key, 0) + 1

    start = time.monotonic()
    deadline = start + seconds
    n_messages = len(messages)
    n_sockets = len(sockets)
    i = 0
    while True:
        # Check the clock and replies every few thousand datagrams, not per datagram.
        for _ in range(2048):
            s = sockets[i % n_sockets]
            try:
                s.send(messages[i % n_messages])
                sent += 1
            except BlockingIOError:
                blocked += 1
            except OSError as e:
                # ECONNREFUSED from an earlier ICMP error, EMSGSIZE for the oversized ones.
                failed += 1
                if e.errno not in (errno.ECONNREFUSED, errno.EMSGSIZE, errno.ENOBUFS):
                    raise
            i += 1
        drain(0)
        if time.monotonic() >= deadline:
            break
    elapsed = time.monotonic() - start
    drain(0.5)
    print(json.dumps({"mode": mode, "sent": sent, "blocked": blocked, "failed": failed, "seconds": round(elapsed, 3),
                      "pps": int(sent / elapsed) if elapsed > 0 else 0, "sources": n_sockets, "replies": replies}))


if __name__ == "__main__":
    main()
