// Command micro runs one goroutine micro workload and prints one JSON line.
//
//	micro -workload spawn_join|yield|channel_pingpong|event_fanout|blocked -n N [-procs P] [-warmup W]
//
// By default GOMAXPROCS is set to 1 inside the program so the Go scheduler is
// compared with single-threaded hubs (gevent, a single-threaded .NET
// SynchronizationContext). -procs overrides it (0 = leave the Go default).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

type result struct {
	Workload   string   `json:"workload"`
	Runtime    string   `json:"runtime"`
	N          int      `json:"n"`
	Seconds    float64  `json:"seconds"`
	NsPerOp    float64  `json:"ns_per_op"`
	BytesPerOp *float64 `json:"bytes_per_op"`
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
// time to get them all parked and the StackInuse+HeapInuse growth per goroutine.
func blocked(n int) (time.Duration, float64) {
	gate := make(chan struct{})
	var ready, done sync.WaitGroup
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
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
	runtime.ReadMemStats(&after)
	used := func(m *runtime.MemStats) float64 { return float64(m.StackInuse + m.HeapInuse) }
	bytes := (used(&after) - used(&before)) / float64(n)
	close(gate)
	done.Wait()
	return elapsed, bytes
}

func main() {
	workload := flag.String("workload", "", "spawn_join|yield|channel_pingpong|event_fanout|blocked")
	n := flag.Int("n", 0, "operation count (0 = workload default)")
	procs := flag.Int("procs", 1, "GOMAXPROCS to use (0 = Go default)")
	warmup := flag.Int("warmup", 10000, "untimed warm-up operations before the run (not for blocked)")
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

	res := result{Workload: *workload, Runtime: "go", N: *n}
	var elapsed time.Duration
	if *workload == "blocked" {
		var b float64
		elapsed, b = blocked(*n)
		res.BytesPerOp = &b
	} else {
		fn := fns[*workload]
		if *warmup > 0 {
			w := *warmup
			if w > *n {
				w = *n
			}
			fn(w)
		}
		elapsed = fn(*n)
	}
	res.Seconds = elapsed.Seconds()
	res.NsPerOp = float64(elapsed.Nanoseconds()) / float64(*n)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
