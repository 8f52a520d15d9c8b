package proxy

import (
	"log/slog"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// maxPlausibleTokens bounds any one count of an upstream's usage report
// for a model whose context window is unknown: five times the largest
// context window offered today.
const maxPlausibleTokens = 10_000_000

// plausibleUsage clamps an upstream's usage report, which the gateway does
// not trust: every count to [0, bound], where bound is the model's context
// window (maxPlausibleTokens when unknown); cached and cache-write tokens
// to the input, reasoning tokens to the output. ok is false when anything
// was clamped.
func plausibleUsage(u providers.Usage, bound int64) (providers.Usage, bool) {
	if bound <= 0 || bound > maxPlausibleTokens {
		bound = maxPlausibleTokens
	}
	ok := true
	clamp := func(v *int64, hi int64) {
		switch {
		case *v < 0:
			*v, ok = 0, false
		case *v > hi:
			*v, ok = hi, false
		}
	}
	clamp(&u.InputTokens, bound)
	clamp(&u.OutputTokens, bound)
	clamp(&u.CachedInputTokens, u.InputTokens)
	clamp(&u.CacheWriteTokens, u.InputTokens)
	clamp(&u.ReasoningTokens, u.OutputTokens)
	return u, ok
}

// checkUsage applies plausibleUsage to what b's upstream reported for the
// call, logging and counting a clamped report.
func (c *call) checkUsage(b *backend, u providers.Usage) providers.Usage {
	bound := int64(0)
	if e, ok := c.sn.byName[c.model]; ok {
		bound = e.ContextWindow
	}
	clean, ok := plausibleUsage(u, bound)
	if !ok {
		c.s.m.UsageImplausible.WithLabelValues(b.up.name).Inc()
		c.s.log.LogAttrs(c.r.Context(), slog.LevelWarn, "implausible upstream usage clamped",
			slog.String("provider", b.up.name), slog.String("model", c.model),
			slog.Int64("input_tokens", u.InputTokens), slog.Int64("output_tokens", u.OutputTokens),
			slog.Int64("cached_input_tokens", u.CachedInputTokens), slog.Int64("reasoning_tokens", u.ReasoningTokens))
	}
	return clean
}
