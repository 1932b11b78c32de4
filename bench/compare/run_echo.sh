#!/usr/bin/env bash
# Starts one echo server on 127.0.0.1, drives it with go/bin/loadgen once per
# connection count, prints one loadgen JSON line per run, then stops the server.
#
#   ./run_echo.sh go|c|gevent|dotnet [-p PORT] [-d SECONDS] [-w WARMUP] CONNS...
#   e.g. ./run_echo.sh c -d 5 50 1000
#
# Run ./build.sh first. For many connections raise the fd limit first
# (ulimit -n 65536); this script raises it as far as the hard limit allows.
set -euo pipefail
cd "$(dirname "$0")"

server=${1:?server: go|c|gevent|dotnet}
shift
port=9400 duration=5 warmup=1
while getopts "p:d:w:" opt; do
    case $opt in
        p) port=$OPTARG ;;
        d) duration=$OPTARG ;;
        w) warmup=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 50

# Raise the soft fd limit to 65536, or to the hard limit if that is lower.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 65536 ]; then
    echo "note: ulimit -n is $(ulimit -n) (hard limit); enough for conns well below that" >&2
fi

case $server in
    go) go/bin/echo -addr "127.0.0.1:$port" 2>/dev/null & ;;
    c) c/echo_epoll "$port" 2>/dev/null & ;;
    gevent) /usr/bin/python3 python/echo.py --port "$port" 2>/dev/null & ;;
    dotnet) dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline echo --port "$port" 2>/dev/null & ;;
    *) echo "unknown server $server" >&2; exit 2 ;;
esac
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true' EXIT

for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
done

for conns in "$@"; do
    go/bin/loadgen -addr "127.0.0.1:$port" -conns "$conns" -duration "$duration" -warmup "$warmup" |
        sed "s/^{/{\"server\":\"$server\",/"
done
