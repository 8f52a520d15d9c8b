// Package telemetry is the gateway's OpenTelemetry tracing: one Tracer per
// telemetry config (an OTLP exporter over gRPC or HTTP, a parent-based
// ratio sampler, W3C trace context in and out) and the spans of a request
// named by the GenAI semantic conventions. A nil *Tracer is tracing off:
// every method of it and of the nil spans it hands out returns at once, so
// the request path pays a nil check and nothing else.
package telemetry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/credentials"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// InstrumentationName is the tracer's instrumentation scope.
const InstrumentationName = "github.com/tollgate-dev/tollgate/internal/proxy"

// shutdownTimeout bounds the flush of a retired tracer's last spans.
const shutdownTimeout = 5 * time.Second

// Tracer records the spans of one telemetry config. It is shared by the
// config snapshots that have the same settings (Retain) and shut down,
// flushing what is batched, when the last of them lets it go (Release).
type Tracer struct {
	tp      *sdktrace.TracerProvider
	tr      trace.Tracer
	prop    propagation.TextMapPropagator
	capture bool
	maxText int
	key     string // the settings it was built from (Same)
	refs    atomic.Int64
}

// New builds the tracer of cfg's telemetry, or nil when tracing is off.
// No connection is made here: the exporter dials lazily and drops spans
// (never blocking a request) while the collector is unreachable.
func New(cfg *config.Config) (*Tracer, error) {
	tc := cfg.Telemetry.Tracing
	if tc == nil {
		return nil, nil
	}
	exp, err := newExporter(tc)
	if err != nil {
		return nil, err
	}
	return newTracer(cfg, sdktrace.WithBatcher(exp)), nil
}

// newTracer is the tracer of cfg's (non-nil) tracing with its span
// processor.
func newTracer(cfg *config.Config, processor sdktrace.TracerProviderOption) *Tracer {
	tc := cfg.Telemetry.Tracing
	ratio := config.DefaultSamplingRatio
	if tc.SamplingRatio != nil {
		ratio = *tc.SamplingRatio
	}
	tp := sdktrace.NewTracerProvider(
		processor,
		sdktrace.WithResource(newResource(cfg.Gateway, tc.ResourceAttributes)),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)
	t := &Tracer{tp: tp, tr: tp.Tracer(InstrumentationName), prop: propagation.TraceContext{},
		capture: tc.CaptureContent, maxText: tc.MaxContentBytes, key: settingsKey(cfg)}
	if t.maxText <= 0 {
		t.maxText = config.DefaultMaxContentBytes
	}
	t.refs.Store(1)
	return t
}

func newExporter(tc *config.Tracing) (sdktrace.SpanExporter, error) {
	headers := make(map[string]string, len(tc.Headers))
	for _, h := range tc.Headers {
		headers[h.Name] = h.Value
	}
	var tlsConf *tls.Config
	if tc.CACert != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(tc.CACert)) {
			return nil, errors.New("telemetry.tracing.caCert: no certificate could be read")
		}
		tlsConf = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	ctx := context.Background()
	switch tc.Protocol {
	case config.OTLPHTTP:
		opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(tc.Endpoint), otlptracehttp.WithHeaders(headers)}
		if tlsConf != nil {
			opts = append(opts, otlptracehttp.WithTLSClientConfig(tlsConf))
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/HTTP exporter: %w", err)
		}
		return exp, nil
	default:
		opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(tc.Endpoint), otlptracegrpc.WithHeaders(headers)}
		if tlsConf != nil {
			opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsConf)))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/gRPC exporter: %w", err)
		}
		return exp, nil
	}
}

// newResource is the gateway's resource: service.name (DefaultServiceName
// unless the attributes set one), the AIGateway's name and namespace, then
// the configured attributes over them.
func newResource(gw config.GatewayMeta, extra map[string]string) *resource.Resource {
	attrs := []attribute.KeyValue{attribute.String("service.name", config.DefaultServiceName)}
	if gw.Name != "" {
		attrs = append(attrs, attribute.String("tollgate.gateway.name", gw.Name))
	}
	if gw.Namespace != "" {
		attrs = append(attrs, attribute.String("k8s.namespace.name", gw.Namespace))
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		attrs = append(attrs, attribute.String(k, extra[k]))
	}
	// Later attributes win over earlier ones with the same key.
	return resource.NewSchemaless(attrs...)
}

// settingsKey identifies the settings a tracer is built from: the tracing
// block and the gateway's identity (its resource).
func settingsKey(cfg *config.Config) string {
	b, err := config.Marshal(&config.Config{Gateway: config.GatewayMeta{Name: cfg.Gateway.Name, Namespace: cfg.Gateway.Namespace},
		Telemetry: cfg.Telemetry})
	if err != nil {
		return ""
	}
	return string(b)
}

// Same reports whether t was built from cfg's settings, so a reload that
// changed nothing of them keeps the tracer (and its open connection).
func (t *Tracer) Same(cfg *config.Config) bool {
	if t == nil {
		return cfg.Telemetry.Tracing == nil
	}
	k := settingsKey(cfg)
	return k != "" && k == t.key
}

// Retain counts one more user of t and returns it.
func (t *Tracer) Retain() *Tracer {
	if t != nil {
		t.refs.Add(1)
	}
	return t
}

// Release ends one use; the last shuts the tracer down, exporting what is
// batched (bounded by shutdownTimeout).
func (t *Tracer) Release() {
	if t == nil || t.refs.Add(-1) != 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = t.tp.Shutdown(ctx)
}

// ForceFlush exports every span ended so far (tests and shutdown).
func (t *Tracer) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if err := t.tp.ForceFlush(ctx); err != nil {
		return fmt.Errorf("telemetry: flushing spans: %w", err)
	}
	return nil
}
