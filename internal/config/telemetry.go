package config

import (
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strings"
)

// Telemetry configures what the gateway sends to an OpenTelemetry
// collector. The zero value sends nothing.
type Telemetry struct {
	// Tracing exports a span per request over OTLP; nil is off (and costs
	// the request path nothing).
	Tracing *Tracing `json:"tracing,omitempty"`
}

// OTLPProtocol is the OTLP transport of a Tracing exporter.
type OTLPProtocol string

// OTLP transports.
const (
	OTLPGRPC OTLPProtocol = "grpc"
	OTLPHTTP OTLPProtocol = "http"
)

// The tracing defaults and bounds (the CRD markers document the same).
const (
	DefaultOTLPProtocol          = OTLPGRPC
	DefaultSamplingRatio         = 1.0
	DefaultServiceName           = "tollgate-gateway"
	DefaultMaxContentBytes       = 4096
	MaxContentBytes              = 64 << 10
	MaxTelemetryHeaders          = 16
	MaxResourceAttributes        = 32
	maxResourceAttributeKeyLen   = 256
	maxResourceAttributeValueLen = 1024
	// OTLPHTTPTracesPath is appended to an http endpoint with no path.
	OTLPHTTPTracesPath = "/v1/traces"
)

// Tracing is an OTLP trace exporter and its sampling.
type Tracing struct {
	// Endpoint is the collector's URL: http://host:port (plaintext) or
	// https://host:port (TLS). For protocol http a URL with no path gets
	// OTLPHTTPTracesPath.
	Endpoint string `json:"endpoint"`
	// Protocol is grpc (default) or http (protobuf over HTTP).
	Protocol OTLPProtocol `json:"protocol,omitempty"`
	// Headers are sent with every export (an API key of a hosted
	// backend): secret values, like every provider credential.
	Headers []Header `json:"headers,omitempty"`
	// CACert is a PEM bundle the collector's certificate is verified
	// against; "" uses the system roots.
	CACert string `json:"caCert,omitempty"`
	// SamplingRatio is the share of new traces (no sampled parent) that
	// are recorded, 0 to 1; a request with a traceparent follows its
	// parent's decision. Default 1.
	SamplingRatio *float64 `json:"samplingRatio,omitempty"`
	// ResourceAttributes are added to the resource of every span
	// (service.name defaults to DefaultServiceName).
	ResourceAttributes map[string]string `json:"resourceAttributes,omitempty"`
	// CaptureContent records the prompt and the completion on the request
	// span, each cut at MaxContentBytes. Off by default: prompts are
	// often personal data.
	CaptureContent bool `json:"captureContent,omitempty"`
	// MaxContentBytes caps each captured content attribute. Default
	// DefaultMaxContentBytes, at most MaxContentBytes.
	MaxContentBytes int `json:"maxContentBytes,omitempty"`
}

// Header is one HTTP header; its value may be secret.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Default fills the tracing defaults.
func (t *Telemetry) Default() {
	tr := t.Tracing
	if tr == nil {
		return
	}
	if tr.Protocol == "" {
		tr.Protocol = DefaultOTLPProtocol
	}
	if tr.SamplingRatio == nil {
		r := DefaultSamplingRatio
		tr.SamplingRatio = &r
	}
	if tr.MaxContentBytes == 0 {
		tr.MaxContentBytes = DefaultMaxContentBytes
	}
	if tr.Protocol == OTLPHTTP {
		if u, err := url.Parse(tr.Endpoint); err == nil && u.Host != "" && (u.Path == "" || u.Path == "/") {
			u.Path = OTLPHTTPTracesPath
			tr.Endpoint = u.String()
		}
	}
}

// Secrets returns the telemetry's secret fields: the export headers'
// values.
func (t *Telemetry) Secrets() []*string {
	if t.Tracing == nil {
		return nil
	}
	out := make([]*string, 0, len(t.Tracing.Headers))
	for i := range t.Tracing.Headers {
		out = append(out, &t.Tracing.Headers[i].Value)
	}
	return out
}

