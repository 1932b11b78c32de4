#!/usr/bin/env bash
# One command for the cross-runtime comparison (issue 5):
#
#   bench/compare/run.sh            full run: apt packages if missing, Release builds, every micro
#                                   workload x runtime x repetition (medians), BenchmarkDotNet core
#                                   figures, echo.sh and http.sh if present; writes docs/benchmarks.md,
#                                   docs/benchmarks.png and docs/benchmarks.jsonl (the raw lines)
#   bench/compare/run.sh --smoke    tiny sizes, 1 repetition, no apt, no BenchmarkDotNet, skips runtimes
#                                   whose toolchain is missing; writes bench/compare/out/smoke/
#
# Options: --reps N  --out DIR (md/png/jsonl go there instead of docs/)  --no-apt  --no-bdn  --no-echo  --no-http
#          --quiet-pct P (machine CPU use counted as quiet, default 25)  --quiet-max S (longest wait
#          for quiet before a run, default 30; smoke 0)  --workloads "a b"  --runtimes "a b"
#          --warmup-ms MS (time-based warm-up of the two .NET programs, default 1000; smoke 0)
#
# Before every run the harness samples the whole machine's CPU use for one second (/proc/stat) and
# waits until it is at most --quiet-pct percent, or --quiet-max seconds have passed; the figure, the
# 1-minute load average and the wait are added to that run's JSON line, and the report states them.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
REPO=$(cd ../.. && pwd)

SMOKE=0 REPS=3 OUT="" APT=1 BDN=1 ECHO=1 HTTP=1 QUIET_PCT=25 QUIET_MAX=30 WARMUP_MS=1000
WORKLOADS="spawn_join yield channel_pingpong event_fanout blocked"
RUNTIMES="geventsharp go gevent dotnet-async"
REPS_SET=0 QUIET_MAX_SET=0 WARMUP_SET=0
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) SMOKE=1 ;;
        --reps) REPS=$2; REPS_SET=1; shift ;;
        --out) OUT=$2; shift ;;
        --no-apt) APT=0 ;;
        --no-bdn) BDN=0 ;;
        --no-echo) ECHO=0 ;;
        --no-http) HTTP=0 ;;
        --quiet-pct) QUIET_PCT=$2; shift ;;
        --quiet-max) QUIET_MAX=$2; QUIET_MAX_SET=1; shift ;;
        --workloads) WORKLOADS=$2; shift ;;
        --runtimes) RUNTIMES=$2; shift ;;
        --warmup-ms) WARMUP_MS=$2; WARMUP_SET=1; shift ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

declare -A SIZE=()
SAMPLE_S=1
if [ "$SMOKE" = 1 ]; then
    APT=0 BDN=0 ECHO=0 HTTP=0 SAMPLE_S=0.2
    [ "$REPS_SET" = 1 ] || REPS=1
    [ "$QUIET_MAX_SET" = 1 ] || QUIET_MAX=0
    [ "$WARMUP_SET" = 1 ] || WARMUP_MS=0
    SIZE=([spawn_join]=2000 [yield]=20000 [channel_pingpong]=20000 [event_fanout]=1000 [blocked]=10000)
    OUT=${OUT:-$HERE/out/smoke}
fi
MODE=$([ "$SMOKE" = 1 ] && echo smoke || echo full)
DOCS=${OUT:-$REPO/docs}
WORK=$HERE/out/$MODE-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$DOCS" "$WORK"
RESULTS=$WORK/results.jsonl
LOG=$WORK/run.log
: > "$RESULTS"
say() { echo "[run.sh $(date -u +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

# ---- packages ----
if [ "$APT" = 1 ]; then
    missing=()
    for pkg in golang-go python3-gevent wrk hyperfine gcc make; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        say "installing ${missing[*]}"
        $SUDO apt-get update -q >>"$LOG" 2>&1
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}" >>"$LOG" 2>&1
    fi
fi

# ---- builds ----
HAVE_GO=0 HAVE_GEVENT=0
command -v go >/dev/null 2>&1 && HAVE_GO=1
/usr/bin/python3 -c 'import gevent' >/dev/null 2>&1 && HAVE_GEVENT=1
say "building (Release)"
if [ "$SMOKE" = 0 ] && [ "$HAVE_GO" = 1 ] && command -v make >/dev/null 2>&1; then
    ./build.sh >>"$LOG" 2>&1
