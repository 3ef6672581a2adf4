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
  bench.py anchor-wait BIN HOME CID TIMEOUT
                                polls `BIN --home HOME --json show CID` every 0.1 s until its
                                batch's anchor is confirmed; prints "EPOCH QC FINAL SUBMITTED
                                CONFIRMED": the batch's epoch, then the epoch seconds at which
                                the certificate, the final batch, the anchor sent ("-" if never
                                seen) and the anchor confirmed were first seen (scripts/anchor-
                                latency.sh)
  bench.py anchor-report RESULTS EPOCH_S LOG...
                                the contribution-to-anchored report of scripts/anchor-latency.sh
                                from its RESULTS lines ("CID T0 " then anchor-wait's output) and
                                the daemons' LOGs (RUST_LOG info)
"""

import json
import os
import re
import selectors
import socket
import subprocess
import sys
import time
from datetime import datetime


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


def anchor_wait(binary, home, cid, timeout):
    seen, epoch = {}, None
    deadline = time.time() + timeout
    while True:
        asked = time.time()
        out = subprocess.run(
            [binary, "--home", home, "--json", "show", cid], capture_output=True, check=False
        )
        now = time.time()
        if out.returncode == 0:
            validation = json.loads(out.stdout).get("validation") or {}
            if validation.get("certificate"):
                seen.setdefault("qc", now)
            if validation.get("epoch") is not None:
                epoch = validation["epoch"]
                seen.setdefault("final", now)
            state = (validation.get("anchored") or {}).get("state")
            if state == "submitted":
                seen.setdefault("submitted", now)
            elif state == "confirmed":
                seen["confirmed"] = now
                break
            elif state == "skipped":
                sys.exit(f"{cid}: its epoch {epoch} was skipped on chain")
        if now > deadline:
            sys.exit(f"{cid}: not anchored within {timeout:.0f} s ({sorted(seen)} seen)")
        time.sleep(max(0.0, 0.1 - (time.time() - asked)))
    stamp = lambda k: f"{seen[k]:.3f}" if k in seen else "-"
    print(epoch, *(stamp(k) for k in ("qc", "final", "submitted", "confirmed")))


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LOG_LINE = re.compile(
    r"^(\S+Z)\s+INFO\s+\S+: (proposing a batch|batch final|anchor sent|batch anchored) .*\bepoch=(\d+)"
)


ATTESTED = re.compile(r"^(\S+Z)\s+INFO\s+\S+: attested contribution=([0-9a-f]+)")


def log_events(logs):
    """From the logs: (node, what, epoch) -> epoch seconds of the first such line, and
    contribution -> the epoch seconds of each validator's attestation, sorted."""
    found, attested = {}, {}
    stamp = lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    for node, path in enumerate(logs):
        with open(path, errors="replace") as f:
            for line in f:
                line = ANSI.sub("", line)
                m = LOG_LINE.match(line)
                if m:
                    found.setdefault((node, m[2], int(m[3])), stamp(m[1]))
                m = ATTESTED.match(line)
                if m:
                    attested.setdefault(m[2], []).append(stamp(m[1]))
    for times in attested.values():
        times.sort()
    return found, attested


def anchor_report(results, epoch_s, logs):
    events, attested = log_events(logs)
    # A certificate needs more than 2/3 of the (equal) stake: the attestation that gets there.
    quorum = len(logs) * 2 // 3 + 1
    rows = []
    with open(results) as f:
        for line in f:
            cid, t0, epoch, _qc, final, _submitted, confirmed = line.split()
            t0, epoch = float(t0), int(epoch)
            at = lambda what: sorted(
                (t, node) for (node, w, e), t in events.items() if w == what and e == epoch
            )
            proposed, sent = at("proposing a batch"), at("anchor sent")
            final0 = events.get((0, "batch final", epoch))
            anchored0 = events.get((0, "batch anchored", epoch))
            rows.append(
                {
                    "cid": cid,
                    "epoch": epoch,
                    "total": float(confirmed) - t0,
                    "qc": (
                        attested[cid][quorum - 1] - t0
                        if len(attested.get(cid, [])) >= quorum
                        else None
                    ),
                    "proposed": proposed[0][0] - t0 if proposed else None,
                    "final": final0 - t0 if final0 else float(final) - t0,
                    "sent": sent[0][0] - t0 if sent else None,
                    "senders": len(sent),
                    "sender": sent[0][1] if sent else None,
                    "leader": proposed[0][1] if proposed else None,
                    "anchored": anchored0 - t0 if anchored0 else None,
                }
            )
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    print("per contribution, seconds after `contribute` returned (confirmed: as `show` at node 0")
    print("first said so; QC (the attestation that made the quorum), proposed, final, sent and")
    print("anchored: from the daemons' logs):")
    print("  #  epoch  QC     proposed  final  sent (by node, leader)  anchored@0  confirmed  epochs")
    for i, r in enumerate(rows, 1):
        who = "-" if r["sender"] is None else f"{r['sender']}, {r['leader']}"
        extra = f"  ({r['senders']} sent)" if r["senders"] > 1 else ""
        print(
            f"  {i:<2} {r['epoch']:<6} {fmt(r['qc']):<6} {fmt(r['proposed']):<9} "
            f"{fmt(r['final']):<6} {fmt(r['sent']):<6} ({who}){'':<{14 - len(who)}} "
            f"{fmt(r['anchored']):<11} {fmt(r['total']):<10} {r['total'] / epoch_s:.2f}{extra}"
        )

    def stats(values):
        values = sorted(v for v in values if v is not None)
        if not values:
            return "-", "-", "-"
        pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
        return values[(len(values) - 1) // 2], pick(0.9), values[-1]

    def span(a, b):
        return [r[b] - r[a] if r[a] is not None and r[b] is not None else None for r in rows]

    print("phases, seconds (p50 / p90 / max):")
    for name, values in [
        ("contribute returned -> QC (quorum's last attestation)", [r["qc"] for r in rows]),
        ("QC -> leader proposes", span("qc", "proposed")),
        ("proposal -> batch final at node 0", span("proposed", "final")),
        ("final -> anchor sent (signatures, leader's pass)", span("final", "sent")),
        ("sent -> anchored at node 0 (mining, node 0's pass)", span("sent", "anchored")),
        ("anchored in node 0's log -> seen by show", span("anchored", "total")),
    ]:
        p50, p90, top = stats(values)
        print(f"  {name:<52} {fmt(p50)} / {fmt(p90)} / {fmt(top)}")
    p50, p90, top = stats([r["total"] for r in rows])
    print(
        f"contribution -> anchored (confirmed at node 0), {len(rows)} contributions: "
        f"p50 {p50:.2f} s, p90 {p90:.2f} s, max {top:.2f} s; "
        f"in epochs of {epoch_s:g} s: p50 {p50 / epoch_s:.2f}, p90 {p90 / epoch_s:.2f}, "
        f"max {top / epoch_s:.2f}"
    )
    several = sum(1 for r in rows if r["senders"] > 1)
    if several:
        print(f"{several} epochs had their anchor sent by more than one node (the hub takes one)")


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
    elif command == "anchor-wait":
        anchor_wait(args[0], args[1], args[2], float(args[3]))
    elif command == "anchor-report":
        anchor_report(args[0], float(args[1]), args[2:])
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        os._exit(0)
