#!/usr/bin/env bash
# Soak test under churn: starts N daemons (release build) as processes on 127.0.0.1, all
# bootstrapping from the first, creates a datanet, then for M minutes
#   - makes a contribution every few seconds (random size, random bytes) at a random running
#     node with `datanet contribute`, and retrieves it with `datanet get` at another running
#     node, compared byte for byte with what was sent;
#   - every minute kills a random node with SIGKILL and restarts it a few seconds later with
#     the same home and port, so it rejoins with its store and identity.
# At the end every contribution made is retrieved again, each at a random running node, and
# compared byte for byte. It prints made / retrieved bit-exact / lost and exits 1 if any
# contribution was lost (not retrievable bit-exact at the end), 0 otherwise. A contribute
# that fails (a custodian killed during its dispersal, say) is counted apart: nothing was
# made, so nothing can be lost. Every daemon is killed on exit or Ctrl-C and the temporary
# directory removed (--keep keeps it, with the daemons' logs).
#
# Usage: scripts/soak.sh [--minutes M] [--nodes N] [--every SECS] [--max-kib K]
#                        [--kill-every SECS] [--down SECS] [--keep]
#   defaults: M 30, N 20, a contribution every 5 s of 16 KiB to K = 4096 KiB, a node
#   killed every 60 s and restarted 10 s later. DATANET_BIN=path skips the cargo build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/nodes.sh

usage() {
  sed -n '/^# Usage:/,/DATANET_BIN=/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

MINUTES=30 N=20 EVERY=5 MAX_KIB=4096 KILL_EVERY=60 DOWN=10
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) MINUTES=$2; shift 2 ;;
    --nodes) N=$2; shift 2 ;;
    --every) EVERY=$2; shift 2 ;;
    --max-kib) MAX_KIB=$2; shift 2 ;;
    --kill-every) KILL_EVERY=$2; shift 2 ;;
    --down) DOWN=$2; shift 2 ;;
    --keep) KEEP_WORK=1; shift ;;
    *) usage ;;
  esac
done
((N >= 3)) || die "--nodes must be at least 3 (one may be down, and a contribution is read at another node)"
((MAX_KIB >= 16)) || die "--max-kib must be at least 16"

datanet_bin
WORK=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
nodes_setup
log() { echo "[$(date +%T) +$((SECONDS - T0))s] $*"; }
T0=$SECONDS

mapfile -t PORTS < <(python3 "$BENCH_PY" ports "$N")
node_init 0 "${PORTS[0]}"
BOOT="/ip4/127.0.0.1/tcp/${PORTS[0]}/p2p/$(peer_id 0)"
for i in $(seq 1 $((N - 1))); do node_init "$i" "${PORTS[i]}" "$BOOT"; done
node_start 0
wait_up 0 30
for i in $(seq 1 $((N - 1))); do node_start "$i"; done
for i in $(seq 1 $((N - 1))); do wait_up "$i" 60; done
deadline=$((SECONDS + 60 + N))
for i in $(seq 0 $((N - 1))); do
  until [[ $(metric "$i" datanet_peers) -ge 1 ]] 2>/dev/null; do
    ((SECONDS < deadline)) || die "node $i has no peer after $((60 + N)) s: $(cli "$i" status 2>&1 | tail -n 3)"
    sleep 0.5
  done
