#!/usr/bin/env bash
# HTTP/1.1 plaintext benchmark: builds the HTTP servers, drives each with wrk (keep-alive
# connections, GET /plaintext, 13-byte "Hello, World!" body) at each connection count, and prints
# req/s, p50, p99 and the server's CPU time per request.
#
#   ./http.sh [-d SECONDS] [-w WARMUP] [-r ROUNDS] [-s "kestrel go gevent"] [-c "50 1000"] [-p PORT] [CONNS...]
#   servers: geventsharp (one hub), geventsharp-nhubs (one hub per core, $(nproc); the library's HubGroup),
#   kestrel (ASP.NET Core minimal API), go (net/http), gevent (pywsgi), c (c/http_epoll: single
#   thread, epoll, the least an HTTP server can do: the reference of the goals); the GeventSharp
#   servers are skipped, with a message, while geventsharp-http/GeventSharpHttp.csproj does not exist
#   ./http.sh                      # 3 rounds, 5 s each after a 5 s warm-up run, 50 and 1000 connections
#
# The warm-up (-w, default 5 s, the same for every server) is long enough for the JIT-compiled
# servers (GeventSharp, Kestrel) to reach steady state, as the compiled ones are from the start:
# after 1 s they were still tiering up (GeventSharp's CPU per request was 4x its steady state).
#
# Every run is `wrk -t2 -cN -dS --latency http://127.0.0.1:PORT/plaintext` after a discarded
# warm-up run of WARMUP seconds on the same connections count. Servers run one at a time on
# 127.0.0.1; rounds are interleaved (every server once per round) so that noise from other work on
# the machine spreads over all of them. Around the measured wrk run the script reads the server's
# user+sys CPU time (/proc/PID/stat, all threads), wrk's (/usr/bin/time) and the machine's
# (/proc/stat): CPU per request is the server's CPU over the run divided by wrk's request count
# (connection setup included, once per run). Before each server starts the machine's CPU use is
# sampled (lib.sh); a run where it, or other processes' share during the run, is above QUIET_PCT
# gets "noisy":true. Each run gives one JSON line (HTTP_JSON=FILE copies them, for run.sh); the
# summary gives, per server and connection count, the medians over the rounds.
set -euo pipefail
cd "$(dirname "$0")"

duration=5 warmup=5 rounds=3 servers="geventsharp geventsharp-nhubs kestrel go gevent c" port=9700 conns_list=""
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
[ $# -gt 0 ] || set -- 50 1000
# shellcheck source=lib.sh
. ./lib.sh
NHUBS=$(nproc)

command -v wrk >/dev/null 2>&1 || { echo "http.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

GS_PROJ=geventsharp-http/GeventSharpHttp.csproj
selected=""
for server in $servers; do
    case $server in
        geventsharp|geventsharp-nhubs)
            if [ ! -f "$GS_PROJ" ]; then
                echo "http.sh: skipping $server: $GS_PROJ does not exist yet" >&2
                continue
            fi ;;
        kestrel|go|gevent|c) ;;
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
case " $servers " in *" c "*) make -s -C c >/dev/null ;; esac

results=$(mktemp)
server_log=$(mktemp)
times=$(mktemp)
trap 'rm -f "$results" "$server_log" "$times"' EXIT

start_server() { # $1 = name; sets pid
    case $1 in
        geventsharp) geventsharp-http/bin/Release/net10.0/GeventSharpHttp --port "$port" >/dev/null 2>>"$server_log" & ;;
        geventsharp-nhubs) geventsharp-http/bin/Release/net10.0/GeventSharpHttp --port "$port" --hubs "$NHUBS" >/dev/null 2>>"$server_log" & ;;
        kestrel) dotnet/Kestrel/bin/Release/net10.0/Kestrel --port "$port" >/dev/null 2>>"$server_log" & ;;
        go) go/bin/httpserver -addr "127.0.0.1:$port" >/dev/null 2>>"$server_log" & ;;
        gevent) /usr/bin/python3 python/httpserver.py --port "$port" >/dev/null 2>>"$server_log" & ;;
        c) c/http_epoll "$port" >/dev/null 2>>"$server_log" & ;;
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
        wait_quiet
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
            read -r b0 t0 < <(machine_ticks)
            s0=$(proc_ticks "$pid")
            wrk_out=$(/usr/bin/time -f "%U %S" -o "$times" wrk -t"$threads" -c"$conns" -d"$duration" --latency "$url" 2>&1 || true)
            s1=$(proc_ticks "$pid")
            read -r b1 t1 < <(machine_ticks)
            client=$(awk -v hz="$CLK_TCK" 'END { printf "%d", ($1 + $2) * hz }' "$times" 2>/dev/null || echo 0)
            line=$(parse_wrk "$conns" <<< "$wrk_out" || echo '{"conns":'"$conns"',"rps":0,"p50_us":0,"p99_us":0,"errors":-1}')
            OTHERS_PCT=$(others_pct "$b0" "$t0" "$b1" "$t1" $(( s1 - s0 + client )))
            cpu=$(awk -v s=$(( s1 - s0 )) -v c="$client" -v hz="$CLK_TCK" -v d="$duration" -v line="$line" 'BEGIN {
                    if (match(line, /"seconds":[0-9.]+/)) d = substr(line, RSTART + 10, RLENGTH - 10) + 0
                    if (match(line, /"requests":[0-9]+/) && (n = substr(line, RSTART + 11, RLENGTH - 11) + 0) > 0 && d > 0)
                        printf "\"server_cpu_us_per_req\":%.3f,\"client_cpu_us_per_req\":%.3f,\"server_cores\":%.2f,",
                            s / hz / n * 1e6, c / hz / n * 1e6, s / hz / d }')
            hubs=0
            case $server in geventsharp) hubs=1 ;; geventsharp-nhubs) hubs=$NHUBS ;; esac
            echo "{\"http_server\":\"$server\",\"round\":$round,\"hubs\":$hubs,\"bg_busy_pct\":$BUSY,\"loadavg1\":$LOAD1,\"others_pct\":$OTHERS_PCT,\"noisy\":$(noisy_flag),$cpu${line#\{}" | tee -a "$results" >&2
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
