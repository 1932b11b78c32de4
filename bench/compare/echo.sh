#!/usr/bin/env bash
# Echo benchmark: builds every echo server, drives each with go/bin/loadgen (64-byte
# request/response, closed loop) at each connection count, and prints req/s, p50 and p99.
#
#   ./echo.sh [-d SECONDS] [-w WARMUP] [-r ROUNDS] [-s "geventsharp go gevent c"] [CONNS...]
#   servers: geventsharp (one hub, the gevent-comparable setup), geventsharp-2hubs (two hubs on
#   two threads sharing the port with SO_REUSEPORT), go, gevent, c, dotnet (AsyncBaseline)
#   ./echo.sh                      # 3 rounds, 5 s each, 50 and 1000 connections
#
# Servers run one at a time on 127.0.0.1; rounds are interleaved (every server once per round)
# so that noise from other work on the machine spreads over all of them. The summary gives,
# per server and connection count, the round with the median req/s. The GeventSharp server
# runs with its hub monitor on (100 ms) and the script checks that it reported nothing.
set -euo pipefail
cd "$(dirname "$0")"

duration=5 warmup=1 rounds=3 servers="geventsharp geventsharp-2hubs go gevent c" port=9500
while getopts "d:w:r:s:p:" opt; do
    case $opt in
        d) duration=$OPTARG ;;
        w) warmup=$OPTARG ;;
        r) rounds=$OPTARG ;;
        s) servers=$OPTARG ;;
        p) port=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 50 1000

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building..." >&2
(cd go && go build -o bin/ ./...)
make -s -C c >/dev/null
dotnet build geventsharp/GeventSharpEcho.csproj -c Release --nologo -v q >/dev/null

results=$(mktemp)
monitor_log=$(mktemp)
trap 'rm -f "$results" "$monitor_log"' EXIT

start_server() { # $1 = name; sets pid
    case $1 in
        geventsharp) geventsharp/bin/Release/net10.0/GeventSharpEcho --port "$port" --backlog 4096 --monitor >/dev/null 2>>"$monitor_log" & ;;
        geventsharp-2hubs) geventsharp/bin/Release/net10.0/GeventSharpEcho --port "$port" --backlog 4096 --monitor --hubs 2 >/dev/null 2>>"$monitor_log" & ;;
        go) go/bin/echo -addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
        gevent) /usr/bin/python3 python/echo.py --port "$port" >/dev/null 2>&1 & ;;
        c) c/echo_epoll "$port" >/dev/null 2>&1 & ;;
        dotnet) dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline echo --port "$port" >/dev/null 2>&1 & ;;
        *) echo "unknown server $1" >&2; exit 2 ;;
    esac
    pid=$!
}

for round in $(seq "$rounds"); do
    for server in $servers; do
        port=$((port + 1))
        start_server "$server"
        for _ in $(seq 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
            sleep 0.1
        done
        for conns in "$@"; do
            line=$(go/bin/loadgen -addr "127.0.0.1:$port" -conns "$conns" -duration "$duration" -warmup "$warmup" || echo '{"conns":'"$conns"',"rps":0,"p50_us":0,"p99_us":0,"errors":-1}')
            echo "{\"server\":\"$server\",\"round\":$round,${line#\{}" | tee -a "$results" >&2
        done
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        sleep 0.5
    done
done

# For run.sh: the raw lines, one JSON object per server, connection count and round.
if [ -n "${ECHO_JSON:-}" ]; then
    cp "$results" "$ECHO_JSON"
fi

python3 summarize.py "$results" server
if grep -q "blocked-hub" "$monitor_log"; then
    grep "blocked-hub" "$monitor_log" | sort | uniq -c | sed 's/^/geventsharp monitor: /'
fi
