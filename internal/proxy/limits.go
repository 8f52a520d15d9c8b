package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
)

// HeaderDowngradedFrom names the model a client asked for when a TokenPolicy
// (onExceeded: Downgrade) served another one.
const HeaderDowngradedFrom = "X-Tollgate-Downgraded-From"

// admit reserves the call's estimate with the snapshot's limits engine.
// Exactly one of the results is non-nil (see limits.Engine.Admit).
//
// The engine is the one admission seam; no interface stands between it and
// the pipeline, because nothing else implements one. The limits modes of
// issue 23 need none either: a lease mode spends a locally held lease
// inside Engine.Admit (same call, same Ticket), and an overlapped mode
// starts the upstream connection before calling admit and cancels it on a
// denial, which is an ordering change here in the pipeline.
func (c *call) admit(lc limits.Call) (*limits.Ticket, *limits.Denial, error) {
	return c.sn.limits.Admit(c.r.Context(), lc)
}

// denialError answers a limits refusal.
func denialError(d *limits.Denial) *apiError {
	status := d.Status
	if status == 0 {
		status = http.StatusTooManyRequests
	}
	typ := d.Type
	switch {
	case typ != "":
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status >= 500:
		typ = "server_error"
	case status == http.StatusBadRequest:
		typ = "invalid_request_error"
	default:
		typ = "rate_limit_error"
	}
	code := d.Code
	if code == "" && status == http.StatusTooManyRequests {
		code = "rate_limit_exceeded"
	}
	msg := d.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &apiError{Status: status, Type: typ, Code: code, Param: d.Param, Message: msg, RetryAfter: d.RetryAfter, Header: d.Headers}
}

// buildLimits makes the snapshot's limits engine: a reload of the previous
// one (so counters, connections and the store circuit carry over), or a new
// engine registering its metrics with the proxy's.
func (s *Server) buildLimits(cfg *config.Config, prev *snapshot) (*limits.Engine, error) {
	if prev != nil && prev.limits != nil {
		return prev.limits.Reload(cfg)
	}
	// Settlements into Redis are written in the background, batched: one
	// Redis round trip per request (the reservation) instead of two.
	opts := append([]limits.Option{limits.WithRegisterer(s.m.Registry), limits.WithAsyncSettle(0)}, s.limitOpts...)
	return limits.New(cfg, opts...)
}

// acquire returns the current snapshot, counted as in use until release, or
// nil before the first config. A snapshot replaced between the load and the
// count is let go and the new one taken, so a retired snapshot's engine is
// closed only once nothing uses it.
func (s *Server) acquire() *snapshot {
	for {
		sn := s.snap.Load()
		if sn == nil {
			return nil
		}
		sn.refs.Add(1)
		if s.snap.Load() == sn {
			return sn
		}
		sn.release()
	}
}

// release ends one use of the snapshot.
func (sn *snapshot) release() {
	if sn.refs.Add(-1) == 0 && sn.retired.Load() {
		sn.closeLimits()
	}
}

// retire marks a replaced snapshot; its engine closes when the requests
// still using it have settled.
func (sn *snapshot) retire() {
	sn.retired.Store(true)
	if sn.refs.Load() == 0 {
		sn.closeLimits()
	}
}

func (sn *snapshot) closeLimits() {
	sn.closeOnce.Do(func() {
		if sn.limits != nil {
			_ = sn.limits.Close()
		}
		sn.responses.drop()
		sn.cache.drop()
		sn.tracer.Release()
		sn.mcp.close()
	})
}

// Limits returns the config being served and its limits engine (nil, nil
// before the first config). The engine stays usable across reloads while
// the limits store settings are unchanged; callers such as the console ask
// again per request rather than keep it.
func (s *Server) Limits() (*config.Config, *limits.Engine) {
	if sn := s.snap.Load(); sn != nil {
		return sn.cfg, sn.limits
	}
	return nil, nil
}

