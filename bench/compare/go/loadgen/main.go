// Command loadgen is the closed-loop load generator used for every echo server.
//
//	loadgen -addr 127.0.0.1:PORT -conns C -duration D -size 64 -warmup W
//
// Each of C connections repeatedly sends one -size byte message, waits until
// the full echo has arrived and checks it, then sends the next one. Latency of
// every request that starts inside the measurement window (after -warmup
// seconds, for -duration seconds) goes into a per-connection log-linear
// histogram (fixed array, no allocation per request). The result is one JSON
// line on stdout. Only loopback addresses (127.0.0.0/8, ::1) are accepted.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Histogram of nanosecond values: exact below 64 ns, then 32 sub-buckets per
// power of two (relative bucket width <= 1/32, about 3%).
const (
	subBits  = 5
	subCount = 1 << subBits // 32
	linear   = 2 * subCount // 64 exact buckets
	nBuckets = linear + (64-subBits-1)*subCount
)

type histogram [nBuckets]uint64

func bucketOf(v uint64) int {
	if v < linear {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // >= 1
	mant := v >> uint(shift)             // in [32, 63]
	return linear + (shift-1)*subCount + int(mant-subCount)
}

// bucketMid returns the midpoint (ns) of bucket i.
func bucketMid(i int) float64 {
	if i < linear {
		return float64(i)
	}
	j := i - linear
	shift := uint(j/subCount + 1)
	mant := uint64(j%subCount + subCount)
	lo := mant << shift
	hi := (mant + 1) << shift
	return (float64(lo) + float64(hi)) / 2
}

func (h *histogram) record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	h[bucketOf(uint64(ns))]++
}

func (h *histogram) merge(o *histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

func (h *histogram) quantile(q float64) float64 {
	var total uint64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for i, c := range h {
		cum += c
		if cum >= rank {
			return bucketMid(i)
		}
	}
	return bucketMid(nBuckets - 1)
}

type worker struct {
	hist     histogram
	requests uint64
	errors   uint64
}

func (w *worker) run(addr *net.TCPAddr, size int, measureStart, end time.Time) {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte('a' + i%26)
	}
	resp := make([]byte, size)
	dialer := net.Dialer{Timeout: 2 * time.Second}
	for time.Now().Before(end) {
		c, err := dialer.Dial("tcp", addr.String())
		if err != nil {
			atomic.AddUint64(&w.errors, 1)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		// Bound every blocking call so the program always stops by itself.
		_ = c.SetDeadline(end.Add(5 * time.Second))
		for {
			t0 := time.Now()
			if !t0.Before(end) {
				break
			}
			if _, err = c.Write(payload); err == nil {
				_, err = io.ReadFull(c, resp)
			}
			if err == nil && !bytes.Equal(resp, payload) {
				err = fmt.Errorf("echo mismatch")
			}
			if err != nil {
				atomic.AddUint64(&w.errors, 1)
				break
			}
			if !t0.Before(measureStart) {
				w.hist.record(int64(time.Since(t0)))
				atomic.AddUint64(&w.requests, 1)
			}
		}
		c.Close()
	}
}

type result struct {
	Conns    int     `json:"conns"`
	Seconds  float64 `json:"seconds"`
	Requests uint64  `json:"requests"`
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	Errors   uint64  `json:"errors"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func main() {
	addrFlag := flag.String("addr", "127.0.0.1:9000", "echo server address (loopback only)")
	conns := flag.Int("conns", 50, "concurrent connections")
	duration := flag.Float64("duration", 5, "measurement window in seconds")
	size := flag.Int("size", 64, "message size in bytes")
	warmup := flag.Float64("warmup", 1, "seconds of load before measuring")
	flag.Parse()

	if *conns < 1 || *size < 1 || *duration <= 0 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -conns, -size and -duration must be positive, -warmup >= 0")
		os.Exit(2)
	}
	addr, err := net.ResolveTCPAddr("tcp", *addrFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}
	if addr.IP == nil || !addr.IP.IsLoopback() {
		fmt.Fprintf(os.Stderr, "loadgen: refusing non-loopback address %s (only 127.0.0.0/8 and ::1)\n", addr)
		os.Exit(2)
	}

	begin := time.Now()
	measureStart := begin.Add(time.Duration(*warmup * float64(time.Second)))
	end := measureStart.Add(time.Duration(*duration * float64(time.Second)))

	workers := make([]worker, *conns)
	var wg sync.WaitGroup
	wg.Add(*conns)
	for i := range workers {
		go func(w *worker) {
			defer wg.Done()
			w.run(addr, *size, measureStart, end)
		}(&workers[i])
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	timedOut := false
	select {
	case <-finished:
	case <-time.After(time.Until(end) + 10*time.Second):
		// Safety net only: all socket calls have deadlines before this.
		timedOut = true
	}

	var total histogram
	res := result{Conns: *conns, Seconds: *duration}
	for i := range workers {
		w := &workers[i]
		res.Requests += atomic.LoadUint64(&w.requests)
		res.Errors += atomic.LoadUint64(&w.errors)
		if !timedOut {
			total.merge(&w.hist)
		}
	}
	res.RPS = round1(float64(res.Requests) / *duration)
	res.P50us = round1(total.quantile(0.50) / 1000)
	res.P99us = round1(total.quantile(0.99) / 1000)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if timedOut {
		fmt.Fprintln(os.Stderr, "loadgen: workers did not stop in time; latency percentiles omitted")
		os.Exit(1)
	}
}
