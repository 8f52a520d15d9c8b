// Package availability keeps a rolling window of how each backend of a
// gateway has been doing: success rate, latency and time to first token
// percentiles, generation throughput and recent errors by class. The proxy
// feeds it one Outcome per upstream attempt when a request finishes; the
// /v1/models/{id}/endpoints answer, the provider "sort" preferences and the
// console read it.
//
// Memory is bounded: a Window is a fixed ring of time buckets, each a fixed
// set of counters and log-scale histograms, whatever the traffic. Observe
// takes one short per-window lock (a few increments); reads copy under the
// same lock and compute outside it.
package availability

import (
	"math"
	"sort"
	"sync"
	"time"
)

// Defaults of a Registry: 30 one-minute buckets, so the figures cover the
// last 30 minutes (OpenRouter's "last 30m").
const (
	DefaultBuckets = 30
	DefaultBucket  = time.Minute
)

// Class is the error class of a failed attempt; the proxy's own classes.
type Class uint8

// The error classes. ClassFatal (a refusal of the request itself: 4xx that
// is not a rate limit) is counted among the errors but not against the
// backend's success rate: the request, not the backend, was at fault.
const (
	ClassRateLimited Class = iota
	ClassServerError
	ClassTimeout
	ClassConnect
	ClassFatal
	numClasses
)

var classNames = [numClasses]string{"rate_limited", "server_error", "timeout", "connect", "fatal"}

func (c Class) String() string {
	if c < numClasses {
		return classNames[c]
	}
	return "unknown"
}

// ParseClass maps a class name to its Class (ClassFatal when unknown).
func ParseClass(name string) Class {
	for i, n := range classNames {
		if n == name {
			return Class(i)
		}
	}
	return ClassFatal
}

// Outcome is what one upstream attempt came to.
type Outcome struct {
	At time.Time // when it ended
	OK bool
	// Class is the failure's class (ignored when OK).
	Class Class
	// Latency is the attempt's duration to its end; TTFT to its first
	// content byte (0: none came or not measured).
	Latency time.Duration
	TTFT    time.Duration
	// OutputTokens the attempt generated (OK attempts only), for
	// throughput: OutputTokens over the generation time (Latency - TTFT
	// for a stream of more than one token, else Latency).
	OutputTokens int64
}

// Histograms are log-scale: bucket i holds values in [g^i, g^(i+1)) with
// g = 1.25, so a percentile is within 12% of the true value. Latency is
// in milliseconds (up to about 21 minutes), throughput in tokens/s.
const (
	histBuckets = 64
	growth      = 1.25
)

var logGrowth = math.Log(growth)

type histogram [histBuckets]uint32

func (h *histogram) add(v float64) {
	h[histIndex(v)]++
}

func histIndex(v float64) int {
	if !(v >= 1) { // also NaN
		return 0
	}
	i := int(math.Log(v) / logGrowth)
	return min(max(i, 0), histBuckets-1)
}

