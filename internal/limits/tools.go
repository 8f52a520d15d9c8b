package limits

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// UsageToolCallsField is the usage hash field counting a consumer's MCP
// tool calls in its usage window.
const UsageToolCallsField = "tools"

// AdmitToolCall counts one MCP tool call of consumer against every
// toolCalls limit of its policies (all or nothing, in the shared store
// when there is one, so replicas enforce one limit) and in its usage. It
// returns a Denial when a limit is reached, or the store is down and the
// failure mode is Closed.
func (e *Engine) AdmitToolCall(ctx context.Context, consumer string) (*Denial, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("limits: admit tool call: %w", err)
	}
	c := e.consumer(consumer)
	now := e.now()
	var cs []Counter
	var ms []meta
	for _, p := range c.policies {
		for i := range p.limits {
			l := &p.limits[i]
			if l.cfg.ToolCalls <= 0 {
				continue
			}
			w := fixedWindow(now, l.cfg.Window.Duration)
			cs = append(cs, Counter{Key: c.base + l.key + strconv.FormatInt(w.Start.Unix(), 10) + ":c",
				Amount: 1, Limit: l.cfg.ToolCalls, TTL: w.End.Sub(now) + counterGrace})
			ms = append(ms, meta{kind: kindToolCalls, policy: p, window: l.window, limit: l.cfg.ToolCalls, reset: w.End})
		}
	}
	uw, _ := calendarWindow(now, c.usageWindow)
	cs = append(cs, Counter{Key: e.usageKey(c, uw), Field: UsageToolCallsField, Amount: 1, TTL: uw.End.Sub(now) + counterGrace})
	ms = append(ms, meta{kind: kindToolCalls, usage: true})

	var res Reservation
	used, err := e.b.call(ctx, "reserve", func(s Store) error {
		var err error
		res, err = s.Reserve(ctx, cs)
		return err
	})
	switch {
	case used && err == nil:
	case ctx.Err() != nil:
		return nil, fmt.Errorf("limits: admit tool call: %w", ctx.Err())
	case e.mode == config.FailClosed:
		return unavailableDenial(), nil
	case e.b.fallback == nil:
		// The Local store is full: uncounted, as for model calls.
		e.m.storeErrors.WithLabelValues("local_full").Inc()
		return nil, nil
	default:
		// Fail open: counted locally where the fallback has room.
		if res, err = e.b.fallback.Reserve(ctx, cs); err != nil {
			e.m.storeErrors.WithLabelValues("local_full").Inc()
			return nil, nil //nolint:nilerr // failure mode Open: the call goes on uncounted
		}
	}
	if res.OK {
		e.m.decisions.WithLabelValues("tool_admitted").Inc()
		return nil, nil
	}
	m := ms[res.Failed]
	d := e.denial(m, 1, res.Values[res.Failed], now, false, http.Header{})
	d.Type = "tool_calls"
	e.m.decisions.WithLabelValues("tool_limited").Inc()
	return d, nil
}
