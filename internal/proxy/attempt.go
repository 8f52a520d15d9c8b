package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
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

// attempt makes one upstream attempt on b and returns what it came to.
// Before the client's status line is sent a failure is the caller's to
// retry or answer; after it, the answer is this attempt's.
func (c *call) attempt(b *backend, req *providers.Request) result {
	up := b.up
	if up.sem != nil {
		select {
		case up.sem <- struct{}{}:
			defer func() { <-up.sem }()
		default:
			return result{err: upstreamUnavailable("provider_busy", "The provider is at its concurrency limit.")}
		}
	}
	b.state.inflight.Add(1)
	defer b.state.inflight.Add(-1)

	ctx, cancel := context.WithCancelCause(c.r.Context())
	defer cancel(nil)
	total := time.AfterFunc(up.request, func() { cancel(errRequestTimeout) })
	defer total.Stop()
	pt := newPhaseTimer(up.first, cancel)
	defer pt.stop()

	a := &try{c: c, b: b, req: req, ctx: ctx, pt: pt, started: time.Now()}
	// The client's headers go in first; the adapter sets its own over them,
	// the vendor credential and any signature last.
	req.Header = up.headers.forward(c.r.Header)
	c.upSpan.Inject(req.Header)
	var upReq *http.Request
	var err error
	ad := c.requestAdapter(b)
	if req.API != "" {
		c.nativeHeader(req.Header)
		upReq, err = ad.(providers.Native).NativeRequest(ctx, req.API, req)
	} else {
		upReq, err = ad.NewRequest(ctx, req)
	}
	if err != nil {
		return result{err: requestError(err, up)}
	}
	a.res.reached = true
	resp, err := up.roundTrip(upReq)
	if err != nil {
		return a.transportError(err)
	}
	defer resp.Body.Close()
	a.res.upstatus = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a.upstreamError(resp)
	}
	switch {
	case req.API != "" && req.Stream:
		return a.relayNative(resp.Body)
	case req.API != "":
		return a.wholeNative(resp.Body)
	case req.Stream:
		return a.relay(resp.Body)
	}
	return a.whole(resp.Body)
}

// roundTrip sends req on the upstream's transport directly. http.Client
// adds nothing the gateway uses (it follows no redirect, keeps no cookies,
// sets no timeout: the attempt's context and timers do) and costs a clone
// of every request's headers, kept for redirects. Its error (*url.Error,
// `Post "URL": ...`) is kept so failures read as before; an endpoint with
// user info in its URL (basic auth the client would set) goes through it.
func (up *upstream) roundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.User != nil {
		return up.client.Do(req)
	}
	resp, err := up.client.Transport.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: urlErrorOp(req.Method), URL: req.URL.String(), Err: err}
	}
	return resp, nil
}

// urlErrorOp is http.Client's: "Post" for POST.
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// try is one attempt in progress: the call, the backend, the upstream
// request's context and timers, and the result being built.
type try struct {
	c       *call
	b       *backend
	req     *providers.Request
	ctx     context.Context
	pt      *phaseTimer
	started time.Time
	res     result
	scrub   *contentScrubber // of a chat stream; nil otherwise
	guard   *streamGuard     // restores a guarded chat stream's placeholders; nil otherwise
}

// failed ends the attempt with e.
func (a *try) failed(e *providers.Error) result {
	a.res.err = e
	return a.res
}

// upstreamError reads a non-2xx answer into the error the client may get.
func (a *try) upstreamError(resp *http.Response) result {
	up := a.b.up
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return a.failed(upstreamFailure("upstream_redirect",
			"The upstream provider answered with a redirect, which the gateway does not follow.", providers.ClassFatal))
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamError))
	var pe *providers.Error
	if a.req.API != "" {
		pe = up.adapter.(providers.Native).NativeError(a.req.API, resp.StatusCode, resp.Header, body)
	} else {
		pe = up.adapter.Error(resp.StatusCode, resp.Header, body)
	}
	if pe == nil {
		pe = upstreamFailure("upstream_error", "The upstream provider answered with an error.", providers.ClassServerError)
	}
	// Vendors echo parts of requests (even keys) in error messages.
	pe.Message = redact(pe.Message, up.redacted)
	return a.failed(pe)
}

// transportError classifies a failure to get (or read) an answer.
func (a *try) transportError(err error) result {
	cause := context.Cause(a.ctx)
	a.res.detail = redact(err.Error(), a.b.up.redacted)
	switch {
	case errors.Is(cause, errFirstToken), errors.Is(cause, errRequestTimeout):
		return a.failed(upstreamTimeout(fmt.Sprintf("The upstream provider did not answer in time (%s).", cause)))
	case a.c.r.Context().Err() != nil:
		a.res.cancelled = true
		return a.failed(clientClosed())
	case isConnectError(err):
		return a.failed(upstreamFailure("upstream_unreachable", "The upstream provider could not be reached.", providers.ClassConnect))
	}
	return a.failed(upstreamFailure("upstream_connection_failed", "The connection to the upstream provider failed.", providers.ClassConnect))
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
