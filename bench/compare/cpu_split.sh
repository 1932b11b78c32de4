#!/usr/bin/env bash
# How the two cores are shared during an echo run: the server's CPU time (from /proc/PID/stat)
# and the load generator's (from /usr/bin/time), 50 connections for 5 s.
#
#   ./cpu_split.sh NAME SERVER-COMMAND...     the command gets --port PORT appended
#   ./cpu_split.sh gs2 geventsharp/bin/Release/net10.0/GeventSharpEcho --hubs 2
#   ./cpu_split.sh go sh -c 'exec go/bin/echo -addr 127.0.0.1:$2' _      (Go's server takes -addr)
set -euo pipefail
cd "$(dirname "$0")"
name=$1; shift
port=$((9800 + RANDOM % 100))
"$@" --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
t0=$(ticks)
/usr/bin/time -f "%U %S" -o /tmp/cpu_split.$$ go/bin/loadgen -addr "127.0.0.1:$port" -conns 50 -duration 5 -warmup 0 > /tmp/cpu_split.$$.json
t1=$(ticks)
hz=$(getconf CLK_TCK)
rps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["rps"]))' /tmp/cpu_split.$$.json)
read -r lu ls < /tmp/cpu_split.$$
rm -f /tmp/cpu_split.$$ /tmp/cpu_split.$$.json
awk -v n="$name" -v r="$rps" -v s="$(( t1 - t0 ))" -v hz="$hz" -v lu="$lu" -v ls="$ls" 'BEGIN {
    printf "%s: %d req/s; server %.2f cores (%.2f us/req); load generator %.2f cores (%.2f us/req)\n",
        n, r, s / hz / 5, s / hz / (r * 5) * 1e6, (lu + ls) / 5, (lu + ls) / (r * 5) * 1e6 }'
