package compile

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// KeyCACert is the default key of a telemetry CA Secret reference.
const KeyCACert = "ca.crt"

// telemetry compiles spec.telemetry. Tracing whose Secrets are missing or
// whose settings the contract refuses is left out (a Problem on the
// AIGateway), never the whole config: the gateway serves untraced.
func (c *compiler) telemetry(cfg *config.Config) {
	gw := c.in.Gateway
	t := gw.Spec.Telemetry
	if t == nil || t.Tracing == nil {
		return
	}
	tr := t.Tracing
	out := &config.Tracing{Endpoint: tr.Endpoint, Protocol: config.OTLPProtocol(tr.Protocol),
		ResourceAttributes: maps.Clone(tr.ResourceAttributes)}
	if tr.SamplingRatio != nil {
		r, err := strconv.ParseFloat(*tr.SamplingRatio, 64)
		if err != nil {
			r = invalid
		}
		out.SamplingRatio = &r
	}
	if cc := tr.CaptureContent; cc != nil && cc.Enabled {
		out.CaptureContent = true
		if cc.MaxBytes != nil {
			out.MaxContentBytes = int(*cc.MaxBytes)
		}
	}
	if ref := tr.HeadersSecretRef; ref != nil {
		s, ok := c.secrets[string(ref.Name)]
		if !ok || s == nil {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretNotFound,
				"Secret %q for the tracing headers does not exist in namespace %q; create it or remove telemetry.tracing.headersSecretRef. The gateway runs without tracing.", ref.Name, gw.Namespace)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(s.Data)) {
			out.Headers = append(out.Headers, config.Header{Name: k, Value: string(s.Data[k])})
		}
	}
	if tls := tr.TLS; tls != nil {
		ca, ok := c.secretValue(v1alpha1.KindAIGateway, gw.Name, string(tls.CASecretRef.Name), cmp.Or(string(tls.CASecretRef.Key), KeyCACert))
		if !ok {
			return
		}
		out.CACert = ca
	}
	tel := config.Telemetry{Tracing: out}
	tel.Default()
	// The messages name fields and header names, never a header's value.
	if err := tel.Validate(); err != nil {
		c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"spec.telemetry is not usable (%v); the gateway runs without tracing.", err)
		return
	}
	cfg.Telemetry = tel
}
