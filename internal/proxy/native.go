package proxy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// nativeAPI is a client API some upstreams speak natively (see
// providers.Native): to them the client's body goes as it was written,
// only its model replaced by the upstream's, and their answer, stream or
// refusal comes back as they sent it, only its model named the public
// one. Auth, limits, routing, retries and fallback are the pipeline's as
// for any request; a backend that does not speak the API is served
// through the canonical form.
type nativeAPI interface {
	native() providers.API
	// nativeHeaders are client headers sent to a native upstream on top
	// of the provider's forwarded ones: they say how to read the body.
	nativeHeaders() []string
	// nativeAnswer is the client's answer for an upstream's whole one
	// from backend (a label).
	nativeAnswer(body []byte, model, backend string) []byte
	// nativeEvent is the bytes of one upstream event for the client.
	nativeEvent(ev providers.Event, model, backend string) []byte
}

// prepare sets req for an attempt on b: the client's own body when b
// speaks the client's API natively, else the canonical one; an error when
// b can serve neither (the request only a native backend can read).
func (c *call) prepare(req *providers.Request, p *parsed, b *backend, upstreamModel string) *providers.Error {
	req.Model = upstreamModel
	req.API, req.Body = "", p.body
	if na, ok := c.api.(nativeAPI); ok && p.native != nil && providers.Speaks(b.up.adapter, na.native()) {
		body := p.native
		if p.nativeFields.Model != upstreamModel {
			var err error
			if body, err = openai.Rewrite(p.native, &p.nativeFields, upstreamModel, false); err != nil {
				return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request",
					Message: "The request body's model could not be replaced.", Class: providers.ClassFatal}
			}
		}
		req.API, req.Body = na.native(), body
		return nil
	}
	if p.body == nil {
		e := p.canonErr
		return &providers.Error{Status: e.Status, Type: e.Type, Code: e.Code, Message: e.Message, Class: providers.ClassFatal}
	}
	return nil
}

// errChainElsewhere answers a continuation whose chain lives on a backend
// the route no longer has (or cannot use now).
var errChainElsewhere = &providers.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "response_chain_unavailable",
	Message: "The backend that holds this response chain (previous_response_id) is not available now; retry later or start a new chain.",
	Class:   providers.ClassFatal}

// pinned returns rt with only the backend labelled pin (the one that holds
// a native response chain), or nil when it has none.
func (rt *route) pinned(pin string) *route {
	for _, tier := range rt.tiers {
		for _, b := range tier {
			if b.label == pin {
				only := *rt
				only.tiers = [][]*backend{{b}}
				return &only
			}
		}
	}
	return nil
}

// nativeHeader adds the client headers a native request carries.
func (c *call) nativeHeader(h http.Header) {
	na, ok := c.api.(nativeAPI)
	if !ok {
		return
	}
	for _, k := range na.nativeHeaders() {
		if v := c.r.Header.Values(k); len(v) > 0 {
			h[k] = v[:1]
		}
	}
}

// wholeNative answers a non-streamed native request with the upstream's
// answer, held whole (within the gateway's bounds) to read its usage.
func (a *try) wholeNative(body io.Reader) result {
	c, up := a.c, a.b.up
	raw, release, failed := a.hold(body)
	defer release()
	if failed != nil {
		return *failed
	}
	if isErrorObject(raw) {
		return a.failed(a.errorIn200(raw))
	}
	usage, err := up.adapter.(providers.Native).NativeUsage(a.req.API, raw)
	if err != nil {
		a.res.detail = redact(err.Error(), up.redacted)
		return a.failed(upstreamFailure("upstream_bad_response", "The upstream provider's answer could not be read.", providers.ClassServerError))
	}
	answer := redactBytes(c.api.(nativeAPI).nativeAnswer(raw, c.served, a.b.label), up.redacted)
	return a.sendWhole(answer, int64(len(raw)), usage)
}

// hold reads a whole answer within the gateway's bounds; failed is the
// attempt's result when it could not be.
func (a *try) hold(body io.Reader) (raw []byte, release func(), failed *result) {
	release = func() {}
	head, err := readUpTo(body, answerHead)
	if errors.Is(err, io.EOF) {
		a.pt.stop()
		return head, release, nil
	}
	if err != nil {
		r := a.transportError(err)
		return nil, release, &r
	}
	raw, release, err = a.c.s.readHeld(head, body)
	if err != nil {
		var pe *providers.Error
		var r result
		if errors.As(err, &pe) {
			r = a.failed(pe)
		} else {
			r = a.transportError(err)
		}
		return nil, release, &r
	}
	a.pt.stop()
	return raw, release, nil
}

// relayNative relays a native upstream stream event by event, committed
// on the first event as relay is; a failure after it ends the stream with
// the client API's error event.
func (a *try) relayNative(body io.Reader) result {
	c, b := a.c, a.b
	na := c.api.(nativeAPI)
	st := b.up.adapter.(providers.Native).NativeStream(a.req.API, body)
	first, err := st.Next()
	if err != nil {
		return a.failed(a.streamError(err))
	}
	h := a.commitStream()
	defer a.trailCost(h)
	sw := &streamWriter{c: c, codec: c.api.stream(c.served), secrets: b.up.redacted}
	for ev := first; ; {
		if ev.Usage != nil {
			a.res.usage = *ev.Usage
		}
		if outer, ok := costEvent(na.native(), ev.Name); ok {
			// The final usage-bearing event carries the cost, as charged.
			ev.Data = withUsageMeta(ev.Data, outer, usageMeta{cost: []byte(formatCost(c.answerCost(b, a.res.usage, 0, a.res.chunks))), byok: c.byok})
		}
		if !sw.raw(na.nativeEvent(ev, c.served, b.label)) {
			a.res.cancelled = true
			return a.res
		}
		a.res.chunks++
		if ev, err = st.Next(); err == io.EOF {
			return a.res
		}
		if err != nil {
			return a.cut(sw, a.streamError(err))
		}
		a.pt.idle(b.up.idle)
	}
}

// sseEvent encodes one server-sent event: its name when it has one, each
// line of its data as a data: line.
func sseEvent(name string, data []byte) []byte {
	out := make([]byte, 0, len(name)+len(data)+24)
	if name != "" {
		out = append(append(append(out, "event: "...), name...), '\n')
	}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		out = append(append(append(out, sseData...), line...), '\n')
	}
	return append(out, '\n')
}

// renameModel returns a JSON object with its top-level "model" named
// model (the object itself when it already is, or has none).
func renameModel(obj []byte, model string) []byte {
	f, err := openai.Scan(obj)
	if err != nil || f.ModelStart < 0 || f.Model == model {
		return obj
	}
	out, err := openai.Rewrite(obj, &f, model, false)
	if err != nil {
		return obj
	}
	return out
}

// renameNested returns a JSON object whose member key (an object) has its
// model named model: {"type":"message_start","message":{"model":...}}.
func renameNested(obj []byte, key, model string) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(obj, &top) != nil || len(top[key]) == 0 {
		return obj
	}
	inner := renameModel(top[key], model)
	if bytes.Equal(inner, top[key]) {
		return obj
	}
	top[key] = inner
	out, err := json.Marshal(top)
	if err != nil {
		return obj
	}
	return out
}
