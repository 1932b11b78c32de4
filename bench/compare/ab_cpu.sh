#!/bin/bash
# A/B/C: server CPU per request (utime+stime from /proc/PID/stat) under load with C connections,
# interleaved rounds: every server once per round, so that noise spreads over all of them.
#   C=50 ROUNDS=3 [MODE=http|echo] bash ab_cpu.sh NAME=SERVER_BINARY... [c=C_BINARY]
# MODE=http (default) drives GET /plaintext with wrk; MODE=echo drives 64-byte echoes with
# go/bin/loadgen (build it first: cd go && go build -o bin/ ./...). Each run: 3 s of warm-up load,
# then 5 s measured. A name "c" runs its binary as "BINARY PORT", any other as "BINARY --port PORT".
C=${C:-50}; ROUNDS=${ROUNDS:-3}; MODE=${MODE:-http}; port=${PORT:-9800}
tck=$(getconf CLK_TCK)
loadgen="$(cd "$(dirname "$0")" && pwd)/go/bin/loadgen"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
load() { # port seconds; prints the requests served
  if [ "$MODE" = echo ]; then
    "$loadgen" -addr "127.0.0.1:$1" -conns "$C" -duration "$2" -warmup 0 | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'
  else
    wrk -t2 -c"$C" -d"$2"s "http://127.0.0.1:$1/plaintext" 2>&1 | awk '/requests in/{print $1}'
  fi
}
run() { # name binary
  local name=$1 bin=$2
  port=$((port+1))
  if [ "$name" = c ]; then "$bin" $port >/dev/null 2>&1 & else "$bin" --port $port >/dev/null 2>&1 & fi
  local pid=$!
  for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done # until it listens
  load $port 3 >/dev/null
  local u0 s0 u1 s1 reqs
  read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat)
  reqs=$(load $port 5)
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat)
  kill -TERM $pid; wait $pid 2>/dev/null
  [ -n "$reqs" ] && [ "$reqs" -gt 0 ] || { echo "$name c=$C failed"; return; }
  per() { python3 -c "print(round($1/$tck*1e6/$reqs,3))"; }
  echo "$name $MODE c=$C reqs=$reqs cpu_us_per_req=$(per $((u1-u0+s1-s0))) user_us=$(per $((u1-u0))) sys_us=$(per $((s1-s0))) load=$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq $ROUNDS); do
  for spec in "$@"; do run "${spec%%=*}" "${spec#*=}"; done
done
