"""Prints the summary of echo.sh or http.sh: per server and connection count the round with the
median req/s, then each GeventSharp server's ratio to every other server.

    python3 summarize.py RESULTS.jsonl KEY      KEY: the field naming the server ("server" for echo, "http_server" for HTTP)
"""
import json
import sys

path, key = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(path) if line.strip()]
if not rows:
    sys.exit("no runs to summarize")
servers = list(dict.fromkeys(r[key] for r in rows))
conns = sorted(set(r["conns"] for r in rows))
print(f'{"server":<18} {"conns":>6} {"req/s":>10} {"p50 us":>9} {"p99 us":>9} {"errors":>6}   (median of {max(r["round"] for r in rows)} rounds)')
med = {}
for c in conns:
    for s in servers:
        runs = sorted((r for r in rows if r[key] == s and r["conns"] == c), key=lambda r: r["rps"])
        if not runs:
            continue
        m = runs[len(runs) // 2]
        med[(s, c)] = m["rps"]
        print(f'{s:<18} {c:>6} {m["rps"]:>10.0f} {m["p50_us"]:>9.0f} {m["p99_us"]:>9.0f} {m["errors"]:>6}')
for gs in [s for s in servers if s.startswith("geventsharp")]:
    for c in conns:
        g = med.get((gs, c), 0)
        ratios = ", ".join(f'{g / med[(s, c)]:.2f}x {s}' for s in servers if not s.startswith("geventsharp") and med.get((s, c)))
        print(f'{gs} at {c} conns: {ratios}')
