package config

import (
	"strings"
	"testing"
	"time"
)

// TestCaptureOf: off unless the gateway or the consumer opts in; the
// consumer's setting decides for it; the gateway's bounds, when set,
// bound the consumer's; the defaults fill the rest.
func TestCaptureOf(t *testing.T) {
	on := func(n int, d time.Duration) *BodyCapture {
		return &BodyCapture{Enabled: true, MaxBytes: n, Retention: D(d)}
	}
	for _, tc := range []struct {
		name    string
		gw, own *BodyCapture
		want    Capture
		ok      bool
	}{
		{"nothing set", nil, nil, Capture{}, false},
		{"gateway off", &BodyCapture{}, nil, Capture{}, false},
		{"gateway on", on(0, 0), nil, Capture{DefaultCaptureBytes, DefaultCaptureRetention}, true},
		{"consumer opts out", on(0, 0), &BodyCapture{}, Capture{}, false},
		{"consumer opts in", nil, on(0, 0), Capture{DefaultCaptureBytes, DefaultCaptureRetention}, true},
		{"consumer's own bounds", nil, on(MaxCaptureBytes, MaxCaptureRetention), Capture{MaxCaptureBytes, MaxCaptureRetention}, true},
		{"gateway bounds it", on(100, time.Hour), on(4096, 48*time.Hour), Capture{100, time.Hour}, true},
		{"consumer narrows", on(4096, 48*time.Hour), on(100, time.Hour), Capture{100, time.Hour}, true},
		{"consumer opts in on a gateway off, its bounds kept", &BodyCapture{MaxBytes: 512}, on(0, 0), Capture{512, DefaultCaptureRetention}, true},
	} {
		c := &Config{Activity: Activity{Capture: tc.gw}}
		got, ok := c.CaptureOf(&Consumer{Name: "a", Capture: tc.own})
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// TestActivityValidate: the contract refuses what the CRD refuses.
func TestActivityValidate(t *testing.T) {
	for _, tc := range []struct {
		a    Activity
		cons *BodyCapture
		want string
	}{
		{Activity{AppHeader: "X-Acme-App"}, nil, ""},
		{Activity{AppHeader: "X Acme"}, nil, "not a header name"},
		{Activity{AppHeader: "Authorization"}, nil, "credential header"},
		{Activity{AppHeader: "x-api-key"}, nil, "credential header"},
		{Activity{Capture: &BodyCapture{Enabled: true, MaxBytes: MaxCaptureBytes, Retention: D(MaxCaptureRetention)}}, nil, ""},
		{Activity{Capture: &BodyCapture{Enabled: true, MaxBytes: MaxCaptureBytes + 1}}, nil, "activity.capture.maxBytes"},
		{Activity{Capture: &BodyCapture{Enabled: true, Retention: D(MaxCaptureRetention + time.Second)}}, nil, "activity.capture.retention"},
		{Activity{}, &BodyCapture{Enabled: true, Retention: D(time.Second)}, "consumers[0].capture.retention"},
		{Activity{}, &BodyCapture{Enabled: true, MaxBytes: -1}, "consumers[0].capture.maxBytes"},
	} {
		c := &Config{Activity: tc.a, Consumers: []Consumer{{Name: "a", Capture: tc.cons}}}
		v := &validator{}
		c.validateActivity(v)
		got := ""
		if len(v.errs) > 0 {
			got = v.errs[0].Error()
		}
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%+v %+v: got %q, want %q", tc.a, tc.cons, got, tc.want)
		}
	}
}
