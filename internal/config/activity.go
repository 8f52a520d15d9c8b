package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Bounds and defaults of the activity log's opt-in body capture (the
// defaults table's entries for it).
const (
	// DefaultCaptureBytes is BodyCapture.MaxBytes when unset: each of a
	// call's two bodies (request, answer) is kept up to this many bytes.
	DefaultCaptureBytes = 16 << 10
	// MaxCaptureBytes bounds BodyCapture.MaxBytes.
	MaxCaptureBytes = 64 << 10
	// DefaultCaptureRetention is BodyCapture.Retention when unset.
	DefaultCaptureRetention = 24 * time.Hour
	// MaxCaptureRetention bounds BodyCapture.Retention (the activity
	// record's own retention: a body never outlives its record).
	MaxCaptureRetention = 7 * 24 * time.Hour
	// MinCaptureRetention is the shortest BodyCapture.Retention.
	MinCaptureRetention = time.Minute
)

// Activity configures the activity log beyond its defaults.
type Activity struct {
	// AppHeader names a request header the app is read from; it wins over
	// X-Title and HTTP-Referer, which still name the app when it is absent.
	AppHeader string `json:"appHeader,omitempty"`
	// Capture is the gateway's body capture (nil: none, unless a consumer
	// opts in).
	Capture *BodyCapture `json:"capture,omitempty"`
}

// BodyCapture keeps calls' request and answer bodies with their activity
// records, each cut at MaxBytes, for Retention. On the gateway it applies
// to every consumer; a consumer's own, when set, decides for its calls
// (Enabled false opts it out), and the gateway's MaxBytes and Retention,
// when set, bound the consumer's.
type BodyCapture struct {
	Enabled bool `json:"enabled"`
	// MaxBytes is each body's cap; 0 means the gateway's, else
	// DefaultCaptureBytes.
	MaxBytes int `json:"maxBytes,omitempty"`
	// Retention is how long captured bodies are kept; 0 means the
	// gateway's, else DefaultCaptureRetention.
	Retention Duration `json:"retention,omitzero"`
}

// Capture is the resolved body capture of one consumer's calls.
type Capture struct {
	MaxBytes  int
	Retention time.Duration
}

// CaptureOf resolves the body capture of cons's calls; ok is false when
// they are not captured (the default).
func (c *Config) CaptureOf(cons *Consumer) (Capture, bool) {
	gw := c.Activity.Capture
	own := (*BodyCapture)(nil)
	if cons != nil {
		own = cons.Capture
	}
	on := gw != nil && gw.Enabled
	if own != nil {
		on = own.Enabled
	}
	if !on {
		return Capture{}, false
	}
	out := Capture{MaxBytes: DefaultCaptureBytes, Retention: DefaultCaptureRetention}
	if gw != nil && gw.MaxBytes > 0 {
		out.MaxBytes = gw.MaxBytes
	}
	if gw != nil && gw.Retention.Duration > 0 {
		out.Retention = gw.Retention.Duration
	}
	if own != nil && own.MaxBytes > 0 && (gw == nil || gw.MaxBytes == 0 || own.MaxBytes < gw.MaxBytes) {
		out.MaxBytes = own.MaxBytes
	}
	if d := own.retention(); d > 0 && (gw == nil || gw.Retention.Duration == 0 || d < gw.Retention.Duration) {
		out.Retention = d
	}
	return out, true
}

func (b *BodyCapture) retention() time.Duration {
	if b == nil {
		return 0
	}
	return b.Retention.Duration
}

// maxAppHeader bounds Activity.AppHeader.
const maxAppHeader = 256

func (c *Config) validateActivity(v *validator) {
	if h := c.Activity.AppHeader; h != "" {
		// A credential header's value would be stored and shown as the
		// app (the CRD refuses the same list).
		if len(h) > maxAppHeader || !isToken(h) {
			v.bad("activity.appHeader", "%q is not a header name", h)
		} else if slices.Contains(credentialHeaders, strings.ToLower(h)) {
			v.bad("activity.appHeader", "a credential header cannot name the app")
		}
	}
	c.Activity.Capture.validate(v, "activity.capture")
	for i := range c.Consumers {
		c.Consumers[i].Capture.validate(v, fmt.Sprintf("consumers[%d].capture", i))
	}
}

func (b *BodyCapture) validate(v *validator, field string) {
	if b == nil {
		return
	}
	v.between(field+".maxBytes", int64(b.MaxBytes), 1, MaxCaptureBytes)
	if d := b.Retention.Duration; d != 0 && (d < MinCaptureRetention || d > MaxCaptureRetention) {
		v.bad(field+".retention", "%s is out of range: want 0 (the default) or %s to %s", d, MinCaptureRetention, MaxCaptureRetention)
	}
}
