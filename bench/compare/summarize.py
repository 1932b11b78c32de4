"""Prints the summary of echo.sh or http.sh: per server and connection count the medians over the
rounds (req/s, p50, p99, server CPU per request), then each GeventSharp server against the C
reference server (CPU per request as a multiple of C's, req/s as a share of C's) and every other.

    python3 summarize.py RESULTS.jsonl KEY      KEY: the field naming the server ("server" for echo, "http_server" for HTTP)
"""
import json
import statistics
import sys

path, key = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path) if line.strip()]
if not rows:
    sys.exit("no runs to summarize")
servers = list(dict.fromkeys(r[key] for r in rows))
conns = sorted(set(r["conns"] for r in rows))


def med(runs, field):
    vals = [r[field] for r in runs if r.get(field) is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return format(v, spec) if v is not None else "-"


print(f'{"server":<18} {"conns":>6} {"req/s":>10} {"p50 us":>9} {"p99 us":>9} {"cpu us/req":>10} {"errors":>6} {"noisy":>5}'
      f'   (medians of {max(r.get("round", 1) for r in rows)} rounds)')
rps, cpu = {}, {}
for c in conns:
    for s in servers:
        runs = [r for r in rows if r[key] == s and r["conns"] == c]
        if not runs:
            continue
        rps[(s, c)] = med(runs, "rps")
        cpu[(s, c)] = med(runs, "server_cpu_us_per_req")
        noisy = sum(1 for r in runs if r.get("noisy"))
        print(f'{s:<18} {c:>6} {fmt(rps[(s, c)], ">10.0f")} {fmt(med(runs, "p50_us"), ">9.0f")} {fmt(med(runs, "p99_us"), ">9.0f")} '
              f'{fmt(cpu[(s, c)], ">10.2f")} {sum(r["errors"] for r in runs):>6} {noisy:>5}')
for gs in [s for s in servers if s.startswith("geventsharp")]:
    for c in conns:
        g = rps.get((gs, c)) or 0
        parts = []
        if cpu.get((gs, c)) and cpu.get(("c", c)):
            parts.append(f'CPU/request {cpu[(gs, c)] / cpu[("c", c)]:.2f}x C')
        if g and rps.get(("c", c)):
            parts.append(f'req/s {100 * g / rps[("c", c)]:.0f}% of C')
        parts += [f'{g / rps[(s, c)]:.2f}x {s} req/s' for s in servers
                  if not s.startswith("geventsharp") and s != "c" and rps.get((s, c))]
        print(f'{gs} at {c} conns: {", ".join(parts)}')