// Validate checks a defaulted Telemetry alone (compile does, so a bad
// Secret leaves tracing out instead of the whole config refused).
func (t *Telemetry) Validate() error {
	v := &validator{}
	t.validate(v)
	if len(v.errs) > 0 {
		return errors.Join(v.errs...)
	}
	return nil
}

func (t *Telemetry) validate(v *validator) {
	tr := t.Tracing
	if tr == nil {
		return
	}
	const f = "telemetry.tracing"
	u, err := url.Parse(tr.Endpoint)
	switch {
	case tr.Endpoint == "":
		v.bad(f+".endpoint", "is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		v.bad(f+".endpoint", "%q is not an http:// or https:// URL without credentials, query or fragment", truncated(tr.Endpoint))
	case tr.Protocol == OTLPGRPC && u.Path != "" && u.Path != "/":
		v.bad(f+".endpoint", "a grpc endpoint has no path")
	}
	if !slices.Contains([]OTLPProtocol{OTLPGRPC, OTLPHTTP}, tr.Protocol) {
		v.bad(f+".protocol", "unsupported value %q: want grpc or http", tr.Protocol)
	}
	if tr.CACert != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(tr.CACert)) {
		v.bad(f+".caCert", "is not a PEM certificate bundle")
	}
	if r := tr.SamplingRatio; r != nil && (math.IsNaN(*r) || *r < 0 || *r > 1) {
		v.bad(f+".samplingRatio", "%v is out of range: want 0 to 1", *r)
	}
	if tr.MaxContentBytes < 0 || tr.MaxContentBytes > MaxContentBytes {
		v.bad(f+".maxContentBytes", "%d is out of range: want 1 to %d", tr.MaxContentBytes, MaxContentBytes)
	}
	if len(tr.Headers) > MaxTelemetryHeaders {
		v.bad(f+".headers", "%d headers: at most %d", len(tr.Headers), MaxTelemetryHeaders)
	}
	seen := map[string]bool{}
	for i, h := range tr.Headers {
		hf := fmt.Sprintf("%s.headers[%d]", f, i)
		name := strings.ToLower(h.Name)
		switch {
		case len(h.Name) > maxModelLen || !isToken(h.Name):
			v.bad(hf+".name", "header name %q is not an HTTP token", truncated(h.Name))
		case seen[name]:
			v.bad(hf+".name", "header %q is listed twice", h.Name)
		case slices.Contains([]string{"content-type", "content-length", "content-encoding", "host", "te", "user-agent"}, name):
			v.bad(hf+".name", "header %q is set by the exporter", h.Name)
		}
		seen[name] = true
		// The value is secret: its content is never printed.
		if len(h.Value) > maxHeaderValueLen || strings.ContainsAny(h.Value, "\r\n\x00") {
			v.bad(hf+".value", "header values must not contain CR, LF or NUL characters and are at most %d bytes", maxHeaderValueLen)
		}
	}
	if len(tr.ResourceAttributes) > MaxResourceAttributes {
		v.bad(f+".resourceAttributes", "%d attributes: at most %d", len(tr.ResourceAttributes), MaxResourceAttributes)
	}
	for _, k := range slices.Sorted(maps.Keys(tr.ResourceAttributes)) {
		if k == "" || len(k) > maxResourceAttributeKeyLen || strings.ContainsAny(k, " \t\r\n\x00") {
			v.bad(f+".resourceAttributes", "key %q is not an attribute name", truncated(k))
		}
		if len(tr.ResourceAttributes[k]) > maxResourceAttributeValueLen {
			v.bad(f+".resourceAttributes."+k, "at most %d bytes", maxResourceAttributeValueLen)
		}
	}
}

// truncated cuts a value quoted in an error message.
func truncated(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}
