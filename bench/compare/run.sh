#!/usr/bin/env bash
# One command for the cross-runtime comparison (issues 5 and 14):
#
#   bench/compare/run.sh            full run: apt packages if missing, Release builds, every micro
#                                   workload x runtime x repetition (medians, a fresh process each),
#                                   the GeventSharp scale sweep (10^3..10^6), BenchmarkDotNet core
#                                   figures, echo.sh and http.sh (req/s, p50/p99, server CPU per
#                                   request); writes docs/benchmarks.md, docs/benchmarks.png,
#                                   docs/benchmarks.jsonl (the raw lines) and the README's generated
#                                   "How fast" block (not with --out, --no-echo, --no-http, --workloads
#                                   or --runtimes)
#   bench/compare/run.sh --smoke    tiny sizes, 1 repetition, no apt, no BenchmarkDotNet, skips runtimes
#                                   whose toolchain is missing; writes bench/compare/out/smoke/
#
# Options: --reps N  --out DIR (md/png/jsonl go there instead of docs/)  --no-apt  --no-bdn  --no-echo  --no-http
#          --no-aot  --no-scale  --scale-sizes "1000 10000 100000 1000000"  --workloads "a b"  --runtimes "a b"
#          --no-warm  --warm-seconds S (the "warm" series' warm-up time, default 1)
#          --quiet-pct P (machine CPU use counted as quiet, default 25)  --quiet-max S (longest wait
#          for quiet before a run, default 30; smoke 0)
#
# Runtimes: geventsharp, go-p1 and go-p2 (Go at GOMAXPROCS=1 and 2), gevent, dotnet-async (.NET
# async on a single-threaded context) and dotnet-tpl (.NET Tasks on the thread pool); in a full run also
# geventsharp-aot, dotnet-async-aot and dotnet-tpl-aot, the same .NET programs published with Native AOT
# (-p:Variant=aot; their own table in the report, beside the default console apps). Every program
# gets the same warm-up: one untimed pass of n/10 operations in the same process before the timed
# pass (none for "blocked", whose memory figure starts from a fresh process). The "warm" series runs
# the switch and spawn + join-all again with that warm-up pass repeated for one second first, every
# runtime alike: the figure of a process that has been running a while (for .NET, after tiered
# compilation has promoted the hot code), beside the cold one.
#
# Before every run the harness samples the whole machine's CPU use for one second (/proc/stat) and
# waits until it is at most --quiet-pct percent, or --quiet-max seconds have passed; during the run
# it measures the CPU used by other processes (machine busy time minus the run's own CPU). Both
# figures, the 1-minute load average and the wait are added to that run's JSON line, and a run where
# either is above --quiet-pct is marked "noisy" there and in the report.
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
REPO=$(cd ../.. && pwd)

SMOKE=0 REPS=3 OUT="" APT=1 BDN=1 ECHO=1 HTTP=1 AOT=1 SCALE=1 QUIET_PCT=25 QUIET_MAX=30
# The headline workloads, then GeventSharp's extra rows (other spellings of the same operation).
WORKLOADS="spawn_join yield channel_pingpong event_fanout blocked spawn_join_each yield_awaiter blocked_direct"
RUNTIMES="geventsharp go-p1 go-p2 gevent dotnet-async dotnet-tpl"
AOT_RUNTIMES="geventsharp-aot dotnet-async-aot dotnet-tpl-aot"
SCALE_SIZES="1000 10000 100000 1000000"
SCALE_WORKLOADS="switch_many spawn_join timer event_fanout"
WARM=1 WARM_SECONDS=1 WARM_WORKLOADS="yield spawn_join"
REPS_SET=0 QUIET_MAX_SET=0 SCALE_SET=0 RUNTIMES_SET=0 WORKLOADS_SET=0
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) SMOKE=1 ;;
        --reps) REPS=$2; REPS_SET=1; shift ;;
        --out) OUT=$2; shift ;;
        --no-apt) APT=0 ;;
        --no-bdn) BDN=0 ;;
        --no-echo) ECHO=0 ;;
        --no-http) HTTP=0 ;;
        --no-aot) AOT=0 ;;
        --quiet-pct) QUIET_PCT=$2; shift ;;
        --quiet-max) QUIET_MAX=$2; QUIET_MAX_SET=1; shift ;;
        --no-scale) SCALE=0 ;;
        --no-warm) WARM=0 ;;
        --warm-seconds) WARM_SECONDS=$2; shift ;;
        --scale-sizes) SCALE_SIZES=$2; SCALE_SET=1; shift ;;
        --workloads) WORKLOADS=$2; WORKLOADS_SET=1; shift ;;
        --runtimes) RUNTIMES=$2; RUNTIMES_SET=1; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

