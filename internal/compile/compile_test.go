package compile_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/render"
)

var update = flag.Bool("update", false, "rewrite golden files")

// now is the fixed clock of every case: between the two rotation expiries.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

type golden struct {
	Config    *config.Config    `json:"config"`
	Problems  []compile.Problem `json:"problems"`
	Providers []string          `json:"providers"`
	Consumers []string          `json:"consumers"`
	Policies  []string          `json:"policies"`
}

// TestCompileGolden compiles each folder under testdata (the samples case
// adds config/samples) and compares with its compiled.golden. The compiled config
// must also pass the proxy's own validation.
func TestCompileGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			paths := []string{dir}
			if filepath.Base(dir) == "samples" {
				paths = append(paths, "../../config/samples")
			}
			objs, err := render.LoadPaths("default", paths...)
			if err != nil {
				t.Fatal(err)
			}
			results, err := render.Compile(objs, "", now)
			if err != nil {
				t.Fatal(err)
			}
			r := results[0]
			data, err := config.Marshal(r.Config)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := config.Parse(data); err != nil {
				t.Fatalf("compiled config does not validate: %v", err)
			}
			got, err := json.MarshalIndent(golden{r.Config, r.Problems, r.Providers, r.Consumers, r.Policies}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			file := filepath.Join(dir, "compiled.golden")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("compiled output differs from %s (run go test ./internal/compile -update and review the diff):\n%s", file, got)
			}
		})
	}
}

// TestCompileIsDeterministic compiles the same input many times: the
// operator relies on equal input giving byte-equal output (no rewrites).
func TestCompileIsDeterministic(t *testing.T) {
	objs, err := render.LoadPaths("default", "testdata/redis-globs", "testdata/problems")
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i := range 50 {
		rs, err := render.Compile(objs, "", now)
		if err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, r := range rs {
			b, _ := config.Marshal(r.Config)
			all = append(all, b...)
		}
		if i == 0 {
			first = all
		} else if !bytes.Equal(first, all) {
			t.Fatalf("run %d compiled different bytes", i)
		}
	}
}

// TestRedactHidesEverySecret checks render's redaction on every secret
// field the cases carry.
func TestRedactHidesEverySecret(t *testing.T) {
	objs, err := render.LoadPaths("default", "testdata/redis-globs", "testdata/problems")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := render.Compile(objs, "", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		b, _ := config.Marshal(render.Redact(r.Config))
		for _, canary := range []string{"canary", "sk-", "AKIA"} {
			if strings.Contains(string(b), canary) {
				t.Errorf("redacted config of %s still contains %q", r.Config.Gateway.Name, canary)
			}
		}
		full, _ := config.Marshal(r.Config)
		if !strings.Contains(string(full), "canary") {
			t.Errorf("the unredacted config of %s lost its credentials", r.Config.Gateway.Name)
		}
	}
}

// TestTLSWithoutCertManager: compile is told whether cert-manager is
// installed. A listener whose certificate cert-manager would issue serves
// plain HTTP without it; a brought TLS Secret needs no cert-manager.
func TestTLSWithoutCertManager(t *testing.T) {
	issuer := &v1alpha1.ListenerTLS{IssuerRef: &v1alpha1.IssuerReference{Name: "letsencrypt"}, DNSNames: []v1alpha1.PreciseHostname{"ai.example.com"}}
	secret := v1alpha1.ObjectName("brought-tls")
	brought := &v1alpha1.ListenerTLS{SecretName: &secret}
	for _, tc := range []struct {
		name    string
		tls     *v1alpha1.ListenerTLS
		without bool
		want    bool
	}{
		{"issuer with cert-manager", issuer, false, true},
		{"issuer without cert-manager", issuer, true, false},
		{"brought secret without cert-manager", brought, true, true},
		{"no tls", nil, false, false},
	} {
		gw := &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "ns"},
			Spec: v1alpha1.AIGatewaySpec{Listener: &v1alpha1.Listener{Port: 8443, MetricsPort: 9443, TLS: tc.tls}}}
		r := compile.Compile(compile.Input{Gateway: gw, Now: now, WithoutCertManager: tc.without})
		if got := r.Config.Listener.TLS != nil; got != tc.want {
			t.Errorf("%s: serves TLS %v, want %v", tc.name, got, tc.want)
		}
	}
}
