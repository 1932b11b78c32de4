package main

import (
	"math"
	"testing"
)

func TestBucketRoundTrip(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<40; v = v*17/16 + 1 {
		b := bucketOf(v)
		if b < prev || b >= nBuckets {
			t.Fatalf("bucketOf(%d)=%d not monotonic/in range (prev %d)", v, b, prev)
		}
		prev = b
		mid := bucketMid(b)
		if rel := math.Abs(mid-float64(v)) / math.Max(float64(v), 1); rel > 1.0/32 {
			t.Fatalf("v=%d bucket mid %.1f rel err %.4f", v, mid, rel)
		}
	}
	if b := bucketOf(math.MaxUint64); b != nBuckets-1 {
		t.Fatalf("max value bucket %d, want %d", b, nBuckets-1)
	}
}

func TestQuantile(t *testing.T) {
	var h histogram
	for i := int64(1); i <= 1000; i++ {
		h.record(i * 1000) // 1..1000 us
	}
	if p50 := h.quantile(0.5); math.Abs(p50-500000)/500000 > 1.0/32 {
		t.Fatalf("p50 %.0f", p50)
	}
	if p99 := h.quantile(0.99); math.Abs(p99-990000)/990000 > 1.0/32 {
		t.Fatalf("p99 %.0f", p99)
	}
}