declare -A SIZE=()
SAMPLE_S=1
if [ "$SMOKE" = 1 ]; then
    APT=0 BDN=0 ECHO=0 HTTP=0 AOT=0 SAMPLE_S=0.2 WARM_SECONDS=0.2
    [ "$REPS_SET" = 1 ] || REPS=1
    [ "$QUIET_MAX_SET" = 1 ] || QUIET_MAX=0
    [ "$SCALE_SET" = 1 ] || SCALE_SIZES="1000 10000"
    SIZE=([spawn_join]=2000 [spawn_join_each]=2000 [yield]=20000 [yield_awaiter]=20000 [channel_pingpong]=20000
          [event_fanout]=1000 [blocked]=10000 [blocked_direct]=10000)
    OUT=${OUT:-$HERE/out/smoke}
fi
export QUIET_PCT QUIET_MAX SAMPLE_S
# shellcheck source=lib.sh
. "$HERE/lib.sh"
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

# Native AOT builds of the two .NET micro programs (a minute or two each; needs clang and zlib1g-dev).
if [ "$AOT" = 1 ]; then
    for proj in GeventSharpMicro/GeventSharpMicro.csproj dotnet/AsyncBaseline/AsyncBaseline.csproj; do
        rm -rf "$(dirname "$proj")/bin/aot" # no stale binary if this publish fails
        dotnet publish "$proj" -c Release --use-current-runtime -p:Variant=aot -o "$(dirname "$proj")/bin/aot" --nologo -v q >>"$LOG" 2>&1 \
            || say "Native AOT publish failed: $proj (see $LOG); its -aot runtime is skipped"
    done
    [ "$RUNTIMES_SET" = 1 ] || RUNTIMES="$RUNTIMES $AOT_RUNTIMES"
fi

available() {
    case $1 in
        geventsharp-aot) [ -x GeventSharpMicro/bin/aot/GeventSharpMicro ] ;;
        dotnet-*-aot) [ -x dotnet/AsyncBaseline/bin/aot/AsyncBaseline ] ;;
        go-p*) [ "$HAVE_GO" = 1 ] ;;
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
meta date "$(date -u '+%Y-%m-%d %H:%M')" mode "$MODE" reps "$REPS" warm_seconds "$([ "$WARM" = 1 ] && echo "$WARM_SECONDS" || echo 0)" \
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
    quiet_busy_pct "$QUIET_PCT" quiet_max_wait_s "$QUIET_MAX" warmup "n/10, one untimed pass in the same process, every runtime (none for blocked); warm series: passes repeated for ${WARM_SECONDS} s" \
    loadavg_start "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---- micro runs ----
micro_cmd() { # runtime workload [n] -> CMD array; fails for a workload the runtime does not have
    case $2 in
        spawn_join_each|yield_awaiter|blocked_direct|switch_many|timer) [[ $1 == geventsharp* ]] || return 1 ;;
    esac
    case $1 in
        geventsharp) CMD=(GeventSharpMicro/bin/Release/net10.0/GeventSharpMicro -workload "$2") ;;
        go-p*) CMD=(go/bin/micro -workload "$2" -procs "${1#go-p}") ;;
        gevent) CMD=(/usr/bin/python3 python/micro.py -workload "$2") ;;
        dotnet-async) CMD=(dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline -workload "$2" -procs 1) ;;
        dotnet-tpl) CMD=(dotnet/AsyncBaseline/bin/Release/net10.0/AsyncBaseline -workload "$2" -procs 0) ;;
        geventsharp-aot) CMD=(GeventSharpMicro/bin/aot/GeventSharpMicro -workload "$2") ;;
        dotnet-async-aot) CMD=(dotnet/AsyncBaseline/bin/aot/AsyncBaseline -workload "$2" -procs 1) ;;
        dotnet-tpl-aot) CMD=(dotnet/AsyncBaseline/bin/aot/AsyncBaseline -workload "$2" -procs 0) ;;
        *) return 1 ;;
    esac
    local n=${3:-${SIZE[$2]:-}}
    if [ -n "$n" ]; then CMD+=(-n "$n"); fi
}