// quantile returns the value at q (0..1) of the counts in h: the
// geometric middle of the bucket it falls in; 0 when h is empty.
func (h *histogram) quantile(q float64) float64 {
	var total uint64
	for _, n := range h {
		total += uint64(n)
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, n := range h {
		seen += uint64(n)
		if seen >= rank {
			if i == 0 {
				return 1
			}
			return math.Pow(growth, float64(i)+0.5)
		}
	}
	return math.Pow(growth, histBuckets-0.5)
}

func (h *histogram) merge(o *histogram) {
	for i := range h {
		h[i] += o[i]
	}
}

// bucket is one time slice of a window.
type bucket struct {
	start      int64 // unix nanos of the slice's start; 0 unused
	ok         uint32
	errors     [numClasses]uint32
	tokens     int64
	genNanos   int64
	latency    histogram // ms
	ttft       histogram // ms
	throughput histogram // tokens/s
	lastErr    int64     // unix nanos of the last failure
	lastClass  Class
}

// Window is one backend's rolling window. The zero value is not usable:
// make one with NewWindow or Registry.Window.
type Window struct {
	width   int64 // bucket width, nanos
	mu      sync.Mutex
	buckets []bucket
}

// NewWindow makes a window of n buckets of width d (defaults when ≤ 0).
func NewWindow(n int, d time.Duration) *Window {
	if n <= 0 {
		n = DefaultBuckets
	}
	if d <= 0 {
		d = DefaultBucket
	}
	return &Window{width: int64(d), buckets: make([]bucket, n)}
}

// Span is how far back the window looks.
func (w *Window) Span() time.Duration { return time.Duration(w.width * int64(len(w.buckets))) }

// Observe records one outcome.
func (w *Window) Observe(o Outcome) {
	if w == nil {
		return
	}
	at := o.At.UnixNano()
	start := at - at%w.width
	idx := int((at / w.width) % int64(len(w.buckets)))
	lat := float64(o.Latency) / float64(time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	b := &w.buckets[idx]
	if b.start != start {
		if b.start > start {
			return // older than the window's span: dropped
		}
		*b = bucket{start: start}
	}
	if !o.OK {
		c := o.Class
		if c >= numClasses {
			c = ClassFatal
		}
		b.errors[c]++
		if at >= b.lastErr {
			b.lastErr, b.lastClass = at, c
		}
		if c != ClassFatal {
			b.latency.add(lat)
		}
		return
	}
	b.ok++
	b.latency.add(lat)
	if o.TTFT > 0 {
		b.ttft.add(float64(o.TTFT) / float64(time.Millisecond))
	}
	if o.OutputTokens > 0 {
		gen := o.Latency
		if o.TTFT > 0 && o.TTFT < o.Latency && o.OutputTokens > 1 {
			gen = o.Latency - o.TTFT
		}
		if gen > 0 {
			b.tokens += o.OutputTokens
			b.genNanos += int64(gen)
			b.throughput.add(float64(o.OutputTokens) / gen.Seconds())
		}
	}
}

// Stats are a window's figures at one moment.
type Stats struct {
	// Window is the span the figures cover.
	Window time.Duration
	// Requests counts the attempts seen; Succeeded those that succeeded.
	Requests  uint64
	Succeeded uint64
	// SuccessRate is Succeeded over the attempts that succeeded or failed
	// for the backend's sake (every class but ClassFatal), 0..1; -1 when
	// there were none (unknown, not down).
	SuccessRate float64
	// Latency and TTFT percentiles; 0 when nothing was measured.
	LatencyP50, LatencyP95 time.Duration
	TTFTP50, TTFTP95       time.Duration
	// ThroughputP50 is the median of the attempts' tokens/s;
	// Throughput the window's total tokens over total generation time.
	ThroughputP50 float64
	Throughput    float64
	// Errors counts failures by class name (only classes seen).
	Errors map[string]uint64
	// LastError is when the last failure ended and LastErrorClass its
	// class; zero when none in the window.
	LastError      time.Time
	LastErrorClass string
}

// Stats computes the figures of the buckets still inside the window at now.
func (w *Window) Stats(now time.Time) Stats {
	if w == nil {
		return Stats{SuccessRate: -1}
	}
	return w.stats(now, len(w.buckets))
}

// Recent computes the figures of the last span only (rounded up to whole
// buckets, at least one, at most the window): the operator's Available
// condition reads a few minutes, so that an outage ages out of its
// readings sooner than out of the 30-minute figures.
func (w *Window) Recent(now time.Time, span time.Duration) Stats {
	if w == nil {
		return Stats{SuccessRate: -1}
	}
	n := int((int64(span) + w.width - 1) / w.width)
	return w.stats(now, min(max(n, 1), len(w.buckets)))
}

// stats computes the figures of the newest n buckets at now.
func (w *Window) stats(now time.Time, n int) Stats {
	st := Stats{SuccessRate: -1}
	st.Window = time.Duration(w.width * int64(n))
	nowNs := now.UnixNano()
	oldest := nowNs - nowNs%w.width - w.width*int64(n-1)
	var agg bucket
	w.mu.Lock()
	for i := range w.buckets {
		b := &w.buckets[i]
		if b.start == 0 || b.start < oldest || b.start > nowNs {
			continue
		}
		agg.ok += b.ok
		for c := range b.errors {
			agg.errors[c] += b.errors[c]
		}
		agg.tokens += b.tokens
		agg.genNanos += b.genNanos
		agg.latency.merge(&b.latency)
		agg.ttft.merge(&b.ttft)
		agg.throughput.merge(&b.throughput)
		if b.lastErr > agg.lastErr {
			agg.lastErr, agg.lastClass = b.lastErr, b.lastClass
		}
	}
	w.mu.Unlock()
	st.Succeeded = uint64(agg.ok)
	st.Requests = st.Succeeded
	counted := st.Succeeded
	for c, k := range agg.errors {
		if k == 0 {
			continue
		}
		if st.Errors == nil {
			st.Errors = map[string]uint64{}
		}
		st.Errors[Class(c).String()] = uint64(k)
		st.Requests += uint64(k)
		if Class(c) != ClassFatal {
			counted += uint64(k)
		}
	}
	if counted > 0 {
		st.SuccessRate = float64(st.Succeeded) / float64(counted)
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	st.LatencyP50, st.LatencyP95 = ms(agg.latency.quantile(0.5)), ms(agg.latency.quantile(0.95))
	st.TTFTP50, st.TTFTP95 = ms(agg.ttft.quantile(0.5)), ms(agg.ttft.quantile(0.95))
	st.ThroughputP50 = agg.throughput.quantile(0.5)
	if agg.genNanos > 0 {
		st.Throughput = float64(agg.tokens) / time.Duration(agg.genNanos).Seconds()
	}
	if agg.lastErr > 0 {
		st.LastError, st.LastErrorClass = time.Unix(0, agg.lastErr), agg.lastClass.String()
	}
	return st
}

// Registry holds the windows of a gateway's backends by label
// (provider/model); a window outlives config reloads like the backend's
// other state. It holds at most one window per label the configs named.
type Registry struct {
	buckets int
	width   time.Duration
	mu      sync.RWMutex
	windows map[string]*Window
}

// NewRegistry makes a registry whose windows have n buckets of width d
// (defaults when ≤ 0).
func NewRegistry(n int, d time.Duration) *Registry {
	return &Registry{buckets: n, width: d, windows: map[string]*Window{}}
}

// Window returns label's window, making it on first use.
func (r *Registry) Window(label string) *Window {
	r.mu.RLock()
	w, ok := r.windows[label]
	r.mu.RUnlock()
	if ok {
		return w
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if held, ok := r.windows[label]; ok {
		return held
	}
	w = NewWindow(r.buckets, r.width)
	r.windows[label] = w
	return w
}

// Lookup returns label's window, or nil when it has none.
func (r *Registry) Lookup(label string) *Window {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.windows[label]
}

// Labels lists the labels with a window, sorted.
func (r *Registry) Labels() []string {
	r.mu.RLock()
	out := make([]string, 0, len(r.windows))
	for l := range r.windows {
		out = append(out, l)
	}
	r.mu.RUnlock()
	sort.Strings(out)
	return out
}

// Snapshot returns every window's Stats at now, by label.
func (r *Registry) Snapshot(now time.Time) map[string]Stats {
	out := map[string]Stats{}
	for _, l := range r.Labels() {
		out[l] = r.Lookup(l).Stats(now)
	}
	return out
}

// Retain forgets the windows of labels keep does not hold (backends no
// config names any more), so the registry stays bounded by the config.
func (r *Registry) Retain(keep map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for l := range r.windows {
		if !keep[l] {
			delete(r.windows, l)
		}
	}
}
