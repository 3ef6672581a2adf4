#!/usr/bin/env python3
"""Helpers of scripts/scale-bench.sh and scripts/soak.sh (standard library only).

  bench.py ports COUNT          COUNT port numbers free for both TCP and UDP on 127.0.0.1
  bench.py sse OUT SOCKET...    follows /v1/events on each daemon socket and appends one line
                                per event of interest to OUT: "TIME NODE announced CID" or
                                "TIME NODE dispersed DONE TOTAL" (NODE: the socket's position)
  bench.py stats [SCALE]        reads numbers, one a line, prints "median p90 max count"
                                (each number multiplied by SCALE first)
  bench.py latency EVENTS CID SOURCE RETURNED NODES
                                seconds from SOURCE's last completed dispersal before RETURNED
                                (the contribute command's end, epoch seconds) to the first
                                announcement of CID at each other node, one a line; prints
                                "-" for a node that has not seen it
"""

import json
import os
import selectors
import socket
import sys
import time


def ports(count):
    held, found = [], []
    while len(found) < count:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind(("127.0.0.1", port))
        except OSError:
            tcp.close()
            udp.close()
            continue
        held += [tcp, udp]
        found.append(port)
    for s in held:
        s.close()
    print("\n".join(str(p) for p in found))


def sse(out_path, sockets):
    sel = selectors.DefaultSelector()
    out = open(out_path, "a", buffering=1)
    for node, path in enumerate(sockets):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        # HTTP/1.0: the stream comes without chunked framing and ends when the daemon closes it.
        conn.sendall(b"GET /v1/events HTTP/1.0\r\nHost: datanet\r\n\r\n")
        sel.register(conn, selectors.EVENT_READ, [node, b""])
    while sel.get_map():
        for key, _ in sel.select():
            node, pending = key.data
            data = key.fileobj.recv(65536)
            now = time.time()
            if not data:
                sel.unregister(key.fileobj)
                continue
            lines = (pending + data).split(b"\n")
            key.data[1] = lines.pop()
            for line in lines:
                if not line.startswith(b"data:"):
                    continue
                try:
                    event = json.loads(line[5:])
                except ValueError:
                    continue
                if event.get("type") == "announced":
                    out.write(f"{now:.6f} {node} announced {event['contribution']}\n")
                elif event.get("type") == "upload" and event.get("stage") == "dispersed":
                    out.write(f"{now:.6f} {node} dispersed {event['done']} {event['total']}\n")


def stats(scale):
    values = sorted(float(v) * scale for v in sys.stdin.read().split())
    if not values:
        print("- - - 0")
        return
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    fmt = lambda v: f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    print(f"{fmt(values[(len(values) - 1) // 2])} {fmt(pick(0.9))} {fmt(values[-1])} {len(values)}")


def latency(events, cid, source, returned, nodes):
    dispersed, seen = [], {}
    with open(events) as f:
        for line in f:
            parts = line.split()
            t, node, kind = float(parts[0]), int(parts[1]), parts[2]
            if kind == "dispersed" and node == source and parts[3] == parts[4] and t <= returned:
                dispersed.append(t)
            elif kind == "announced" and parts[3] == cid and node not in seen:
                seen[node] = t
    if not dispersed:
        sys.exit(f"node {source} reported no completed dispersal on /v1/events")
    start = max(dispersed)
    for node in range(nodes):
        if node != source:
            print(f"{seen[node] - start:.4f}" if node in seen else "-")


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "ports":
        ports(int(args[0]))
    elif command == "sse":
        sse(args[0], args[1:])
    elif command == "stats":
        stats(float(args[0]) if args else 1.0)
    elif command == "latency":
        latency(args[0], args[1], int(args[2]), float(args[3]), int(args[4]))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        os._exit(0)
