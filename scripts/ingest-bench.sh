#!/usr/bin/env bash
# Local ingest through the API socket: a file of SIZE_MIB (default 1024) uploaded with curl to
# one running node, timed, with the daemon's peak RSS; beside `cat FILE > /dev/null` and the
# same curl upload to a do-nothing endpoint, in the same run (curl -T streams the file); then
# the contribution is downloaded back through the socket. Prints one line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
cargo build --release --locked --quiet -p datanet-daemon --bin datanet --example sink
BIN=target/release/datanet
SINK=target/release/examples/sink
WORK=$(mktemp -d)
DAEMON=""; SINKPID=""
trap 'kill $DAEMON $SINKPID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT

head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/payload"
secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.3f}')" "$1"; }
rate() { python3 -c "import sys; print(f'{$SIZE_MIB / float(sys.argv[1]):.0f}')" "$1"; }
now() { date +%s.%N; }

start=$(now); cat "$WORK/payload" > /dev/null; end=$(now)
t=$(python3 -c "print($end - $start)"); echo "cat FILE > /dev/null: $(secs $t) s, $(rate $t) MiB/s"

$SINK "$WORK/sink.sock" & SINKPID=$!
sleep 0.5
t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$WORK/sink.sock" -X POST -T "$WORK/payload" http://sink/)
echo "curl upload to a do-nothing endpoint: $(secs $t) s, $(rate $t) MiB/s"

$BIN --home "$WORK/node" init --listen /ip4/127.0.0.1/tcp/0 > /dev/null
$BIN --home "$WORK/node" run 2> "$WORK/daemon.log" & DAEMON=$!
for _ in $(seq 100); do $BIN --home "$WORK/node" status > /dev/null 2>&1 && break; sleep 0.1; done
echo "{\"max_contribution_bytes\": $((SIZE_MIB << 20))}" > "$WORK/policy.json"
ID=$($BIN --home "$WORK/node" --json create bench --policy "$WORK/policy.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t=$(curl -s -o "$WORK/answer.json" -w '%{time_total}' --unix-socket "$WORK/node/datanet.sock" \
    -X POST -T "$WORK/payload" "http://datanet/v1/datanets/$ID/contributions")
grep -q '"status":"stored"' "$WORK/answer.json" || { cat "$WORK/answer.json"; exit 1; }
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$DAEMON/status)
echo "datanet ingest through the socket: $(secs $t) s, $(rate $t) MiB/s, daemon peak RSS ${rss} MiB"
CID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/answer.json")
t=$(curl -s -o /dev/null -w '%{time_total}' --unix-socket "$WORK/node/datanet.sock" \
    "http://datanet/v1/contributions/$CID/data")
rss=$(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$DAEMON/status)
echo "datanet download through the socket: $(secs $t) s, $(rate $t) MiB/s, daemon peak RSS so far ${rss} MiB"
