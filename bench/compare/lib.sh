# Sourced by run.sh, echo.sh and http.sh: how busy the machine is before and during a run.
#
#   wait_quiet                 samples the whole machine's CPU use over SAMPLE_S seconds (/proc/stat)
#                              until it is at most QUIET_PCT percent or QUIET_MAX seconds have passed;
#                              sets BUSY (percent), LOAD1 (1-minute load average) and QWAIT (seconds)
#   machine_ticks              prints "busy total" jiffies of the whole machine (/proc/stat)
#   proc_ticks PID             prints utime+stime of PID in jiffies (/proc/PID/stat; all its threads)
#   others_pct B0 T0 B1 T1 OWN percent of the machine used by other processes between two
#                              machine_ticks samples, OWN being the jiffies of the measured processes
#   noisy_flag                 "true" when BUSY or OTHERS_PCT is above QUIET_PCT, else "false"
QUIET_PCT=${QUIET_PCT:-25}
QUIET_MAX=${QUIET_MAX:-30}
SAMPLE_S=${SAMPLE_S:-1}
CLK_TCK=$(getconf CLK_TCK)
BUSY=0 LOAD1=0 QWAIT=0 OTHERS_PCT=0

machine_ticks() {
    local a
    read -r -a a < /proc/stat
    local total=$((a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7] + a[8]))
    echo "$((total - a[4] - a[5])) $total"
}

proc_ticks() {
    # Fields 14 and 15 of /proc/PID/stat; the command name (field 2) may hold spaces, so cut after ")".
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

cpu_busy_pct() { # whole-machine CPU use over SAMPLE_S seconds, in percent
    local b0 t0 b1 t1
    read -r b0 t0 < <(machine_ticks)
    sleep "$SAMPLE_S"
    read -r b1 t1 < <(machine_ticks)
    local total=$((t1 - t0))
    [ "$total" -gt 0 ] || total=1
    echo $(( (100 * (b1 - b0)) / total ))
}

wait_quiet() {
    local start=$SECONDS
    while :; do
        BUSY=$(cpu_busy_pct)
        if [ "$BUSY" -le "$QUIET_PCT" ] || [ $((SECONDS - start)) -ge "$QUIET_MAX" ]; then break; fi
    done
    QWAIT=$((SECONDS - start))
    LOAD1=$(cut -d' ' -f1 /proc/loadavg)
}

others_pct() { # B0 T0 B1 T1 OWN
    local total=$(($4 - $2)) other=$(( ($3 - $1) - $5 ))
    [ "$total" -gt 0 ] || total=1
    [ "$other" -gt 0 ] || other=0
    echo $(( (100 * other) / total ))
}

noisy_flag() {
    if [ "$BUSY" -gt "$QUIET_PCT" ] || [ "$OTHERS_PCT" -gt "$QUIET_PCT" ]; then echo true; else echo false; fi
}
