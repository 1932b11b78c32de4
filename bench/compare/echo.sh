#!/usr/bin/env bash
# Echo benchmark: builds every echo server, drives each with go/bin/loadgen (64-byte
# request/response, closed loop) at each connection count, and prints req/s, p50, p99 and the
# server's CPU time per request.
#
#   ./echo.sh [-d SECONDS] [-w WARMUP] [-r ROUNDS] [-s "geventsharp go gevent c"] [CONNS...]
#   servers: geventsharp (one hub, the gevent-comparable setup), geventsharp-nhubs (one hub per
#   core, $(nproc), on as many threads sharing the port with SO_REUSEPORT; GeventSharp's HubGroup),
#   go (goroutine per connection), gevent (StreamServer), c (single-threaded epoll), dotnet
#   (AsyncBaseline: async sockets on the thread pool), kestrel (dotnet/Kestrel --echo: a Kestrel
#   ConnectionHandler on its socket transport, pipes)
#   ./echo.sh                      # 3 rounds, 5 s each after 5 s of warm-up load, 50 and 1000 connections
#
# The warm-up (-w, default 5 s, the same for every server) is load on the same connections that is
# not measured: long enough for the JIT-compiled servers (.NET) to reach steady state, as the
# compiled ones are from the start; after 1 s they were still tiering up.
#
# Servers run one at a time on 127.0.0.1; rounds are interleaved (every server once per round)
# so that noise from other work on the machine spreads over all of them. Before each server starts
# the machine's CPU use is sampled (lib.sh: waits up to QUIET_MAX s for at most QUIET_PCT %);
# loadgen -server-pid reads the server's user+sys CPU time (/proc/PID/stat), its own and the
# machine's at the start and end of its measurement window, so CPU per request covers exactly the
# requests counted. A run where the machine was busier than QUIET_PCT before it, or other processes
# used more than QUIET_PCT of it during the window, gets "noisy":true. The summary gives, per server
# and connection count, the round with the median req/s. The GeventSharp servers run with the hub
# monitor on (100 ms) and the script checks that it reported nothing.
set -euo pipefail
cd "$(dirname "$0")"

duration=5 warmup=5 rounds=3 servers="geventsharp geventsharp-nhubs go gevent c dotnet kestrel" port=9500
# shellcheck source=lib.sh
. ./lib.sh
NHUBS=$(nproc)
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
case " $servers " in *" dotnet "*) dotnet build dotnet/AsyncBaseline/AsyncBaseline.csproj -c Release --nologo -v q >/dev/null ;; esac
case " $servers " in *" kestrel "*) dotnet build dotnet/Kestrel/Kestrel.csproj -c Release --nologo -v q >/dev/null ;; esac

results=$(mktemp)
monitor_log=$(mktemp)
trap 'rm -f "$results" "$monitor_log"' EXIT

start_server() { # $1 = name; sets pid
    case $1 in
        geventsharp) geventsharp/bin/Release/net10.0/GeventSharpEcho --port "$port" --backlog 4096 --monitor >/dev/null 2>>"$monitor_log" & ;;
        geventsharp-nhubs) geventsharp/bin/Release/net10.0/GeventSharpEcho --port "$port" --backlog 4096 --monitor --hubs "$NHUBS" >/dev/null 2>>"$monitor_log" & ;;
        go) go/bin/echo -addr "127.0.0.1:$port" >/dev/null 2>&1 & ;;
        gevent) /usr/bin/python3 python/echo.py --port "$port" >/dev/null 2>&1 & ;;
        c) c/echo_epoll "$port" >/dev/null 2>&1 & ;;
        dotnet) dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline echo --port "$port" >/dev/null 2>&1 & ;;
        kestrel) dotnet/Kestrel/bin/Release/net10.0/Kestrel --port "$port" --echo >/dev/null 2>&1 & ;;
        *) echo "unknown server $1" >&2; exit 2 ;;
    esac
    pid=$!
}

for round in $(seq "$rounds"); do
    for server in $servers; do
        port=$((port + 1))
        wait_quiet
        start_server "$server"
        for _ in $(seq 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
            sleep 0.1
        done
        hubs=0
        case $server in geventsharp) hubs=1 ;; geventsharp-nhubs) hubs=$NHUBS ;; esac
        for conns in "$@"; do
            line=$(go/bin/loadgen -addr "127.0.0.1:$port" -conns "$conns" -duration "$duration" -warmup "$warmup" -server-pid "$pid" \
                || echo '{"conns":'"$conns"',"rps":0,"p50_us":0,"p99_us":0,"errors":-1}')
            OTHERS_PCT=$(sed -n 's/.*"others_pct":\([0-9]*\).*/\1/p' <<< "$line")
            OTHERS_PCT=${OTHERS_PCT:-0}
            echo "{\"server\":\"$server\",\"round\":$round,\"hubs\":$hubs,\"bg_busy_pct\":$BUSY,\"loadavg1\":$LOAD1,\"noisy\":$(noisy_flag),${line#\{}" | tee -a "$results" >&2
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
