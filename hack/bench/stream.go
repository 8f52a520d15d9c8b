package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/test/loadupstream"
)

// streamStats are one contender's streaming figures.
type streamStats struct {
	ttft []time.Duration // request sent → first content chunk read
	gaps []time.Duration // mean time between chunks, per stream
	errs int
	err  string // the first error
}

func (s *streamStats) sort() {
	sort.Slice(s.ttft, func(a, b int) bool { return s.ttft[a] < s.ttft[b] })
	sort.Slice(s.gaps, func(a, b int) bool { return s.gaps[a] < s.gaps[b] })
}

// runStreams runs count streams, conc at a time.
func runStreams(ctx context.Context, client *http.Client, url, key string, count, conc int, st *streamStats) {
	var mu sync.Mutex
	jobs := make(chan struct{}, count)
	for range count {
		jobs <- struct{}{}
	}
	close(jobs)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if ctx.Err() != nil {
					return
				}
				ttft, gap, err := oneStream(ctx, client, url, key, "", nil)
				mu.Lock()
				if err != nil {
					st.errs++
					if st.err == "" {
						st.err = err.Error()
					}
				} else {
					st.ttft = append(st.ttft, ttft)
					st.gaps = append(st.gaps, gap)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

const streamBody = `{"model":"m","stream":true,"messages":[{"role":"user","content":"count to fifty"}],"max_tokens":64}`

// oneStream reads one stream to its end. gap, when set, asks the mock for
// that time between chunks; first, when set, is called once the first
// content chunk has arrived.
func oneStream(ctx context.Context, client *http.Client, url, key, gap string, first func()) (ttft, meanGap time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(streamBody))
	if err != nil {
		return 0, 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	setPeerHeaders(req, url)
	if gap != "" {
		req.Header.Set(loadupstream.GapHeader, gap)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("sending: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("status %d: %s", resp.StatusCode, msg)
	}
	sc := bufio.NewScanner(resp.Body)
	var t1, last time.Time
	n := 0
	done := false
	for sc.Scan() {
		line := sc.Text()
		if line == "data: [DONE]" {
			done = true
		}
		if !strings.HasPrefix(line, "data: ") || !strings.Contains(line, `"content"`) {
			continue
		}
		now := time.Now()
		if n == 0 {
			t1 = now
			if first != nil {
				first()
			}
		}
		last = now
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("reading the stream: %w", err)
	}
	if n < 2 || !done {
		return 0, 0, fmt.Errorf("%d chunks and no [DONE]: the stream was cut", n)
	}
	return t1.Sub(t0), last.Sub(t1) / time.Duration(n-1), nil
}

// memFigures are a tollgate process's memory before, during and after load.
type memFigures struct {
	idle, peak, after  int64 // RSS bytes
	anonIdle           int64 // the private part of idle (RssAnon)
	open               int   // streams open together at the peak
	errs               int
	firstErr           string // the first stream's error, when one failed
	goroutinesIdle     float64
	goroutinesAfter    float64
	heapIdle, heapPeak float64 // go_memstats_heap_inuse_bytes
	heapAfter          float64
}

// holdStreams opens n streams at once against p (each chunk gap apart, so
// they stay open a while), samples p's RSS while all are open, and
// returns once every stream has ended.
func holdStreams(ctx context.Context, client *http.Client, p *proc, key string, n int, gap time.Duration, m *memFigures) {
	var opened atomic.Int64
	var errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := oneStream(ctx, client, p.url, key, gap.String(), func() { opened.Add(1) }); err != nil {
				errs.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			m.errs = int(errs.Load())
			if e, ok := firstErr.Load().(string); ok {
				m.firstErr = e
			}
			return
		case <-tick.C:
			o := int(opened.Load())
			if r := p.rss(); r > m.peak {
				m.peak, m.open = r, o
			}
			if o == n && m.heapPeak == 0 {
				m.heapPeak = p.gauge("go_memstats_heap_inuse_bytes")
			}
		}
	}
}
