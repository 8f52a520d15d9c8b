package main

import (
	"context"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// sample is one contender's figures in one phase, over all its turns.
type sample struct {
	lat  []time.Duration
	errs int
	busy time.Duration // wall time of the turns
	cpu  time.Duration // CPU time of the contender's own server process
}

func (s *sample) add(lat []time.Duration, errs int, busy, cpu time.Duration) {
	s.lat = append(s.lat, lat...)
	s.errs += errs
	s.busy += busy
	s.cpu += cpu
}

func (s *sample) sort() { sort.Slice(s.lat, func(i, j int) bool { return s.lat[i] < s.lat[j] }) }

func (s *sample) p(q float64) time.Duration { return pct(s.lat, q) }

func (s *sample) rps() float64 {
	if s.busy <= 0 {
		return 0
	}
	return float64(len(s.lat)) / s.busy.Seconds()
}

// cpuPer1k is CPU seconds of the server process per 1,000 answered requests.
func (s *sample) cpuPer1k() float64 {
	if len(s.lat) == 0 {
		return 0
	}
	return s.cpu.Seconds() / float64(len(s.lat)) * 1000
}

const reqBody = `{"model":"m","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"hello there, how are you today?"}],"max_tokens":64}`

// one sends one chat completion and reads the whole answer.
func one(ctx context.Context, client *http.Client, url, key string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/chat/completions", strings.NewReader(reqBody))
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	setPeerHeaders(req, url)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// closedLoop sends count requests with conc clients, each sending its next
// request when the previous one is answered: saturation.
func closedLoop(ctx context.Context, client *http.Client, url, key string, count, conc int) ([]time.Duration, int, time.Duration) {
	jobs := make(chan struct{}, count)
	for range count {
		jobs <- struct{}{}
	}
	close(jobs)
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, count/conc+1)
			e := 0
			for range jobs {
				if ctx.Err() != nil {
					break
				}
				t0 := time.Now()
				if one(ctx, client, url, key) {
					local = append(local, time.Since(t0))
				} else {
					e++
				}
			}
			mu.Lock()
			all, errs = append(all, local...), errs+e
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, errs, time.Since(start)
}

// openLoop sends count requests at a fixed rate whatever the answers do,
// with at most maxOutstanding in flight. Latency is measured from each
// request's scheduled time, so a server that falls behind is charged for
// the queueing it causes (no coordinated omission).
func openLoop(ctx context.Context, client *http.Client, url, key string, count int, rate float64, maxOutstanding int) ([]time.Duration, int, time.Duration) {
	interval := time.Duration(float64(time.Second) / rate)
	sem := make(chan struct{}, maxOutstanding)
	var mu sync.Mutex
	lat := make([]time.Duration, 0, count)
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for i := range count {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := one(ctx, client, url, key)
			d := time.Since(due)
			<-sem
			mu.Lock()
			if ok {
				lat = append(lat, d)
			} else {
				errs++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, errs, time.Since(start)
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(int(float64(len(d))*p), len(d)-1)]
}
