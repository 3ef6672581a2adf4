#!/usr/bin/env bash
# Network scale benchmark: starts N daemons (release build) as processes on 127.0.0.1, each
# with its own temporary home and free port, all bootstrapping from the first; waits until
# every one has a peer and knows a datanet created at the first; then measures
#   - idle RSS per node (VmRSS) before any contribution, and peak RSS (VmHWM) at the end;
#   - peers per node (the `datanet_peers` gauge of /metrics) once connections have settled
#     (SETTLE s after every node is up: extra connections close when idle for 30 s and open
#     for 60 s), and members per node (storage peers it knows of, connected or not);
#   - gossip messages and payload bytes received per node per contribution (/metrics
#     counters datanet_gossip_*);
#   - for each contribution (SIZE MiB of random bytes, made at one node with `datanet
#     contribute`), the time from the end of its dispersal at that node to its announcement
#     reaching each other node (`announced` on /v1/events), and how many got it in time;
#   - dispersal throughput (the `contribute` command) and retrieval throughput (`datanet get`
#     at the last node started), every retrieval compared byte for byte with what was sent;
#   - as a same-run baseline, the same contribute at one daemon alone.
# It prints the details, then one Markdown table row. Every daemon is killed on exit or
# Ctrl-C and the temporary directory removed (--keep keeps it, with the daemons' logs).
#
# Usage: scripts/scale-bench.sh N [--size-mib S] [--contributions C] [--at I]
#                               [--up-timeout SECS] [--announce-timeout SECS]
#                               [--settle SECS] [--no-baseline] [--keep]
#   defaults: S 20, C 3, I 1 (the node that contributes; 0 is the bootstrap node), settle 80 s,
#   up timeout 60 + N s, announce timeout 60 s. DATANET_BIN=path skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nodes.sh

usage() {
  sed -n '/^# Usage:/,/DATANET_BIN=/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ $# -ge 1 && $1 =~ ^[0-9]+$ ]] || usage
N=$1
shift
SIZE_MIB=20 CONTRIBUTIONS=3 AT=1 UP_TIMEOUT=$((60 + N)) ANNOUNCE_TIMEOUT=60 BASELINE=1 SETTLE=80
while [[ $# -gt 0 ]]; do
  case $1 in
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --contributions) CONTRIBUTIONS=$2; shift 2 ;;
    --at) AT=$2; shift 2 ;;
    --up-timeout) UP_TIMEOUT=$2; shift 2 ;;
    --announce-timeout) ANNOUNCE_TIMEOUT=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --no-baseline) BASELINE=0; shift ;;
    --keep) KEEP_WORK=1; shift ;;
    *) usage ;;
  esac
done
((N >= 2)) || die "N must be at least 2"
((AT < N)) || die "--at $AT: the nodes are numbered 0 to $((N - 1))"
READER=$((N - 1))
((READER != AT)) || READER=$((N - 2))

