// Command micro runs one goroutine micro workload and prints one JSON line.
//
//	micro -workload spawn_join|yield|channel_pingpong|event_fanout|blocked -n N [-procs P] [-warmup W] [-warm-seconds S]
//
// -procs P sets GOMAXPROCS (default 1, the single-threaded comparison; 0 = leave the Go default).
// run.sh runs every workload at -procs 1 and -procs 2: the runtime field says which ("go-p1",
// "go-p2"). Before the timed run an untimed warm-up pass of W operations runs in the same
// process; the default, as in every program of the harness, is n/10 (0: none; blocked has none).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

type result struct {
	Workload       string   `json:"workload"`
	Runtime        string   `json:"runtime"`
	Procs          int      `json:"procs"`
	N              int      `json:"n"`
	Ops            int      `json:"ops"`
	Warmup         int      `json:"warmup"`
	Seconds        float64  `json:"seconds"`
	NsPerOp        float64  `json:"ns_per_op"`
	BytesPerOp     *float64 `json:"bytes_per_op"`
	HeapBytesPerOp *float64 `json:"heap_bytes_per_op"`
}

// rss returns the resident set size in bytes (second field of /proc/self/statm), or 0.
func rss() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize())
}

// spawnJoin starts n goroutines that do nothing and waits for all of them.
func spawnJoin(n int) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return time.Since(start)
}

// yieldLoop runs two goroutines that each call runtime.Gosched n/2 times,
// n yields in total. With GOMAXPROCS=1 each Gosched switches to the other one.
func yieldLoop(n int) time.Duration {
	per := n / 2
	var wg sync.WaitGroup
	wg.Add(2)
	body := func() {
		defer wg.Done()
		for i := 0; i < per; i++ {
			runtime.Gosched()
		}
	}
	start := time.Now()
	go body()
	go body()
	wg.Wait()
	return time.Since(start)
}

// channelPingPong does n round trips over a pair of unbuffered channels.
func channelPingPong(n int) time.Duration {
	ping := make(chan int)
	pong := make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	elapsed := time.Since(start)
	close(ping)
	<-pong
	return elapsed
}

// eventFanout parks n goroutines on one channel, then closes it and measures
// the time until every waiter has run.
func eventFanout(n int) time.Duration {
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			<-gate
			done.Done()
		}()
	}
	ready.Wait()
	// Give waiters that signalled ready but have not parked yet (only possible
	// with GOMAXPROCS > 1) time to park. Not part of the measurement.
	if runtime.GOMAXPROCS(0) > 1 {
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	close(gate)
	done.Wait()
	return time.Since(start)
}

// blocked parks n goroutines on one channel at the same time and reports the
// time to get them all parked, the growth of the process's RSS per goroutine
// (the meter every runtime uses) and the growth of StackInuse+HeapInuse (Go's
// own meter) per goroutine, both after runtime.GC().
func blocked(n int) (time.Duration, float64, float64) {
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rssBefore := rss()
	ready.Add(n)
	done.Add(n)
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() {
			ready.Done()
			<-gate
			done.Done()
		}()
	}
	ready.Wait()
	elapsed := time.Since(start)
	if runtime.GOMAXPROCS(0) > 1 {
		time.Sleep(20 * time.Millisecond)
	}
	runtime.GC()
	rssAfter := rss()
	runtime.ReadMemStats(&after)
	used := func(m *runtime.MemStats) float64 { return float64(m.StackInuse + m.HeapInuse) }
	heap := (used(&after) - used(&before)) / float64(n)
	close(gate)
	done.Wait()
	return elapsed, (rssAfter - rssBefore) / float64(n), heap
}

func main() {
	workload := flag.String("workload", "", "spawn_join|yield|channel_pingpong|event_fanout|blocked")
	n := flag.Int("n", 0, "operation count (0 = workload default)")
	procs := flag.Int("procs", 1, "GOMAXPROCS to use (0 = Go default)")
	warmup := flag.Int("warmup", -1, "untimed warm-up operations before the run (-1 = n/10, 0 = none; never for blocked)")
	warmSeconds := flag.Float64("warm-seconds", 0, "repeat the warm-up pass until this many seconds have gone by")
	flag.Parse()

	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	defaults := map[string]int{
		"spawn_join":       100000,
		"yield":            1000000,
		"channel_pingpong": 1000000,
		"event_fanout":     10000,
		"blocked":          1000000,
	}
	def, ok := defaults[*workload]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown -workload %q\n", *workload)
		os.Exit(2)
	}
	if *n <= 0 {
		*n = def
	}

	fns := map[string]func(int) time.Duration{
		"spawn_join":       spawnJoin,
		"yield":            yieldLoop,
		"channel_pingpong": channelPingPong,
		"event_fanout":     eventFanout,
	}

	p := runtime.GOMAXPROCS(0)
	res := result{Workload: *workload, Runtime: fmt.Sprintf("go-p%d", p), Procs: p, N: *n, Ops: *n}
	var elapsed time.Duration
	if *workload == "blocked" {
		var b, h float64
		elapsed, b, h = blocked(*n)
		res.BytesPerOp = &b
		res.HeapBytesPerOp = &h
	} else {
		fn := fns[*workload]
		w := *warmup
		if w < 0 {
			w = *n / 10
		}
		if w > *n {
			w = *n
		}
		until := time.Now().Add(time.Duration(*warmSeconds * float64(time.Second)))
		if w > 0 {
			for {
				fn(w)
				res.Warmup += w
				if !time.Now().Before(until) {
					break
				}
			}
		}
		elapsed = fn(*n)
	}
	res.Seconds = elapsed.Seconds()
	res.NsPerOp = float64(elapsed.Nanoseconds()) / float64(*n)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
