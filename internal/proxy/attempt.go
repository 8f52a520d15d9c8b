package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// maxUpstreamBody bounds a non-streamed upstream answer held in memory.
const (
	maxUpstreamBody  = 64 << 20
	maxUpstreamError = 1 << 20
)

// phaseTimer cancels an attempt when the current phase runs out: waiting
// for the first token, then waiting between chunks (reset per chunk).
type phaseTimer struct {
	t      *time.Timer
	phase  atomic.Int32 // 0 first token, 1 idle
	cancel context.CancelCauseFunc
}

func newPhaseTimer(d time.Duration, cancel context.CancelCauseFunc) *phaseTimer {
	pt := &phaseTimer{cancel: cancel}
	pt.t = time.AfterFunc(d, pt.fire)
	return pt
}

func (pt *phaseTimer) fire() {
	if pt.phase.Load() == 0 {
		pt.cancel(errFirstToken)
	} else {
		pt.cancel(errIdle)
	}
}

// idle switches to the idle phase and restarts the clock.
func (pt *phaseTimer) idle(d time.Duration) {
	pt.phase.Store(1)
	pt.t.Reset(d)
}

func (pt *phaseTimer) stop() { pt.t.Stop() }

// attempt makes one upstream attempt. It returns nil when an answer was
// sent; an error otherwise. out.status != 0 means bytes reached the client
// (no retry possible).
func (s *Server) attempt(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, sn *snapshot,
	b *backend, req *providers.Request, out *outcome) *providers.Error {
	up := b.up
	if up.sem != nil {
		select {
		case up.sem <- struct{}{}:
			defer func() { <-up.sem }()
		default:
			return &providers.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "provider_busy",
				Message: "The provider is at its concurrency limit.", Class: providers.ClassServerError}
		}
	}
	b.state.inflight.Add(1)
	defer b.state.inflight.Add(-1)

	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	total := time.AfterFunc(up.request, func() { cancel(errRequestTimeout) })
	defer total.Stop()
	pt := newPhaseTimer(up.first, cancel)
	defer pt.stop()

	started := time.Now()
	// The client's headers go in first; the adapter sets its own over them,
	// the vendor credential and any signature last.
	req.Header = up.headers.forward(r.Header)
	upReq, err := up.adapter.NewRequest(ctx, req)
	if err != nil {
		return requestError(err, up)
	}
	resp, err := up.client.Do(upReq)
	if err != nil {
		return s.transportError(ctx, r, b, err, out)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_redirect",
				Message: "The upstream provider answered with a redirect, which the gateway does not follow.", Class: providers.ClassFatal}
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamError))
		pe := up.adapter.Error(resp.StatusCode, resp.Header, body)
		if pe == nil {
			pe = &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_error",
				Message: "The upstream provider answered with an error.", Class: providers.ClassServerError}
		}
		// Vendors echo parts of requests (even keys) in error messages.
		pe.Message = redact(pe.Message, up.redacted)
		return pe
	}
	if req.Stream {
		return s.relay(ctx, w, r, rc, sn, b, req, resp.Body, pt, started, out)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamBody))
	if err != nil {
		return s.transportError(ctx, r, b, err, out)
	}
	pt.stop()
	answer, usage, err := up.adapter.Response(req, body)
	if err != nil {
		out.errDetail = redact(err.Error(), up.redacted)
		return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_bad_response",
			Message: "The upstream provider's answer could not be read.", Class: providers.ClassServerError}
	}
	if out.anthropic && req.Op == providers.OpChat {
		if answer, err = messagesAnswer(answer, out.model); err != nil {
			out.errDetail = err.Error()
			return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_bad_response",
				Message: "The upstream provider's answer could not be translated.", Class: providers.ClassServerError}
		}
	}
	out.ttft = time.Since(out.start)
	b.state.observe(time.Since(started))
	out.usage = usage
	out.answer = int64(len(body))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(answer)))
	out.status = http.StatusOK
	_ = rc.SetWriteDeadline(time.Now().Add(sn.writeTimeout))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(answer); err != nil {
		out.cancelled = true
	}
	return nil
}

// transportError classifies a failure to get (or read) an answer.
func (s *Server) transportError(ctx context.Context, r *http.Request, b *backend, err error, out *outcome) *providers.Error {
	cause := context.Cause(ctx)
	out.errDetail = redact(err.Error(), b.up.redacted)
	switch {
	case errors.Is(cause, errFirstToken), errors.Is(cause, errRequestTimeout):
		return &providers.Error{Status: http.StatusGatewayTimeout, Type: "timeout_error", Code: "upstream_timeout",
			Message: fmt.Sprintf("The upstream provider did not answer in time (%s).", cause), Class: providers.ClassTimeout}
	case r.Context().Err() != nil:
		out.cancelled = true
		return &providers.Error{Status: 499, Type: "client_closed", Message: "client closed the request", Class: providers.ClassFatal}
	case isConnectError(err):
		return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_unreachable",
			Message: "The upstream provider could not be reached.", Class: providers.ClassConnect}
	}
	return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_connection_failed",
		Message: "The connection to the upstream provider failed.", Class: providers.ClassConnect}
}

// requestError answers an adapter's refusal to build a request: its own
// status and message when it said why (a providers.Error), else a 400.
func requestError(err error, up *upstream) *providers.Error {
	var pe *providers.Error
	if errors.As(err, &pe) {
		e := *pe
		if e.Status < 400 || e.Status > 599 {
			e.Status = http.StatusBadRequest
		}
		if e.Type == "" {
			e.Type = "invalid_request_error"
		}
		e.Message = redact(e.Message, up.redacted)
		return &e
	}
	return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request",
		Message: "The request could not be translated for the upstream provider.", Class: providers.ClassFatal}
}

func listedIn(values []string, key string) bool {
	for _, v := range values {
		for _, tok := range splitComma(v) {
			if http.CanonicalHeaderKey(tok) == key {
				return true
			}
		}
	}
	return false
}