datanet_bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/scale-bench.XXXXXX")
nodes_setup
stats() { python3 "$BENCH_PY" stats "$@"; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

echo "scale-bench: $N nodes, $CONTRIBUTIONS contributions of $SIZE_MIB MiB at node $AT, retrieved at node $READER; $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
for c in $(seq "$CONTRIBUTIONS"); do
  head -c $((SIZE_MIB << 20)) /dev/urandom > "$WORK/payload.$c"
done
mapfile -t PORTS < <(python3 "$BENCH_PY" ports $((N + 1)))

# The baseline: the same contribute at a daemon alone (slot N, stopped before the network).
BASE_RATE="-"
if ((BASELINE)); then
  node_init "$N" "${PORTS[N]}"
  node_start "$N"
  wait_up "$N" 30
  id=$(cli "$N" --json create baseline | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  t0=$(now)
  cli "$N" --json contribute "$WORK/payload.1" --datanet "$id" > /dev/null || die "baseline contribute failed"
  t=$(elapsed "$t0" "$(now)")
  BASE_RATE=$(rate "$SIZE_MIB" "$t")
  node_kill "$N"
  echo "baseline: one daemon alone contributes $SIZE_MIB MiB in $t s, $BASE_RATE MiB/s"
fi

# The network: node 0 first, then every other one bootstrapping from it.
node_init 0 "${PORTS[0]}"
BOOT="/ip4/127.0.0.1/tcp/${PORTS[0]}/p2p/$(peer_id 0)"
for i in $(seq 1 $((N - 1))); do node_init "$i" "${PORTS[i]}" "$BOOT"; done
T_START=$SECONDS
node_start 0
wait_up 0 30
for i in $(seq 1 $((N - 1))); do node_start "$i"; done
for i in $(seq 1 $((N - 1))); do wait_up "$i" "$UP_TIMEOUT"; done
echo "all $N daemons answer on their sockets after $((SECONDS - T_START)) s"

deadline=$((SECONDS + UP_TIMEOUT))
while :; do
  alone=()
  for i in $(seq 0 $((N - 1))); do
    p=$(metric "$i" datanet_peers)
    [[ ${p:-0} -ge 1 ]] || alone+=("$i")
  done
  ((${#alone[@]} == 0)) && break
  if ((SECONDS >= deadline)); then
    for i in "${alone[@]:0:5}"; do
      echo "node $i: $(cli "$i" status 2>&1 | grep -i -A2 'no peers' | head -3)" >&2
    done
    die "${#alone[@]} of $N nodes have no peer after $UP_TIMEOUT s: ${alone[*]}"
  fi
  sleep 1
done
UP_S=$((SECONDS - T_START))
echo "every node has a peer $UP_S s after the first started"

DATANET=$(cli 0 --json create scale | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
deadline=$((SECONDS + 30))
while :; do
  missing=()
  for i in $(seq 1 $((N - 1))); do
    d=$(metric "$i" datanet_datanets)
    [[ ${d:-0} -ge 1 ]] || missing+=("$i")
  done
  ((${#missing[@]} == 0 || SECONDS >= deadline)) && break
  sleep 0.5
done
if ((${#missing[@]} > 0)); then
  echo "the datanet record did not reach ${#missing[@]} node(s) by gossip within 30 s (${missing[*]}); they fetch it"
  for i in "${missing[@]}"; do api "$i" "/v1/datanets/$DATANET" > /dev/null || die "node $i cannot fetch the datanet record"; done
fi
echo "waiting ${SETTLE} s for connections to settle"
sleep "$SETTLE"

# Idle: no contribution yet.
IDLE=() PEERS=() MEMBERS=()
for i in $(seq 0 $((N - 1))); do
  IDLE+=("$(rss_kib "${NODE_PID[i]}" VmRSS)")
  PEERS+=("$(metric "$i" datanet_peers)")
  MEMBERS+=("$(metric "$i" datanet_members)")
done
read -r IDLE_MED _ IDLE_MAX _ < <(printf '%s\n' "${IDLE[@]}" | stats 0.0009765625)
read -r PEERS_MED _ PEERS_MAX _ < <(printf '%s\n' "${PEERS[@]}" | stats)
read -r MEMBERS_MED _ MEMBERS_MIN _ < <(printf '%s\n' "${MEMBERS[@]}" | awk '{ print -$1 }' | stats)
echo "idle RSS per node: median $IDLE_MED MiB, max $IDLE_MAX MiB; peers per node: median $PEERS_MED, max $PEERS_MAX; members known per node: median ${MEMBERS_MED#-}, min ${MEMBERS_MIN#-}"

gossip_counts() {
  for i in $(seq 0 $((N - 1))); do
    api "$i" /metrics | awk -v i="$i" '
      $1 == "datanet_gossip_received_total" { m = $2 }
      $1 == "datanet_gossip_received_bytes_total" { b = $2 }
      $1 == "datanet_gossip_published_total" { pm = $2 }
      $1 == "datanet_gossip_published_bytes_total" { pb = $2 }
      END { print i, m, b, pm, pb }'
  done
}
SOCKETS=()
for i in $(seq 0 $((N - 1))); do SOCKETS+=("$(sock_of "$i")"); done
python3 "$BENCH_PY" sse "$WORK/events.log" "${SOCKETS[@]}" &
SSE_PID=$!
sleep 1
gossip_counts > "$WORK/gossip.before"

CIDS=() DISPERSE_S=0 GOT_ALL=0
: > "$WORK/latency"
for c in $(seq "$CONTRIBUTIONS"); do
  t0=$(now)
  cid=$(cli "$AT" --json contribute "$WORK/payload.$c" --datanet "$DATANET" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') || die "contribution $c failed at node $AT"
  t1=$(now)
  CIDS+=("$cid")
  DISPERSE_S=$(python3 -c "print(f'{$DISPERSE_S + $t1 - $t0:.3f}')")
  deadline=$((SECONDS + ANNOUNCE_TIMEOUT))
  while :; do
    got=$(awk -v c="$cid" '$3 == "announced" && $4 == c { print $2 }' "$WORK/events.log" | sort -u | wc -l)
    ((got >= N - 1 || SECONDS >= deadline)) && break
    sleep 0.2
  done
  python3 "$BENCH_PY" latency "$WORK/events.log" "$cid" "$AT" "$t1" "$N" > "$WORK/latency.$c"
  grep -v '^-$' "$WORK/latency.$c" >> "$WORK/latency" || true
  missed=$(awk '$1 == "-" { printf "%s ", NR - 1 < '"$AT"' ? NR - 1 : NR }' "$WORK/latency.$c")
  ((got >= N - 1)) && GOT_ALL=$((GOT_ALL + 1))
  read -r l50 l90 lmax _ < <(stats < <(grep -v '^-$' "$WORK/latency.$c" || true))
  echo "contribution $c: $(elapsed "$t0" "$t1") s to contribute; announced at $got of $((N - 1)) other nodes (median $l50 s, p90 $l90 s, max $lmax s)${missed:+; not within ${ANNOUNCE_TIMEOUT} s at nodes: $missed}"
done
gossip_counts > "$WORK/gossip.after"
# One line per node: "I messages bytes published published_bytes", before then after.
delta() { paste -d ' ' "$WORK/gossip.before" "$WORK/gossip.after" | awk -v c="$CONTRIBUTIONS" "$1"; }
read -r MSG_MED _ MSG_MAX _ < <(delta '{ print ($7 - $2) / c }' | stats)
read -r BYTES_MED _ BYTES_MAX _ < <(delta '{ print ($8 - $3) / c }' | stats)
PUB_BYTES=$(delta '{ s += $10 - $5 } END { print s / c }')
read -r LAT_MED LAT_P90 LAT_MAX LAT_N < <(stats < "$WORK/latency")
DISPERSE_RATE=$(rate $((SIZE_MIB * CONTRIBUTIONS)) "$DISPERSE_S")
echo "gossip per node per contribution: received messages median $MSG_MED, max $MSG_MAX; bytes median $BYTES_MED, max $BYTES_MAX (published: $PUB_BYTES bytes in all)"
echo "announcement: $LAT_N of $(((N - 1) * CONTRIBUTIONS)) (node, contribution) pairs within ${ANNOUNCE_TIMEOUT} s; median $LAT_MED s, p90 $LAT_P90 s, max $LAT_MAX s"
echo "dispersal: $((SIZE_MIB * CONTRIBUTIONS)) MiB in $DISPERSE_S s, $DISPERSE_RATE MiB/s"

GET_S=0
for c in $(seq "$CONTRIBUTIONS"); do
  t0=$(now)
  cli "$READER" --json get "${CIDS[c - 1]}" -o "$WORK/got.$c" > /dev/null ||
    die "node $READER could not retrieve contribution $c (${CIDS[c - 1]}); its log ends:
$(log_tail "$READER")"
  t1=$(now)
  cmp -s "$WORK/payload.$c" "$WORK/got.$c" || die "contribution $c retrieved at node $READER differs from what was sent"
  GET_S=$(python3 -c "print(f'{$GET_S + $t1 - $t0:.3f}')")
  rm -f "$WORK/got.$c"
done
GET_RATE=$(rate $((SIZE_MIB * CONTRIBUTIONS)) "$GET_S")
echo "retrieval at node $READER: $((SIZE_MIB * CONTRIBUTIONS)) MiB in $GET_S s, $GET_RATE MiB/s, bit-exact"

PEAK=()
for i in $(seq 0 $((N - 1))); do PEAK+=("$(rss_kib "${NODE_PID[i]}" VmHWM)"); done
read -r PEAK_MED _ PEAK_MAX _ < <(printf '%s\n' "${PEAK[@]}" | stats 0.0009765625)
echo "peak RSS per node: median $PEAK_MED MiB, max $PEAK_MAX MiB"

echo
echo "| N | up | idle RSS med / max | peak RSS med / max | peers med / max | gossip msgs / node / contribution med / max | gossip bytes / node / contribution med / max | announcement med / p90 / max | contributions everywhere in ${ANNOUNCE_TIMEOUT} s | contribute | get (bit-exact) | alone: contribute |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
echo "| $N | $UP_S s | $IDLE_MED / $IDLE_MAX MiB | $PEAK_MED / $PEAK_MAX MiB | $PEERS_MED / $PEERS_MAX | $MSG_MED / $MSG_MAX | $BYTES_MED / $BYTES_MAX | $LAT_MED / $LAT_P90 / $LAT_MAX s | $GOT_ALL of $CONTRIBUTIONS | $DISPERSE_RATE MiB/s | $GET_RATE MiB/s | $BASE_RATE MiB/s |"
