package limits

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Summary is one consumer's usage in its current usage window: the window
// of its first policy with a budget, else the calendar month (UTC). In-flight
// requests count at their estimate until they settle.
type Summary struct {
	Consumer string
	// Window is Day, Week or Month; Period names it ("2026-11").
	Window            config.BudgetWindow
	Period            string
	Start, End        time.Time
	Requests          int64
	InputTokens       int64
	OutputTokens      int64
	CachedInputTokens int64
	CostUSD           float64
	// Models breaks the totals down by public model name.
	Models map[string]ModelUsage
	// ToolCalls counts MCP tool calls (AdmitToolCall).
	ToolCalls int64
}

// ModelUsage is one model's share of a Summary.
type ModelUsage struct {
	Requests     int64
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64
}

// set records a usage hash's field (usageField: requests, tokens in and
// out, cost in micro-USD); other fields are not a ModelUsage's.
func (mu *ModelUsage) set(field string, v int64) {
	switch field {
	case usageField[kindRequests]:
		mu.Requests = v
	case usageField[kindInput]:
		mu.InputTokens = v
	case usageField[kindOutput]:
		mu.OutputTokens = v
	case usageField[kindCost]:
		mu.CostUSD = float64(v) / 1e6
	}
}

// Usage reads a consumer's totals from the same counters admission writes
// (Redis when shared, so every replica reports the same numbers). While the
// shared store is unreachable it returns an error rather than one replica's
// partial view.
func (e *Engine) Usage(ctx context.Context, consumer string) (Summary, error) {
	out, err := e.UsageBatch(ctx, []string{consumer})
	if err != nil {
		return Summary{}, err
	}
	return out[0], nil
}

// UsageBatch is Usage for several consumers with one read of the store
// (a Redis pipeline), in order.
func (e *Engine) UsageBatch(ctx context.Context, consumers []string) ([]Summary, error) {
	now := e.now()
	rts := make([]*consumerRT, len(consumers))
	wins := make([]span, len(consumers))
	keys := make([]string, len(consumers))
	for i, name := range consumers {
		rts[i] = e.consumer(name)
		w, err := calendarWindow(now, rts[i].usageWindow)
		if err != nil {
			return nil, fmt.Errorf("limits: usage of %q: %w", name, err)
		}
		wins[i], keys[i] = w, e.usageKey(rts[i], w)
	}
	var fields []map[string]int64
	err := e.readStore(ctx, func(s Store) error {
		var err error
		fields, err = s.FieldsBatch(ctx, keys)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("limits: usage of %d consumers: %w", len(consumers), err)
	}
	out := make([]Summary, len(consumers))
	for i, name := range consumers {
		out[i] = summarize(name, rts[i].usageWindow, wins[i], fields[i])
	}
	return out, nil
}

// readStore runs one read of the counters for usage, after this
// replica's queued settlements land (so a request that was answered is
// counted at its real usage). While the shared store is unreachable it is
// an error, never one replica's partial view.
func (e *Engine) readStore(ctx context.Context, fn func(Store) error) error {
	fctx, cancel := context.WithTimeout(ctx, settleWait)
	_ = e.Flush(fctx)
	cancel()
	used, err := e.b.call(ctx, "usage", fn)
	if err == nil && !used {
		err = errors.New("shared limit store unavailable")
	}
	return err
}

// summarize turns a usage hash's fields into a Summary.
func summarize(consumer string, kind config.BudgetWindow, w span, fields map[string]int64) Summary {
	s := Summary{Consumer: consumer, Window: kind, Period: calendarLabel(w, kind),
		Start: w.Start, End: w.End, Models: map[string]ModelUsage{}}
	var total ModelUsage
	for f, v := range fields {
		name, model, perModel := strings.Cut(f, ":")
		if perModel {
			mu := s.Models[model]
			mu.set(name, v)
			s.Models[model] = mu
			continue
		}
		switch name {
		case usageCachedField:
			s.CachedInputTokens = v
		case UsageToolCallsField:
			s.ToolCalls = v
		default:
			total.set(name, v)
		}
	}
	s.Requests, s.InputTokens, s.OutputTokens, s.CostUSD = total.Requests, total.InputTokens, total.OutputTokens, total.CostUSD
	s.Models = foldModels(s.Models)
	return s
}

// MaxUsageModels bounds a Summary's per-model breakdown: the busiest
// models by requests keep their entry, the rest are added up under
// OtherModels. (Usage written before names were folded by usageModel may
// hold any number of names.)
const MaxUsageModels = 64

func foldModels(m map[string]ModelUsage) map[string]ModelUsage {
	if len(m) <= MaxUsageModels {
		return m
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if a, b := m[names[i]].Requests, m[names[j]].Requests; a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	out := make(map[string]ModelUsage, MaxUsageModels)
	var other ModelUsage
	for i, n := range names {
		if i < MaxUsageModels-1 && n != OtherModels {
			out[n] = m[n]
			continue
		}
		u := m[n]
		other.Requests += u.Requests
		other.InputTokens += u.InputTokens
		other.OutputTokens += u.OutputTokens
		other.CostUSD += u.CostUSD
	}
	out[OtherModels] = other
	return out
}
