#!/usr/bin/env bash
# A light client following many anchored chunks: starts `datanet devnet` (anvil with the hub,
# daemons on loopback validating its datanet), makes C contributions of about B bytes of JSON
# lines at node 0 (one chunk each), waits until the last is anchored, then starts `datanet-light run` from block 0
# against the hub and node 0 and lets it check every anchored contribution. It prints the
# light client's peak RSS (VmHWM), the size of its progress store, how long the catch-up took,
# and the checks and samples per second it asked of the network. Not part of the test suite.
#
# Usage: scripts/light-follow-bench.sh [--contributions C] [--bytes B] [--nodes N] [--keep]
#   defaults: C 1000, B 65536, N 4 (the devnet's). DATANET_BIN / DATANET_LIGHT_BIN skip the builds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nodes.sh
source scripts/lib/devnet.sh

usage() {
  sed -n '/^# Usage:/,/DATANET_LIGHT_BIN/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

CONTRIBUTIONS=1000 BYTES=65536 NODES=4
while [[ $# -gt 0 ]]; do
  case $1 in
    --contributions) CONTRIBUTIONS=${2:?}; shift 2 ;;
    --nodes) NODES=${2:?}; shift 2 ;;
    --bytes) BYTES=${2:?}; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    *) usage ;;
  esac
done
[[ $CONTRIBUTIONS =~ ^[1-9][0-9]*$ ]] || die "--contributions must be a positive whole number"
command -v python3 > /dev/null || die "python3 is needed"

datanet_bin
LIGHT=${DATANET_LIGHT_BIN:-}
if [[ -z $LIGHT ]]; then
  cargo build --release --locked --quiet -p datanet-light --bin datanet-light
  LIGHT="${CARGO_TARGET_DIR:-target}/release/datanet-light"
fi
devnet_work light-follow

devnet_start "$NODES"
DATANET=$(field 'd["datanet"]["id"]')
HOME0=$(field 'd["nodes"][0]["home"]')
RPC=$(field 'd["anchored"]["rpc_url"]')
HUB=$(setting chain hub)
BOOTSTRAP=$("$BIN" --home "$HOME0" --json status | python3 -c '
import json, sys
s = json.load(sys.stdin)
tcp = next(a for a in s["listen"] if "/tcp/" in a)
peer = s["peer_id"]
print(tcp if "/p2p/" in tcp else f"{tcp}/p2p/{peer}")')
echo "light-follow: $CONTRIBUTIONS contributions of about $BYTES bytes (one chunk each), $NODES daemons; $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"

started=$(now)
for c in $(seq "$CONTRIBUTIONS"); do
  python3 -c '
import json, sys
c, size = int(sys.argv[1]), int(sys.argv[2])
out, n = 0, 0
while out < size:
    line = json.dumps({"id": n, "prompt": f"contribution {c} line {n}", "response": "sampled " * 8}) + "\n"
    sys.stdout.write(line)
    out, n = out + len(line), n + 1' "$c" "$BYTES" > "$WORK/c.jsonl"
  made=$("$BIN" --home "$HOME0" --json contribute "$WORK/c.jsonl" --datanet "$DATANET" \
    --media-type application/jsonl) || die "contribution $c failed"
  ((c % 100 == 0)) && echo "  $c contributed"
done
LAST=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$made")
python3 "$BENCH_PY" anchor-wait "$BIN" "$HOME0" "$LAST" 600 > /dev/null ||
  die "the last contribution was not anchored"
echo "contributed and anchored in $(python3 -c "print(f'{$(now) - $started:.0f}')") s"

# The devnet's own sample is anchored too: every contribution plus it.
WANT=$((CONTRIBUTIONS + 1))
started=$(now)
"$LIGHT" --json run --rpc "$RPC" --hub "$HUB" --bootstrap "$BOOTSTRAP" --datanet "$DATANET" \
  --confirmations 1 --home "$WORK/light" > "$WORK/light.jsonl" 2> "$WORK/light.log" &
LIGHT_PID=$!
EXTRA_PIDS+=("$LIGHT_PID")
peak=0
until (($(grep -c '"contribution"' "$WORK/light.jsonl" || true) >= WANT)); do
  kill -0 "$LIGHT_PID" 2> /dev/null || die "the light client exited; its log ends:
$(tail -n 10 "$WORK/light.log")"
  peak=$(rss_kib "$LIGHT_PID" VmHWM)
  sleep 0.5
done
elapsed=$(python3 -c "print($(now) - $started)")
peak=$(rss_kib "$LIGHT_PID" VmHWM)
disk=$(du -sk "$WORK/light" | cut -f1)
python3 - "$WORK/light.jsonl" "$elapsed" "$peak" "$disk" << 'PY'
import json, sys
path, elapsed, peak, disk = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = [json.loads(l) for l in open(path) if '"contribution"' in l]
chunks = sum(len(r["chunks"]) for r in rows)
samples = sum(c["samples"] for r in rows for c in r["chunks"])
available = sum(1 for r in rows if r["available"])
print(f"checked {len(rows)} contributions ({chunks} chunks, {available} available) in {elapsed:.1f} s")
print()
print("| peak RSS | progress store | catch-up | checks/s | samples/s |")
print("| --- | --- | --- | --- | --- |")
print(f"| {peak / 1024:.1f} MiB | {disk / 1024:.1f} MiB | {elapsed:.1f} s | {len(rows) / elapsed:.1f} | {samples / elapsed:.0f} |")
PY
