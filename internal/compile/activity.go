package compile

import (
	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// activity copies the AIGateway's activity settings: the app header and
// the gateway's body capture (the proxy resolves each consumer's with
// config.CaptureOf).
func (c *compiler) activity(cfg *config.Config) {
	a := c.in.Gateway.Spec.Activity
	if a == nil {
		return
	}
	if a.AppHeader != nil {
		cfg.Activity.AppHeader = string(*a.AppHeader)
	}
	cfg.Activity.Capture = bodyCapture(a.BodyCapture)
}

// bodyCapture copies an AIGateway's or a Consumer's body capture (nil
// stays nil: not set, so not captured unless the other opts in).
func bodyCapture(b *v1alpha1.BodyCapture) *config.BodyCapture {
	if b == nil {
		return nil
	}
	return &config.BodyCapture{Enabled: b.Enabled, MaxBytes: int(b.MaxBytes), Retention: dur(b.Retention)}
}
