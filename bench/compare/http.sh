#!/usr/bin/env bash
# HTTP/1.1 plaintext benchmark: builds the HTTP servers, drives each with wrk (keep-alive
# connections, GET /plaintext, 13-byte "Hello, World!" body) at each connection count, and prints
# req/s, p50 and p99.
#
#   ./http.sh [-d SECONDS] [-w WARMUP] [-r ROUNDS] [-s "kestrel go gevent"] [-c "50 256"] [-p PORT] [CONNS...]
#   servers: geventsharp (one hub), geventsharp-2hubs (two hubs), kestrel (ASP.NET Core minimal
#   API), go (net/http), gevent (pywsgi); the two GeventSharp servers are skipped, with a message,
#   while geventsharp-http/GeventSharpHttp.csproj does not exist
#   ./http.sh                      # 3 rounds, 5 s each, 50 and 256 connections
#
# Every run is `wrk -t2 -cN -dS --latency http://127.0.0.1:PORT/plaintext` after a discarded
# warm-up run of WARMUP seconds on the same connections count. Servers run one at a time on
# 127.0.0.1; rounds are interleaved (every server once per round) so that noise from other work on
# the machine spreads over all of them. Each run gives one JSON line (HTTP_JSON=FILE copies them,
# for run.sh); the summary gives, per server and connection count, the round with the median req/s.
set -euo pipefail
cd "$(dirname "$0")"

duration=5 warmup=1 rounds=3 servers="geventsharp geventsharp-2hubs kestrel go gevent" port=9700 conns_list=""
while getopts "d:w:r:s:c:p:" opt; do
    case $opt in
        d) duration=$OPTARG ;;
        w) warmup=$OPTARG ;;
        r) rounds=$OPTARG ;;
        s) servers=$OPTARG ;;
        c) conns_list=$OPTARG ;;
        p) port=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
# shellcheck disable=SC2086
[ -z "$conns_list" ] || set -- $conns_list "$@"
[ $# -gt 0 ] || set -- 50 256

command -v wrk >/dev/null 2>&1 || { echo "http.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

GS_PROJ=geventsharp-http/GeventSharpHttp.csproj
selected=""
for server in $servers; do
    case $server in
        geventsharp|geventsharp-2hubs)
            if [ ! -f "$GS_PROJ" ]; then
                echo "http.sh: skipping $server: $GS_PROJ does not exist yet" >&2
                continue
            fi ;;
        kestrel|go|gevent) ;;
        *) echo "unknown server $server" >&2; exit 2 ;;
    esac
    selected="$selected $server"
done
servers=${selected# }
[ -n "$servers" ] || { echo "http.sh: no server to run" >&2; exit 1; }

echo "building..." >&2
case " $servers " in *" go "*) (cd go && go build -o bin/ ./...) ;; esac
case " $servers " in *" kestrel "*) dotnet build dotnet/Kestrel/Kestrel.csproj -c Release --nologo -v q >/dev/null ;; esac
case " $servers " in *" geventsharp"*) dotnet build "$GS_PROJ" -c Release --nologo -v q >/dev/null ;; esac

results=$(mktemp)
server_log=$(mktemp)
trap 'rm -f "$results" "$server_log"' EXIT

start_server() { # $1 = name; sets pid
    case $1 in
        geventsharp) geventsharp-http/bin/Release/net10.0/GeventSharpHttp --port "$port" >/dev/null 2>>"$server_log" & ;;
        geventsharp-2hubs) geventsharp-http/bin/Release/net10.0/GeventSharpHttp --port "$port" --hubs 2 >/dev/null 2>>"$server_log" & ;;
        kestrel) dotnet/Kestrel/bin/Release/net10.0/Kestrel --port "$port" >/dev/null 2>>"$server_log" & ;;
        go) go/bin/httpserver -addr "127.0.0.1:$port" >/dev/null 2>>"$server_log" & ;;
        gevent) /usr/bin/python3 python/httpserver.py --port "$port" >/dev/null 2>>"$server_log" & ;;
    esac
    pid=$!
}

# wrk's text output -> {"conns":..,"seconds":..,"requests":..,"rps":..,"p50_us":..,"p99_us":..,"errors":..};
# errors = socket errors (connect, read, write, timeout) + responses that were not 2xx or 3xx.
parse_wrk() { # $1 = conns; wrk's output on stdin
    awk -v conns="$1" '
        function us(t,   v) { # "417.00us", "1.29ms", "2.00s", "1.00m" -> microseconds
            v = t + 0
            if (t ~ /us$/) return v
            if (t ~ /ms$/) return v * 1e3
            if (t ~ /m$/) return v * 60e6
            if (t ~ /h$/) return v * 3600e6
            return v * 1e6
        }
        $1 == "50%" { p50 = us($2) }
        $1 == "99%" { p99 = us($2) }
        $2 == "requests" && $3 == "in" { requests = $1; t = $4; sub(/,$/, "", t); secs = us(t) / 1e6 }
        /^ *Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
        /^ *Non-2xx or 3xx responses:/ { errors += $NF }
        $1 == "Requests/sec:" { rps = $2; ok = 1 }
        END {
            if (!ok || p50 == "" || p99 == "") exit 1
            printf "{\"conns\":%d,\"seconds\":%.2f,\"requests\":%d,\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"errors\":%d}\n",
                conns, secs, requests, rps, p50, p99, errors
        }'
}

for round in $(seq "$rounds"); do
    for server in $servers; do
        port=$((port + 1))
        start_server "$server"
        up=0
        for _ in $(seq 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
            sleep 0.1
        done
        [ "$up" = 1 ] || echo "http.sh: $server did not accept on port $port within 10 s" >&2
        for conns in "$@"; do
            threads=$((conns < 2 ? 1 : 2))
            url="http://127.0.0.1:$port/plaintext"
            if [ "$warmup" != 0 ]; then
                wrk -t"$threads" -c"$conns" -d"$warmup" "$url" >/dev/null 2>&1 || true
            fi
            line=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency "$url" 2>&1 | parse_wrk "$conns" \
                || echo '{"conns":'"$conns"',"rps":0,"p50_us":0,"p99_us":0,"errors":-1}')
            echo "{\"http_server\":\"$server\",\"round\":$round,${line#\{}" | tee -a "$results" >&2
        done
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        sleep 0.5
    done
done

# For run.sh: the raw lines, one JSON object per server, connection count and round.
if [ -n "${HTTP_JSON:-}" ]; then
    cp "$results" "$HTTP_JSON"
fi

python3 summarize.py "$results" http_server
if [ -s "$server_log" ] && grep -qiE "exception|error|blocked-hub" "$server_log"; then
    grep -iE "exception|error|blocked-hub" "$server_log" | sort | uniq -c | head -20 | sed 's/^/server stderr: /'
fi
