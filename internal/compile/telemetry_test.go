package compile_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "collector CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestCompileTelemetry: spec.telemetry becomes the contract's tracing,
// headers and CA read from Secrets; a missing Secret or a header the
// contract refuses leaves tracing out with a Problem that names no
// secret value.
func TestCompileTelemetry(t *testing.T) {
	ratio, maxBytes := "0.25", int32(512)
	full := &v1alpha1.Tracing{Endpoint: "https://otel.example.com:4317", Protocol: v1alpha1.OTLPGRPC,
		HeadersSecretRef: &v1alpha1.LocalSecretReference{Name: "otlp-headers"},
		TLS:              &v1alpha1.TelemetryTLS{CASecretRef: v1alpha1.CASecretReference{Name: "otlp-ca"}},
		SamplingRatio:    &ratio, ResourceAttributes: map[string]string{"deployment.environment.name": "prod"},
		CaptureContent: &v1alpha1.ContentCapture{Enabled: true, MaxBytes: &maxBytes}}
	ca := testCA(t)
	secrets := func(headers map[string][]byte) map[string]*corev1.Secret {
		return map[string]*corev1.Secret{
			"otlp-headers": {ObjectMeta: metav1.ObjectMeta{Name: "otlp-headers"}, Data: headers},
			"otlp-ca":      {ObjectMeta: metav1.ObjectMeta{Name: "otlp-ca"}, Data: map[string][]byte{"ca.crt": ca}},
		}
	}
	for _, tc := range []struct {
		name    string
		tr      *v1alpha1.Tracing
		secrets map[string]*corev1.Secret
		want    *config.Tracing // nil: no tracing
		problem string
	}{
		{name: "off"},
		{name: "full", tr: full, secrets: secrets(map[string][]byte{"Authorization": []byte("Bearer canary-otlp"), "x-tenant": []byte("t1")}),
			want: &config.Tracing{Endpoint: "https://otel.example.com:4317", Protocol: config.OTLPGRPC,
				Headers: []config.Header{{Name: "Authorization", Value: "Bearer canary-otlp"}, {Name: "x-tenant", Value: "t1"}},
				CACert:  string(ca), SamplingRatio: new(0.25), ResourceAttributes: map[string]string{"deployment.environment.name": "prod"},
				CaptureContent: true, MaxContentBytes: 512}},
		{name: "http defaults", tr: &v1alpha1.Tracing{Endpoint: "http://collector:4318", Protocol: v1alpha1.OTLPHTTP},
			want: &config.Tracing{Endpoint: "http://collector:4318/v1/traces", Protocol: config.OTLPHTTP, SamplingRatio: new(1.0),
				MaxContentBytes: config.DefaultMaxContentBytes}},
		{name: "headers secret missing", tr: full, secrets: map[string]*corev1.Secret{}, problem: `Secret "otlp-headers" for the tracing headers does not exist`},
		{name: "refused header", tr: full, secrets: secrets(map[string][]byte{"Content-Type": []byte("canary-otlp")}), problem: "set by the exporter"},
		{name: "header value with a newline", tr: full, secrets: secrets(map[string][]byte{"X-Key": []byte("canary-otlp\r\nX-Evil: 1")}), problem: "must not contain CR, LF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gw := &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "ns"}}
			if tc.tr != nil {
				gw.Spec.Telemetry = &v1alpha1.Telemetry{Tracing: tc.tr}
			}
			r := compile.Compile(compile.Input{Gateway: gw, Secrets: tc.secrets, Now: now})
			got := r.Config.Telemetry.Tracing
			a, _ := config.Marshal(&config.Config{Telemetry: config.Telemetry{Tracing: got}})
			b, _ := config.Marshal(&config.Config{Telemetry: config.Telemetry{Tracing: tc.want}})
			if string(a) != string(b) {
				t.Errorf("tracing\n got %s\nwant %s", a, b)
			}
			var msgs []string
			for _, p := range r.Problems {
				msgs = append(msgs, p.Message)
			}
			all := strings.Join(msgs, "\n")
			if (tc.problem == "") != (len(msgs) == 0) || !strings.Contains(all, tc.problem) {
				t.Errorf("problems %q, want one with %q", all, tc.problem)
			}
			if strings.Contains(all, "canary") {
				t.Errorf("a secret value is in a problem: %s", all)
			}
			if err := r.Config.Validate(); err != nil {
				t.Errorf("the compiled config is refused: %v", err)
			}
		})
	}
}
