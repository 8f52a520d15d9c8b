package console

import (
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// DefaultRecorderEntries bounds a Recorder made with a size of 0.
const DefaultRecorderEntries = 20000

// recorderKeepDays is how long a day's counts are kept: enough for the
// longest usage window (a calendar month) to be complete.
const recorderKeepDays = 32

// Recorder counts usage per UTC day, consumer, public model and provider in
// process. The limits counters know consumer and model but not which
// provider answered; the console splits their totals by provider in the
// proportions this Recorder saw, and uses it alone when there is no limits
// engine. It is safe for concurrent use.
//
// Memory is bounded: days older than the longest window are dropped, and
// once maxEntries keys exist, events for new keys are counted in Dropped
// instead. Consumer, model and provider names come from the config, never
// from the client, so the key space is small in practice.
type Recorder struct {
	mu         sync.Mutex
	now        func() time.Time
	maxEntries int
	counts     map[recKey]*Counts
	lastPrune  int64
	dropped    int64
}

type recKey struct {
	day                       int64 // days since the Unix epoch, UTC
	consumer, model, provider string
}

// Counts are the totals of one recorder key.
type Counts struct {
	Requests     int64
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64
}

func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.InputTokens += o.InputTokens
	c.OutputTokens += o.OutputTokens
	c.CostUSD += o.CostUSD
}

// NewRecorder makes a Recorder holding at most maxEntries keys
// (DefaultRecorderEntries when 0 or less).
func NewRecorder(maxEntries int) *Recorder {
	if maxEntries <= 0 {
		maxEntries = DefaultRecorderEntries
	}
	return &Recorder{now: time.Now, maxEntries: maxEntries, counts: map[recKey]*Counts{}}
}

// Record counts one finished request: the consumer ("" when anonymous),
// the public model, the provider that answered, the usage it reported (or
// the proxy's estimate) and its cost in USD. A request that never reached a
// provider is not recorded.
func (r *Recorder) Record(consumer, model, provider string, u providers.Usage, costUSD float64) {
	if r == nil || provider == "" {
		return
	}
	day := unixDay(r.now())
	k := recKey{day: day, consumer: consumer, model: model, provider: provider}
	c := Counts{Requests: 1, InputTokens: max(u.InputTokens, 0), OutputTokens: max(u.OutputTokens, 0), CostUSD: max(costUSD, 0)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if day != r.lastPrune {
		r.lastPrune = day
		for key := range r.counts {
			if key.day <= day-recorderKeepDays {
				delete(r.counts, key)
			}
		}
	}
	cur, ok := r.counts[k]
	if !ok {
		if len(r.counts) >= r.maxEntries {
			r.dropped++
			return
		}
		cur = &Counts{}
		r.counts[k] = cur
	}
	cur.add(c)
}

// Dropped is the number of events not counted because the Recorder was full.
func (r *Recorder) Dropped() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dropped
}

// modelProvider names one (model, provider) pair of a consumer.
type modelProvider struct{ model, provider string }

// Sum adds up a consumer's counts per (model, provider) over the whole UTC
// days in [start, end).
func (r *Recorder) sum(consumer string, start, end time.Time) map[modelProvider]Counts {
	out := map[modelProvider]Counts{}
	if r == nil {
		return out
	}
	from, to := unixDay(start), unixDay(end)
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, c := range r.counts {
		if k.consumer != consumer || k.day < from || k.day >= to {
			continue
		}
		mp := modelProvider{k.model, k.provider}
		t := out[mp]
		t.add(*c)
		out[mp] = t
	}
	return out
}

// consumers lists the consumers with counts on or after start.
func (r *Recorder) consumers(start time.Time) []string {
	if r == nil {
		return nil
	}
	from := unixDay(start)
	seen := map[string]bool{}
	var out []string
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.counts {
		if k.day >= from && !seen[k.consumer] {
			seen[k.consumer] = true
			out = append(out, k.consumer)
		}
	}
	return out
}

func unixDay(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - 86399) / 86400
	}
	return s / 86400
}