elif [ "$HAVE_GO" = 1 ]; then
    (cd go && go build -o bin/ ./...) >>"$LOG" 2>&1
fi
for proj in GeventSharpMicro/GeventSharpMicro.csproj dotnet/AsyncBaseline/AsyncBaseline.csproj Report/Report.csproj; do
    dotnet build "$proj" -c Release --nologo -v q >>"$LOG" 2>&1 || { say "build failed: $proj (see $LOG)"; exit 1; }
done

available() {
    case $1 in
        go) [ "$HAVE_GO" = 1 ] ;;
        gevent) [ "$HAVE_GEVENT" = 1 ] ;;
        *) true ;;
    esac
}

# ---- machine and versions ----
json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr -d '\n'; }
meta() { # key value...
    local out="" sep=""
    while [ $# -gt 1 ]; do out+="$sep\"$1\":\"$(json_str "$2")\""; sep=","; shift 2; done
    echo "{\"meta\":{$out}}" >> "$RESULTS"
}
GIT_COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$REPO" status --porcelain -- src bench 2>/dev/null)" ] || GIT_COMMIT="$GIT_COMMIT (with uncommitted changes)"
meta date "$(date -u '+%Y-%m-%d %H:%M')" mode "$MODE" reps "$REPS" \
    nproc "$(nproc)" cpu_model "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')" \
    mem_total "$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)" \
    os "$(. /etc/os-release && echo "$PRETTY_NAME")" kernel "$(uname -r)" \
    dotnet_sdk "$(dotnet --version)" dotnet_runtime "$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v=$2} END {print v}')" \
    go_version "$([ "$HAVE_GO" = 1 ] && go version | awk '{print $3}' || echo 'not installed')" \
    python_version "$(/usr/bin/python3 --version 2>&1 | awk '{print $2}')" \
    gevent_version "$([ "$HAVE_GEVENT" = 1 ] && /usr/bin/python3 -c 'import gevent; print(gevent.__version__)' || echo 'not installed')" \
    greenlet_version "$([ "$HAVE_GEVENT" = 1 ] && /usr/bin/python3 -c 'import greenlet; print(greenlet.__version__)' || echo '–')" \
    aspnetcore_runtime "$(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/ {v=$2} END {print v}')" \
    wrk_version "$(command -v wrk >/dev/null 2>&1 && { wrk --version 2>&1 || true; } | awk 'NR == 1 {print $1, $2}' || echo 'not installed')" \
    git_commit "$GIT_COMMIT" git_branch "$(git -C "$REPO" rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)" \
    quiet_busy_pct "$QUIET_PCT" quiet_max_wait_s "$QUIET_MAX" dotnet_warmup_ms "$WARMUP_MS" \
    loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- quiet machine ----
cpu_busy_pct() { # whole-machine CPU use over SAMPLE_S seconds, in percent
    local a b
    read -r -a a < /proc/stat
    sleep "$SAMPLE_S"
    read -r -a b < /proc/stat
    local t1=$((a[1]+a[2]+a[3]+a[4]+a[5]+a[6]+a[7]+a[8])) t2=$((b[1]+b[2]+b[3]+b[4]+b[5]+b[6]+b[7]+b[8]))
    local idle=$(( (b[4]+b[5]) - (a[4]+a[5]) )) total=$((t2 - t1))
    [ "$total" -gt 0 ] || total=1
    echo $(( (100 * (total - idle)) / total ))
}
BUSY=0 LOAD1=0 QWAIT=0
wait_quiet() {
    local start=$SECONDS
    while :; do
        BUSY=$(cpu_busy_pct)
        if [ "$BUSY" -le "$QUIET_PCT" ] || [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then break; fi
    done
    QWAIT=$((SECONDS - start))
    LOAD1=$(cut -d' ' -f1 /proc/loadavg)
}

# ---- micro runs ----
micro_cmd() { # runtime workload -> CMD array
    case $1 in
        geventsharp) CMD=(GeventSharpMicro/bin/Release/net10.0/GeventSharpMicro -workload "$2" -warmup-ms "$WARMUP_MS") ;;
        go) CMD=(go/bin/micro -workload "$2") ;;
        gevent) CMD=(/usr/bin/python3 python/micro.py -workload "$2") ;;
        dotnet-async) CMD=(dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline -workload "$2" -warmup-ms "$WARMUP_MS") ;;
        *) return 1 ;;
    esac
    if [ -n "${SIZE[$2]:-}" ]; then CMD+=(-n "${SIZE[$2]}"); fi
    if [ "$SMOKE" = 1 ]; then CMD+=(-warmup 100); fi
}

