package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// streamStats are one contender's streaming figures.
type streamStats struct {
	ttft []time.Duration // request sent → first content chunk read
	gaps []time.Duration // mean time between chunks, per stream
	errs int
}

// streamPhase measures added time to first token and between chunks: each
// contender gets the same streams (chunks chunks, gap apart), in turns.
func streamPhase(ctx context.Context, client *http.Client, cs []*contender, key string, streams, conc, chunks int, gap time.Duration) {
	stats := make([]streamStats, len(cs))
	const rounds = 2
	for r := 0; r < rounds && ctx.Err() == nil; r++ {
		for i, x := range cs {
			runStreams(ctx, client, x.url, key, max(streams/rounds, 1), conc, &stats[i])
		}
	}
	fmt.Printf("\nstreaming: %d chunks %s apart per stream, %d streams per contender, %d concurrent\n\n", chunks, gap, streams, conc)
	fmt.Printf("| contender               | streams | errors | TTFT p50 | TTFT p99 | added TTFT p50 | added TTFT p99 | chunk gap p50 | added gap p50 |\n")
	fmt.Printf("|-------------------------|---------|--------|----------|----------|----------------|----------------|---------------|---------------|\n")
	for i := range stats {
		sort.Slice(stats[i].ttft, func(a, b int) bool { return stats[i].ttft[a] < stats[i].ttft[b] })
		sort.Slice(stats[i].gaps, func(a, b int) bool { return stats[i].gaps[a] < stats[i].gaps[b] })
	}
	d := stats[0]
	for i, x := range cs {
		s := stats[i]
		fmt.Printf("| %-23s | %7d | %6d | %8s | %8s | %14s | %14s | %13s | %13s |\n", x.name, len(s.ttft), s.errs,
			r(pct(s.ttft, .5)), r(pct(s.ttft, .99)), r(pct(s.ttft, .5)-pct(d.ttft, .5)), r(pct(s.ttft, .99)-pct(d.ttft, .99)),
			r(pct(s.gaps, .5)), r(pct(s.gaps, .5)-pct(d.gaps, .5)))
	}
	fmt.Printf("\ntarget: added time to first token p99 < 1ms\n")
}

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
				ttft, gap, err := oneStream(ctx, client, url, key)
				mu.Lock()
				if err != nil {
					st.errs++
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

func oneStream(ctx context.Context, client *http.Client, url, key string) (ttft, gap time.Duration, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(streamBody))
	if err != nil {
		return 0, 0, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("sending: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	var first, last time.Time
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "data: ") || !strings.Contains(line, `"content"`) {
			continue
		}
		now := time.Now()
		if n == 0 {
			first = now
		}
		last = now
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("reading the stream: %w", err)
	}
	if n < 2 {
		return 0, 0, fmt.Errorf("only %d chunks", n)
	}
	return first.Sub(t0), last.Sub(first) / time.Duration(n-1), nil
}
