package limits

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// settleTimeout bounds a settlement on a detached context (the store adds
// its own, shorter timeout).
const settleTimeout = time.Second

// Ticket is an admitted request's reservation. Settle it exactly once when
// the real usage is known, whatever happened to the request.
type Ticket struct {
	// DowngradeTo is set when a policy with onExceeded Downgrade refused
	// the model asked for and this model was admitted instead: the proxy
	// routes to it and sets x-tollgate-downgraded-from.
	DowngradeTo string

	e        *Engine
	store    Store // where the reservation lives; nil when uncounted
	degraded bool
	model    string
	counters []Counter
	metas    []meta
	est      estimate

	mu      sync.Mutex
	values  []int64
	settled bool
}

// Model is the model the reservation was charged to: the one asked for,
// or DowngradeTo.
func (t *Ticket) Model() string { return t.model }

// Degraded is true when the request was counted per replica because the
// shared store was unreachable (the proxy sets x-tollgate-ratelimit:
// degraded; Headers already includes it).
func (t *Ticket) Degraded() bool { return t.degraded }

// Headers returns the x-ratelimit-* headers of the tightest request and
// token limits, reflecting the settlement once Settle has run.
func (t *Ticket) Headers() http.Header {
	t.mu.Lock()
	defer t.mu.Unlock()
	h := headers(t.metas, t.values, t.e.now())
	if t.degraded {
		h.Set(HeaderDegraded, "degraded")
	}
	return h
}

// Settle charges the real usage: for each counter it adds actual minus
// estimate (negative when the request used less), without checking limits.
// It runs on a context detached from ctx's cancellation, so a client that
// went away is still charged. Only the first call has an effect. With
// WithAsyncSettle a settlement into the shared store is queued and written
// in the background (Headers reflects it once written; Flush waits for it);
// when the queue is full it is written here.
// usage.InputTokens includes cached input tokens (OpenAI's convention);
// costUSD is the request's real cost.
func (t *Ticket) Settle(ctx context.Context, usage providers.Usage, costUSD float64) error {
	t.mu.Lock()
	if t.settled {
		t.mu.Unlock()
		return nil
	}
	t.settled = true
	t.mu.Unlock()
	if t.store == nil {
		return nil
	}

	// Clamped like the estimate, so no reported figure can wrap a counter.
	in, out := clampTokens(usage.InputTokens), clampTokens(usage.OutputTokens)
	cost := int64(0)
	if costUSD > 0 && !math.IsInf(costUSD, 0) {
		cost = int64(math.Round(min(costUSD, 1e9) * 1e6))
	}
	delta := [...]int64{
		kindRequests: 0,
		kindTokens:   in + out - (t.est.in + t.est.out),
		kindInput:    in - t.est.in,
		kindOutput:   out - t.est.out,
		kindCost:     cost - t.est.costMicro,
	}
	cs := make([]Counter, 0, len(t.counters)+1)
	idx := make([]int, 0, len(t.counters)+1)
	var usageKey string
	var usageTTL time.Duration
	for i, c := range t.counters {
		if t.metas[i].usage {
			usageKey, usageTTL = c.Key, c.TTL
		}
		if d := delta[t.metas[i].kind]; d != 0 {
			c.Amount = d
			cs = append(cs, c)
			idx = append(idx, i)
		}
	}
	if cached := clampTokens(usage.CachedInputTokens); cached > 0 && usageKey != "" {
		cs = append(cs, Counter{Key: usageKey, Field: usageCachedField, Amount: cached, TTL: usageTTL})
		idx = append(idx, -1)
	}
	if len(cs) == 0 {
		return nil
	}

	if t.store == t.e.b.primary && t.e.b.settler != nil {
		// One job per hash tag (a pooled policy's counters have their
		// own): the settler batches a job's counters into one script.
		cs, idx = t.enqueueByTag(cs, idx)
		if len(cs) == 0 {
			return nil // written in the background, batched with others
		}
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	var vals []int64
	var err error
	if t.store == t.e.b.primary {
		_, err = t.e.b.call(sctx, "settle", func(s Store) error {
			vals, err = addByTag(sctx, s, cs)
			return err
		})
		if vals == nil && err == nil {
			// The circuit is open: the shared store is known to be down.
			err = fmt.Errorf("limits: settle skipped: shared limit store unavailable")
			t.e.m.storeErrors.WithLabelValues("settle").Inc()
		}
	} else {
		vals, err = addByTag(sctx, t.store, cs)
	}
	if err != nil {
		return fmt.Errorf("limits: settle for model %q: %w", t.model, err)
	}
	t.apply(idx, vals)
	return nil
}

// enqueueByTag queues the settlement one job per hash tag and returns
// the counters (and their idx) the queue did not take.
func (t *Ticket) enqueueByTag(cs []Counter, idx []int) ([]Counter, []int) {
	groups := byTag(cs)
	if groups == nil {
		if t.e.b.settler.enqueue(settleJob{cs: cs, t: t, idx: idx}) {
			return nil, nil
		}
		return cs, idx
	}
	var left []Counter
	var leftIdx []int
	for _, g := range groups {
		gidx := make([]int, len(g.pos))
		for j, i := range g.pos {
			gidx[j] = idx[i]
		}
		if !t.e.b.settler.enqueue(settleJob{cs: g.cs, t: t, idx: gidx}) {
			left, leftIdx = append(left, g.cs...), append(leftIdx, gidx...)
		}
	}
	return left, leftIdx
}

// apply records the counters' values after a settlement, so Headers
// reflects it.
func (t *Ticket) apply(idx []int, vals []int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for j, i := range idx {
		if i >= 0 && i < len(t.values) && j < len(vals) {
			t.values[i] = vals[j]
		}
	}
}
