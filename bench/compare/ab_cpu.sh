#!/bin/bash
# A/B/C: server CPU per request (utime+stime from /proc/PID/stat) under wrk -c$C, interleaved rounds.
#   C=50 ROUNDS=3 bash ab_cpu.sh NAME=SERVER_BINARY... [c=C_BINARY]
# A name "c" runs its binary as "BINARY PORT", any other as "BINARY --port PORT".
C=${C:-50}; ROUNDS=${ROUNDS:-3}; port=${PORT:-9800}
tck=$(getconf CLK_TCK)
run() { # name binary
  local name=$1 bin=$2
  port=$((port+1))
  if [ "$name" = c ]; then "$bin" $port >/dev/null 2>&1 & else "$bin" --port $port >/dev/null 2>&1 & fi
  local pid=$!
  for i in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done # until it listens
  wrk -t2 -c$C -d3s http://127.0.0.1:$port/plaintext >/dev/null 2>&1
  local u0=$(awk '{print $14}' /proc/$pid/stat) s0=$(awk '{print $14+$15}' /proc/$pid/stat)
  local out=$(wrk -t2 -c$C -d5s http://127.0.0.1:$port/plaintext 2>&1)
  local u1=$(awk '{print $14}' /proc/$pid/stat) s1=$(awk '{print $14+$15}' /proc/$pid/stat)
  local reqs=$(echo "$out" | awk '/requests in/{print $1}')
  kill -TERM $pid; wait $pid 2>/dev/null
  [ -n "$reqs" ] || { echo "$name c=$C failed"; return; }
  echo "$name c=$C reqs=$reqs cpu_us_per_req=$(python3 -c "print(round(($s1-$s0)/$tck*1e6/$reqs,3))") user_us=$(python3 -c "print(round(($u1-$u0)/$tck*1e6/$reqs,3))") load=$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq $ROUNDS); do
  for spec in "$@"; do run "${spec%%=*}" "${spec#*=}"; done
done