run_one() { # runtime workload rep
    local rt=$1 w=$2 rep=$3 line rc
    micro_cmd "$rt" "$w"
    wait_quiet
    set +e
    line=$(timeout 600 "${CMD[@]}" 2>>"$LOG" | tail -n 1)
    rc=$?
    set -e
    local extra="\"rep\":$rep,\"bg_busy_pct\":$BUSY,\"loadavg1\":$LOAD1,\"quiet_wait_s\":$QWAIT"
    if [[ ( $rc == 0 || $rc == 3 ) && $line == \{*\} ]]; then
        echo "${line%\}},$extra}" >> "$RESULTS"
    else
        echo "{\"workload\":\"$w\",\"runtime\":\"$rt\",\"error\":\"exit $rc\",$extra}" >> "$RESULTS"
    fi
    say "rep $rep $w $rt (background ${BUSY}%, waited ${QWAIT}s): ${line:-exit $rc}"
}

for rt in $RUNTIMES; do
    available "$rt" || say "skipping $rt: toolchain not installed"
done
for rep in $(seq "$REPS"); do
    for w in $WORKLOADS; do
        for rt in $RUNTIMES; do
            if available "$rt"; then run_one "$rt" "$w" "$rep"; fi
        done
    done
done

# ---- BenchmarkDotNet core figures ----
BDN_DIR=$WORK/bdn
if [ "$BDN" = 1 ]; then
    say "BenchmarkDotNet core benchmarks (a few minutes)"
    wait_quiet
    (cd "$REPO" && dotnet run -c Release --project bench/GeventSharp.Benchmarks -- --filter '*' --artifacts "$BDN_DIR") >>"$LOG" 2>&1 \
        || say "BenchmarkDotNet failed (see $LOG)"
    wait_quiet
    dotnet "$REPO/bench/GeventSharp.Benchmarks/bin/Release/net10.0/GeventSharp.Benchmarks.dll" blocked 1000000 5 2>>"$LOG" >> "$RESULTS" \
        || say "blocked phase report failed (see $LOG)"
fi

# ---- echo (from the networking work) ----
if [ "$ECHO" = 1 ] && [ -f echo.sh ]; then
    say "running echo.sh ${ECHO_ARGS:-}"
    wait_quiet
    # shellcheck disable=SC2086
    ECHO_JSON=$WORK/echo.jsonl bash echo.sh ${ECHO_ARGS:-} >>"$LOG" 2>&1 || say "echo.sh failed (see $LOG)"
    [ -f "$WORK/echo.jsonl" ] && grep '^{' "$WORK/echo.jsonl" >> "$RESULTS"
fi

# ---- HTTP/1.1 plaintext (wrk) ----
if [ "$HTTP" = 1 ] && [ -f http.sh ]; then
    say "running http.sh ${HTTP_ARGS:-}"
    wait_quiet
    # shellcheck disable=SC2086
    HTTP_JSON=$WORK/http.jsonl bash http.sh ${HTTP_ARGS:-} >>"$LOG" 2>&1 || say "http.sh failed (see $LOG)"
    [ -f "$WORK/http.jsonl" ] && grep '^{' "$WORK/http.jsonl" >> "$RESULTS"
fi

meta end_date "$(date -u '+%Y-%m-%d %H:%M')" loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- report ----
MD=$DOCS/benchmarks.md PNG=$DOCS/benchmarks.png
cp "$RESULTS" "$DOCS/benchmarks.jsonl"
dotnet Report/bin/Release/net10.0/Report.dll --results "$RESULTS" --bdn "$BDN_DIR" --notes notes.md --md "$MD" --png "$PNG" | tee -a "$LOG"
say "done: $MD, $PNG (raw lines: $DOCS/benchmarks.jsonl, log: $LOG)"
