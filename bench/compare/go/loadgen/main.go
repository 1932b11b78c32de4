// Command loadgen is the closed-loop load generator used for every echo server.
//
//	loadgen -addr 127.0.0.1:PORT -conns C -duration D -size 64 -warmup W [-server-pid PID]
//
// With -server-pid, the server's CPU time (user+sys of all its threads, from
// /proc/PID/stat), the load generator's own and the whole machine's (/proc/stat)
// are read at the start and the end of the measurement window, and the line
// gains server_cpu_us_per_req, client_cpu_us_per_req, server_cores and
// others_pct (the share of the machine used by other processes meanwhile).
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
	"strconv"
	"strings"
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
	Conns             int      `json:"conns"`
	Seconds           float64  `json:"seconds"`
	Requests          uint64   `json:"requests"`
	RPS               float64  `json:"rps"`
	P50us             float64  `json:"p50_us"`
	P99us             float64  `json:"p99_us"`
	Errors            uint64   `json:"errors"`
	ServerCPUusPerReq *float64 `json:"server_cpu_us_per_req,omitempty"`
	ClientCPUusPerReq *float64 `json:"client_cpu_us_per_req,omitempty"`
	ServerCores       *float64 `json:"server_cores,omitempty"`
	OthersPct         *float64 `json:"others_pct,omitempty"`
}

// clkTck is USER_HZ, the unit of /proc CPU times (100 on every Linux port Go runs on).
const clkTck = 100

// procTicks returns utime+stime of a process (all its threads) in clock ticks.
func procTicks(pid string) (float64, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]) // field 3 onwards
	if len(f) < 13 {
		return 0, false
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return u + k, true
}

// machineTicks returns the whole machine's busy and total clock ticks (/proc/stat).
func machineTicks() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	f := strings.Fields(strings.SplitN(string(b), "\n", 2)[0])
	for i := 1; i < len(f) && i <= 8; i++ {
		v, _ := strconv.ParseFloat(f[i], 64)
		total += v
		if i != 4 && i != 5 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

type cpuSample struct {
	server, client, busy, total float64
	ok                          bool
}

func sampleCPU(pid string) cpuSample {
	var c cpuSample
	var ok1, ok2 bool
	c.server, ok1 = procTicks(pid)
	c.client, ok2 = procTicks("self")
	c.busy, c.total = machineTicks()
	c.ok = ok1 && ok2
	return c
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func main() {
	addrFlag := flag.String("addr", "127.0.0.1:9000", "echo server address (loopback only)")
	conns := flag.Int("conns", 50, "concurrent connections")
	duration := flag.Float64("duration", 5, "measurement window in seconds")
	size := flag.Int("size", 64, "message size in bytes")
	warmup := flag.Float64("warmup", 1, "seconds of load before measuring")
	serverPid := flag.Int("server-pid", 0, "server process to measure CPU time of during the window (0 = none)")
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

	var cpu0, cpu1 cpuSample
	if *serverPid > 0 {
		pid := strconv.Itoa(*serverPid)
		time.Sleep(time.Until(measureStart))
		cpu0 = sampleCPU(pid)
		time.Sleep(time.Until(end))
		cpu1 = sampleCPU(pid)
	}

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
	if cpu0.ok && cpu1.ok && res.Requests > 0 {
		server := (cpu1.server - cpu0.server) / clkTck
		client := (cpu1.client - cpu0.client) / clkTck
		perReq := func(sec float64) *float64 { v := math.Round(sec/float64(res.Requests)*1e9) / 1e3; return &v }
		res.ServerCPUusPerReq = perReq(server)
		res.ClientCPUusPerReq = perReq(client)
		cores := math.Round(server / *duration * 100) / 100
		res.ServerCores = &cores
		if t := cpu1.total - cpu0.total; t > 0 {
			o := math.Max(0, math.Round(((cpu1.busy-cpu0.busy)-(cpu1.server-cpu0.server)-(cpu1.client-cpu0.client))/t*1000)/10)
			res.OthersPct = &o
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	if timedOut {
		fmt.Fprintln(os.Stderr, "loadgen: workers did not stop in time; latency percentiles omitted")
		os.Exit(1)
	}
}
