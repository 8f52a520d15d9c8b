package cluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// CertManagerEnv names cert-manager's controller binary
// (hack/build-cert-manager.sh); `make test-cluster-tls` sets it. Without
// it the stage is skipped: the build is the slowest of all (docs/install.md).
const CertManagerEnv = "TOLLGATE_CERT_MANAGER"

// testCertManagerTLS runs cert-manager's own controllers on the node,
// switches the gateway to HTTPS with a certificate from a self-signed
// Issuer, and calls it through its Service DNS name trusting only that
// certificate: the Certificate is really issued, the pods wait for the
// Secret rather than for the kubelet's mount back-off, and the proxy
// serves it.
func testCertManagerTLS(t *testing.T) {
	bin := os.Getenv(CertManagerEnv)
	if bin == "" {
		t.Skipf("%s is not set: `make test-cluster-tls` builds cert-manager and runs this stage", CertManagerEnv)
	}
	crds, err := testenv.CRDPaths(testenv.CertManager)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range crds {
		kubectl(t, "apply", "--server-side", "-f", p)
	}
	for _, crd := range []string{"certificates.cert-manager.io", "issuers.cert-manager.io", "certificaterequests.cert-manager.io"} {
		kubectl(t, "wait", "--for=condition=Established", "crd/"+crd, "--timeout=1m")
	}
	if err := kc.StartProcess("cert-manager", bin, "--kubeconfig", kc.Kubeconfig()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kc.StopProcess("cert-manager") })

	start := time.Now()
	applyYAML(t, `apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: selfsigned, namespace: default}
spec: {selfSigned: {}}
`)
	kubectl(t, "patch", "aigateway/main", "--type=merge", "-p",
		`{"spec":{"listener":{"tls":{"issuerRef":{"name":"selfsigned","kind":"Issuer"},"dnsNames":["main.default.svc"]}}}}`)
	t.Cleanup(func() {
		_, _ = kubectlErr(t, "patch", "aigateway/main", "--type=json", "-p", `[{"op":"remove","path":"/spec/listener/tls"}]`)
	})
	kubectl(t, "wait", "--for=condition=CertificateReady", "aigateway/main", "--timeout=2m")
	t.Logf("CertificateReady %s after the patch", time.Since(start).Round(time.Second))
	kubectl(t, "rollout", "status", "deployment/main", "--timeout=3m")
	kubectl(t, "wait", "--for=condition=Ready", "aigateway/main", "--timeout=2m")
	url := kubectl(t, "get", "aigateway/main", "-o", "jsonpath={.status.url}")
	if url != "https://main.default.svc:8080" {
		t.Fatalf("status.url = %q, want https", url)
	}

	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(secretValue(t, "default", "main-tls", `ca\.crt`))) {
		t.Fatal("Secret main-tls has no ca.crt")
	}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: kc.Dial, DisableKeepAlives: true,
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}}
	c := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey(secretValue(t, "default", "demo-key", "apiKey")),
		option.WithHTTPClient(hc), option.WithMaxRetries(0), option.WithRequestTimeout(30*time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var resp *openai.ChatCompletion
	eventually(t, time.Minute, "chat completion through "+url, func() bool {
		resp, err = c.Chat.Completions.New(ctx, chatParams("chat", "Hello, TLS!"))
		return err == nil
	})
	if got := resp.Choices[0].Message.Content; got != "Hello, TLS!" {
		t.Errorf("the mock echoes the prompt; got %q", got)
	}
	if got, chunks, err := stream(ctx, c, "mock-small", "one two three"); err != nil || got != "one two three" || chunks < 3 {
		t.Errorf("streamed %q in %d chunks over TLS, err %v", got, chunks, err)
	}
	t.Logf("HTTPS chat and stream served %s after the patch", time.Since(start).Round(time.Second))
}
