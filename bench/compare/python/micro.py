#!/usr/bin/python3
"""gevent micro workloads; prints one JSON line per run.

    /usr/bin/python3 micro.py -workload spawn_join|yield|channel_pingpong|event_fanout|blocked -n N [-warmup W] [-warm-seconds S]

Same workloads and output format as go/micro (see ../README.md). Before the timed run an untimed
warm-up pass of W operations runs in the same process; the default, as in every program of the
harness, is n/10 (0: none; blocked has none).
"""
import argparse
import gc
import json
import os
import sys
import time

import gevent
from gevent.event import Event
from gevent.queue import Channel

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _noop():
    pass


def spawn_join(n):
    spawn = gevent.spawn
    start = time.perf_counter()
    greenlets = [spawn(_noop) for _ in range(n)]
    gevent.joinall(greenlets)
    return time.perf_counter() - start


def yield_loop(n):
    per = n // 2
    sleep = gevent.sleep

    def body():
        for _ in range(per):
            sleep(0)

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(body), gevent.spawn(body)])
    return time.perf_counter() - start


def channel_pingpong(n):
    ping = Channel()
    pong = Channel()

    def echo():
        while True:
            v = ping.get()
            pong.put(v)
            if v is None:
                return

    g = gevent.spawn(echo)
    put, get = ping.put, pong.get
    start = time.perf_counter()
    for i in range(n):
        put(i)
        get()
    elapsed = time.perf_counter() - start
    put(None)
    get()
    g.join()
    return elapsed


class _Parked:
    """n greenlets that announce themselves, then wait on one Event."""

    def __init__(self, n):
        self.n = n
        self.gate = Event()
        self.all_ready = Event()
        self.all_done = Event()
        self.ready = 0
        self.done = 0

    def waiter(self):
        self.ready += 1
        if self.ready == self.n:
            self.all_ready.set()
        self.gate.wait()
        self.done += 1
        if self.done == self.n:
            self.all_done.set()

    def spawn_all(self):
        spawn, w = gevent.spawn, self.waiter
        greenlets = [spawn(w) for _ in range(self.n)]
        # The last waiter sets all_ready and then parks on gate before the
        # hub gets back to us, so after this every waiter is parked.
        self.all_ready.wait()
        return greenlets

    def release(self):
        self.gate.set()
        self.all_done.wait()


def event_fanout(n):
    p = _Parked(n)
    greenlets = p.spawn_all()
    start = time.perf_counter()
    p.release()
    elapsed = time.perf_counter() - start
    del greenlets
    return elapsed


def blocked(n):
    gc.collect()
    before = rss_bytes()
    p = _Parked(n)
    start = time.perf_counter()
    greenlets = p.spawn_all()
    elapsed = time.perf_counter() - start
    gc.collect()
    after = rss_bytes()
    p.release()
    del greenlets
    return elapsed, (after - before) / n


WORKLOADS = {
    "spawn_join": (spawn_join, 100_000),
    "yield": (yield_loop, 1_000_000),
    "channel_pingpong": (channel_pingpong, 1_000_000),
    "event_fanout": (event_fanout, 10_000),
    # 1_000_000 parked greenlets take ~85 s (and ~8.5 GB RSS) end to end on the
    # reference machine, so the gevent default is smaller; pass -n to override.
    "blocked": (blocked, 100_000),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-workload", "--workload", required=True, choices=sorted(WORKLOADS))
    ap.add_argument("-n", "--n", type=int, default=0, help="operation count (0 = workload default)")
    ap.add_argument("-warmup", "--warmup", type=int, default=-1,
                    help="untimed warm-up operations before the run (-1 = n/10, 0 = none; never for blocked)")
    ap.add_argument("-warm-seconds", "--warm-seconds", type=float, default=0.0,
                    help="repeat the warm-up pass until this many seconds have gone by")
    args = ap.parse_args()

    fn, default_n = WORKLOADS[args.workload]
    n = args.n if args.n > 0 else default_n
    bytes_per_op = None
    warmup = 0
    if args.workload == "blocked":
        seconds, bytes_per_op = fn(n)
    else:
        one = min(n // 10 if args.warmup < 0 else args.warmup, n)
        until = time.perf_counter() + args.warm_seconds
        if one > 0:
            while True:
                fn(one)
                warmup += one
                if time.perf_counter() >= until:
                    break
        seconds = fn(n)
    print(json.dumps({
        "workload": args.workload,
        "runtime": "gevent",
        "n": n,
        "ops": n,
        "warmup": warmup,
        "seconds": seconds,
        "ns_per_op": seconds * 1e9 / n,
        "bytes_per_op": bytes_per_op,
        "heap_bytes_per_op": None,
    }, separators=(",", ":")))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