done
DATANET=$(cli 0 --json create soak | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for i in $(seq 1 $((N - 1))); do
  api "$i" "/v1/datanets/$DATANET" > /dev/null || die "node $i cannot get the datanet record"
done
log "$N nodes up and connected, datanet $DATANET; soaking for $MINUTES min"

# A random running node other than $1 (pass -1 for any).
pick() {
  local not=$1 i
  while :; do
    i=$((RANDOM % N))
    [[ $i != "$not" && -n ${NODE_PID[i]} ]] && { echo "$i"; return; }
  done
}

# fetch_exact C NODE: retrieves contribution C at NODE and compares it with its payload.
fetch_exact() {
  local c=$1 at=$2 out="$WORK/got.$1"
  rm -f "$out"
  timeout 120 "$BIN" --home "$(home_of "$at")" --json get "${CID[c]}" -o "$out" > /dev/null 2>> "$WORK/get-errors.log" &&
    cmp -s "$out" "$WORK/payload.$c"
  local ok=$?
  rm -f "$out"
  return $ok
}

declare -a CID=()
MADE=0 REFUSED=0 RETRIEVED=0 LATE=0 KILLS=0
DOWN_NODE="" DOWN_UNTIL=0 NEXT_KILL=$((SECONDS + KILL_EVERY))
END=$((SECONDS + MINUTES * 60))
while ((SECONDS < END)); do
  slot=$((SECONDS + EVERY))
  if [[ -n $DOWN_NODE ]] && ((SECONDS >= DOWN_UNTIL)); then
    node_start "$DOWN_NODE"
    wait_up "$DOWN_NODE" 60
    log "node $DOWN_NODE restarted (same home, port ${NODE_PORT[DOWN_NODE]})"
    DOWN_NODE=""
  fi
  if [[ -z $DOWN_NODE ]] && ((SECONDS >= NEXT_KILL)); then
    DOWN_NODE=$(pick -1)
    node_kill "$DOWN_NODE"
    KILLS=$((KILLS + 1))
    DOWN_UNTIL=$((SECONDS + DOWN))
    NEXT_KILL=$((SECONDS + KILL_EVERY))
    log "node $DOWN_NODE killed (SIGKILL)"
  fi

  c=${#CID[@]}
  at=$(pick -1)
  head -c $((16384 + (RANDOM * 32768 + RANDOM) % ((MAX_KIB - 16) * 1024 + 1))) /dev/urandom > "$WORK/payload.$c"
  if answer=$(timeout 120 "$BIN" --home "$(home_of "$at")" --json contribute "$WORK/payload.$c" --datanet "$DATANET" 2>> "$WORK/contribute-errors.log"); then
    CID[c]=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<< "$answer")
    MADE=$((MADE + 1))
    from=$(pick "$at")
    if fetch_exact "$c" "$from"; then
      RETRIEVED=$((RETRIEVED + 1))
    else
      log "contribution $c (${CID[c]}, made at node $at) not retrieved bit-exact at node $from; checked again at the end"
    fi
  else
    REFUSED=$((REFUSED + 1))
    CID[c]=""
    log "contribute at node $at failed: $(tail -n 1 "$WORK/contribute-errors.log")"
    rm -f "$WORK/payload.$c"
  fi
  if ((MADE > 0 && MADE % 12 == 0)) && [[ -n ${CID[c]} ]]; then
    log "made $MADE, retrieved bit-exact right after $RETRIEVED, contribute failed $REFUSED, kills $KILLS"
  fi
  while ((SECONDS < slot)); do sleep 0.2; done
done

if [[ -n $DOWN_NODE ]]; then
  node_start "$DOWN_NODE"
  wait_up "$DOWN_NODE" 60
  log "node $DOWN_NODE restarted (same home, port ${NODE_PORT[DOWN_NODE]})"
fi
log "churn over; retrieving all $MADE contributions again"
LOST=0
for c in "${!CID[@]}"; do
  [[ -n ${CID[c]} ]] || continue
  ok=0
  for attempt in 1 2 3; do
    if fetch_exact "$c" "$(pick -1)"; then
      ok=1
      break
    fi
    sleep $((attempt * 5))
  done
  if ((ok)); then
    LATE=$((LATE + 1))
  else
    LOST=$((LOST + 1))
    log "LOST: contribution $c (${CID[c]}) not retrieved bit-exact at any of three nodes"
  fi
done

echo
echo "soak: $N nodes, $MINUTES min, $KILLS kills (SIGKILL, restarted after $DOWN s)"
echo "made $MADE, retrieved bit-exact right after $RETRIEVED, retrieved bit-exact at the end $LATE, lost $LOST (contribute failed: $REFUSED)"
((LOST == 0)) || exit 1
