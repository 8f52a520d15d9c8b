package proxy

import (
	"net/http"
	"unicode/utf8"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/guardrail"
)

// captureSlack is how far past its cap a body is held before it is masked
// and cut: a value straddling the cap is still found whole.
const captureSlack = 1024

// capture holds one call's bodies for the activity log (its consumer's or
// gateway's opt-in): the request as read, the answer as written (a
// stream's raw events), each held up to its cap and a slack.
type capture struct {
	cfg      config.Capture
	req      body
	resp     body
	consumer *consumer
}

// body is one captured body: its first bytes and its whole length.
type body struct {
	b    []byte
	seen int
}

func (b *body) add(max int, p []byte) {
	b.seen += len(p)
	if room := max + captureSlack - len(b.b); room > 0 {
		b.b = append(b.b, p[:min(room, len(p))]...)
	}
}

// captureWriter tees what the client is written into the capture.
type captureWriter struct {
	http.ResponseWriter
	c *capture
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.c.resp.add(w.c.cfg.MaxBytes, p)
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// startCapture begins capturing the call's answer when its consumer's
// calls are captured (never by default; an anonymous call is not
// recorded, so not captured).
func (c *call) startCapture(cons *consumer) {
	if cons == nil {
		return
	}
	cc, ok := c.sn.cfg.CaptureOf(cons.config())
	if !ok {
		return
	}
	c.capture = &capture{cfg: cc, consumer: cons}
	c.w = &captureWriter{ResponseWriter: c.w, c: c.capture}
}

// captureRequest keeps the request body as the client sent it.
func (c *call) captureRequest(b []byte) {
	if c.capture != nil {
		c.capture.req.add(c.capture.cfg.MaxBytes, b)
	}
}

// captured returns the call's bodies for its record: masked by every
// guardrail of its consumer (whatever the model: a call refused before
// routing is masked too), then cut at the cap.
func (c *call) captured() *activity.Bodies {
	cp := c.capture
	if cp == nil {
		return nil
	}
	var sets []*guardrail.Set
	for _, gd := range c.sn.guards {
		if gd.consumers == nil || gd.consumers[c.consumer] {
			sets = append(sets, gd.req, gd.ans)
		}
	}
	var m *guardrail.Masker
	if set := guardrail.Join(sets...); !set.Empty() {
		m = guardrail.NewScrubber(set, c.s.placeholderKey(cp.consumer))
	}
	req := cp.req.b
	if m != nil {
		// The request's texts decoded first (an escaped value is found
		// there), then the whole body as text.
		if masked, err := maskRequest(req, m); err == nil {
			req = masked
		}
	}
	out := &activity.Bodies{ExpiresAt: c.s.now().Add(cp.cfg.Retention).UnixMilli()}
	out.Request, out.RequestTruncated = cut(m.Text(string(req)), cp.req.seen, cp.cfg.MaxBytes)
	out.Response, out.ResponseTruncated = cut(m.Text(string(cp.resp.b)), cp.resp.seen, cp.cfg.MaxBytes)
	return out
}

// cut cuts s at max bytes (on a character boundary); truncated when the
// body was longer (seen bytes) or masking made it so.
func cut(s string, seen, max int) (string, bool) {
	if len(s) <= max && seen <= max {
		return s, false
	}
	n := min(max, len(s))
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n], true
}