// Close retires the config being served: its limits engine (and the Redis
// connections behind it) is closed once the requests using it have ended.
// Call it after Drain.
func (s *Server) Close() {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if sn := s.snap.Swap(nil); sn != nil {
		sn.retire()
	}
	s.closeActivityLog()
}

// usageBatch is how many consumers one store read (a Redis pipeline) holds.
const usageBatch = 500

// usageFor reads one page of the configured consumers' usage from the
// engine, usageBatch consumers a store read.
func usageFor(ctx context.Context, sn *snapshot, offset, limit int) (config.UsageReport, error) {
	all := sn.cfg.Consumers
	offset = min(offset, len(all))
	end := min(offset+limit, len(all))
	rep := config.UsageReport{Gateway: gatewayName(sn.cfg), Total: len(all), Consumers: make([]config.ConsumerUsage, 0, end-offset)}
	if end < len(all) {
		rep.Next = end
	}
	if offset == 0 {
		pools, err := sn.limits.PoolSpend(ctx)
		if err != nil {
			return config.UsageReport{}, err
		}
		for _, p := range pools {
			rep.Pools = append(rep.Pools, config.PoolUsage{Policy: p.Policy, Window: p.Period, WindowKind: string(p.Window), CostUSD: p.CostUSD, BudgetUSD: p.BudgetUSD})
		}
	}
	for start := offset; start < end; start += usageBatch {
		names := make([]string, 0, usageBatch)
		for i := start; i < min(start+usageBatch, end); i++ {
			names = append(names, all[i].Name)
		}
		sums, err := sn.limits.UsageBatch(ctx, names)
		if err != nil {
			return config.UsageReport{}, err
		}
		for _, sum := range sums {
			cu := config.ConsumerUsage{Name: sum.Consumer, Window: sum.Period, WindowKind: string(sum.Window), Start: sum.Start, End: sum.End,
				Requests: sum.Requests, InputTokens: sum.InputTokens, OutputTokens: sum.OutputTokens,
				CachedInputTokens: sum.CachedInputTokens, CostUSD: sum.CostUSD, Models: map[string]config.ModelUsage{}, ToolCalls: sum.ToolCalls}
			for m, u := range sum.Models {
				cu.Models[m] = config.ModelUsage{Requests: u.Requests, InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CostUSD: u.CostUSD}
			}
			if rep.Window == "" {
				rep.Window = cu.Window
			}
			rep.Consumers = append(rep.Consumers, cu)
		}
	}
	return rep, nil
}

// usagePage reads ?offset= and ?limit= (default and at most
// config.UsagePageMax).
func usagePage(q url.Values) (offset, limit int, ok bool) {
	offset, limit = 0, config.UsagePageMax
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, false
		}
		limit = min(n, config.UsagePageMax)
	}
	return offset, limit, true
}

func gatewayName(cfg *config.Config) string {
	if cfg.Gateway.Namespace != "" {
		return cfg.Gateway.Namespace + "/" + cfg.Gateway.Name
	}
	return cfg.Gateway.Name
}

// serveUsage answers GET /usage on the metrics listener: every consumer's
// usage in its current window, for the operator's Consumer status. It holds
// names and counts only, never key material.
func (s *Server) serveUsage(w http.ResponseWriter, r *http.Request) {
	sn := s.acquire()
	if sn == nil {
		writeJSON(w, http.StatusServiceUnavailable, errNotReady.wire())
		return
	}
	defer sn.release()
	offset, limit, ok := usagePage(r.URL.Query())
	if !ok {
		writeJSON(w, http.StatusBadRequest, badRequest("offset and limit must be whole numbers (limit at least 1).", "offset").wire())
		return
	}
	rep, err := usageFor(r.Context(), sn, offset, limit)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "usage unavailable", attrErr(err))
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, serverError(http.StatusServiceUnavailable, "usage_unavailable",
			"Usage cannot be read right now: the limit store is unavailable.", 0).wire())
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
