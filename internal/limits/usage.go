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
}

// ModelUsage is one model's share of a Summary.
type ModelUsage struct {
	Requests     int64
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64
}

// Usage reads a consumer's totals from the same counters admission writes
// (Redis when shared, so every replica reports the same numbers). While the
// shared store is unreachable it returns an error rather than one replica's
// partial view.
func (e *Engine) Usage(ctx context.Context, consumer string) (Summary, error) {
	c := e.consumer(consumer)
	w, err := calendarWindow(e.now(), c.usageWindow)
	if err != nil {
		return Summary{}, fmt.Errorf("limits: usage of %q: %w", consumer, err)
	}
	// This replica's queued settlements land first, so a request that was
	// answered is counted at its real usage.
	fctx, cancel := context.WithTimeout(ctx, settleWait)
	_ = e.Flush(fctx)
	cancel()
	var fields map[string]int64
	used, err := e.b.call(ctx, "usage", func(s Store) error {
		var err error
		fields, err = s.Fields(ctx, e.usageKey(c, w))
		return err
	})
	if err == nil && !used {
		err = errors.New("shared limit store unavailable")
	}
	if err != nil {
		return Summary{}, fmt.Errorf("limits: usage of %q: %w", consumer, err)
	}
	s := Summary{Consumer: consumer, Window: c.usageWindow, Period: calendarLabel(w, c.usageWindow),
		Start: w.Start, End: w.End, Models: map[string]ModelUsage{}}
	for f, v := range fields {
		name, model, perModel := strings.Cut(f, ":")
		if perModel {
			mu := s.Models[model]
			switch name {
			case "req":
				mu.Requests = v
			case "in":
				mu.InputTokens = v
			case "out":
				mu.OutputTokens = v
			case "cost":
				mu.CostUSD = float64(v) / 1e6
			}
			s.Models[model] = mu
			continue
		}
		switch name {
		case "req":
			s.Requests = v
		case "in":
			s.InputTokens = v
		case "out":
			s.OutputTokens = v
		case "cost":
			s.CostUSD = float64(v) / 1e6
		case usageCachedField:
			s.CachedInputTokens = v
		}
	}
	s.Models = foldModels(s.Models)
	return s, nil
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