run_one() { # runtime workload rep [n series]: one fresh process
    local rt=$1 w=$2 rep=$3 line rc own b0 t0 b1 t1 times
    micro_cmd "$rt" "$w" "${4:-}" || return 0
    if [ "${5:-}" = warm ]; then CMD+=(-warm-seconds "$WARM_SECONDS"); fi
    wait_quiet
    times=$(mktemp)
    read -r b0 t0 < <(machine_ticks)
    set +e
    line=$(timeout 600 /usr/bin/time -f "%U %S" -o "$times" "${CMD[@]}" 2>>"$LOG" | tail -n 1)
    rc=$?
    set -e
    read -r b1 t1 < <(machine_ticks)
    own=$(awk -v hz="$CLK_TCK" 'END { printf "%d", ($1 + $2) * hz }' "$times" 2>/dev/null || echo 0)
    rm -f "$times"
    OTHERS_PCT=$(others_pct "$b0" "$t0" "$b1" "$t1" "${own:-0}")
    local extra="\"rep\":$rep,\"bg_busy_pct\":$BUSY,\"others_pct\":$OTHERS_PCT,\"noisy\":$(noisy_flag),\"loadavg1\":$LOAD1,\"quiet_wait_s\":$QWAIT"
    if [ -n "${5:-}" ]; then extra+=",\"series\":\"$5\""; fi
    if [[ $rt == *-aot ]]; then
        line=$(printf '%s' "$line" | sed "s/\"runtime\":\"[^\"]*\"/\"runtime\":\"$rt\"/")
    fi
    if [[ ( $rc == 0 || $rc == 3 ) && $line == \{*\} ]]; then
        echo "${line%\}},$extra}" >> "$RESULTS"
    else
        echo "{\"workload\":\"$w\",\"runtime\":\"$rt\",\"error\":\"exit $rc\",$extra}" >> "$RESULTS"
    fi
    say "rep $rep $w $rt${4:+ n=$4} (background ${BUSY}% before, others ${OTHERS_PCT}% during, waited ${QWAIT}s): ${line:-exit $rc}"
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

# ---- warm: the same workloads after WARM_SECONDS of warm-up passes, every runtime ----
if [ "$WARM" = 1 ]; then
    for rep in $(seq "$REPS"); do
        for w in $WARM_WORKLOADS; do
            for rt in $RUNTIMES; do
                if available "$rt"; then run_one "$rt" "$w" "$rep" "" warm; fi
            done
        done
    done
fi

# ---- cost as work grows (GeventSharp, 10^3..10^6 greenlets, timers or waiters) ----
if [ "$SCALE" = 1 ]; then
    for rep in $(seq "$REPS"); do
        for n in $SCALE_SIZES; do
            for w in $SCALE_WORKLOADS; do
                run_one geventsharp "$w" "$rep" "$n" scale
            done
        done
    done
fi

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
# The README's "How fast" block is generated from the same run, so the two never quote different
# runs; only a full run of every workload and runtime written to docs/ may replace it.
README_ARGS=()
if [ -z "$OUT" ] && [ "$ECHO" = 1 ] && [ "$HTTP" = 1 ] && [ "$WORKLOADS_SET" = 0 ] && [ "$RUNTIMES_SET" = 0 ]; then
    README_ARGS=(--readme "$REPO/README.md")
fi
dotnet Report/bin/Release/net10.0/Report.dll --results "$RESULTS" --bdn "$BDN_DIR" --method method.md --notes notes.md --md "$MD" --png "$PNG" "${README_ARGS[@]}" | tee -a "$LOG"
say "done: $MD, $PNG (raw lines: $DOCS/benchmarks.jsonl, log: $LOG)"
