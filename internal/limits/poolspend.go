package limits

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// PoolSpend is a pooled policy's budget spend in its current budget
// window: what every consumer under it spent together, read from the
// pool's own counter (in-flight requests count at their estimate).
type PoolSpend struct {
	Policy    string
	Window    config.BudgetWindow
	Period    string // "2026-11", "2026-W47", "2026-11-25"
	CostUSD   float64
	BudgetUSD float64
}

// PoolSpend reads the spend of every pooled policy with a budget that a
// served consumer names, in policy name order, with one store read.
func (e *Engine) PoolSpend(ctx context.Context) ([]PoolSpend, error) {
	var pools []*policyRT
	for _, c := range e.consumers {
		for _, p := range c.policies {
			if p.pool != "" && p.budget != nil && !slices.Contains(pools, p) {
				pools = append(pools, p)
			}
		}
	}
	if len(pools) == 0 {
		return nil, nil
	}
	slices.SortFunc(pools, func(a, b *policyRT) int { return strings.Compare(a.name, b.name) })
	now := e.now()
	out := make([]PoolSpend, len(pools))
	keys := make([]string, len(pools))
	for i, p := range pools {
		w, err := calendarWindow(now, p.budget.Window)
		if err != nil {
			return nil, fmt.Errorf("limits: spend of pool %q: %w", p.name, err)
		}
		keys[i] = p.pool + p.budgetKey + strconv.FormatInt(w.Start.Unix(), 10)
		out[i] = PoolSpend{Policy: p.name, Window: p.budget.Window, Period: calendarLabel(w, p.budget.Window), BudgetUSD: p.budget.AmountUSD}
	}
	var vals []int64
	err := e.readStore(ctx, func(s Store) error {
		var err error
		vals, err = s.Counters(ctx, keys)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("limits: spend of %d pools: %w", len(pools), err)
	}
	for i, v := range vals {
		out[i].CostUSD = float64(max(v, 0)) / 1e6
	}
	return out, nil
}
