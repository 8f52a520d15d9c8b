package render

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMainRendersSamples(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Main(context.Background(), []string{"-f", "../../config/samples"}, &out, &errOut); err != nil {
		t.Fatalf("render samples: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"# AIGateway default/main", "version: tollgate.dev/gateway/v1", "model: chat"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errOut.String(), "note: Consumer demo") {
		t.Errorf("the not-yet-generated key should be a note, got %q", errOut.String())
	}
}

func TestMainFailsOnProblemsAndRedacts(t *testing.T) {
	var out, errOut bytes.Buffer
	err := Main(context.Background(), []string{"-f", "../compile/testdata/problems", "-o", "json"}, &out, &errOut)
	if !errors.Is(err, ErrProblems) {
		t.Fatalf("err = %v, want ErrProblems", err)
	}
	if strings.Contains(out.String(), "sk-canary") || !strings.Contains(out.String(), Redacted) {
		t.Errorf("vendor key not redacted:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "error: ModelProvider openai-eu: ResolvedRefs=False SecretKeyNotFound") {
		t.Errorf("problems not printed:\n%s", errOut.String())
	}
	out.Reset()
	_ = Main(context.Background(), []string{"-f", "../compile/testdata/problems", "--show-secrets"}, &out, &errOut)
	if !strings.Contains(out.String(), "sk-canary") {
		t.Error("--show-secrets did not print the vendor key")
	}
}

func TestMainRejectsBadUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no files":       {},
		"bad output":     {"-f", "../../config/samples", "-o", "xml"},
		"missing folder": {"-f", "does-not-exist"},
		"unknown gw":     {"-f", "../../config/samples", "--gateway", "nope"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := Main(context.Background(), args, &out, &errOut); err == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

// Issue 12 item 12: objects the API server refuses make render exit
// non-zero with the API server's field path and message, offline. Before,
// render compiled them and exited 0.
func TestMainRefusesWhatTheAPIServerRefuses(t *testing.T) {
	const gateway = "apiVersion: ai.tollgate.dev/v1alpha1\nkind: AIGateway\nmetadata: {name: main}\nspec: {auth: {mode: None}}\n---\n"
	for name, tc := range map[string]struct{ doc, want string }{
		"metadata endpoint": {`apiVersion: ai.tollgate.dev/v1alpha1
kind: ModelProvider
metadata: {name: meta}
spec: {type: OpenAICompatible, endpoint: "https://169.254.169.254/v1", credentials: {secretRef: {name: k}}}`,
			`ModelProvider.ai.tollgate.dev "meta" is invalid: spec.endpoint: Invalid value: endpoint is a private, loopback or link-local IP address`},
		"name with a space": {`apiVersion: ai.tollgate.dev/v1alpha1
kind: ModelProvider
metadata: {name: "my provider"}
spec: {type: Mock}`, `ModelProvider.ai.tollgate.dev "my provider" is invalid: metadata.name: Invalid value: "my provider": a lowercase RFC 1123 subdomain`},
		"name with a newline": {`apiVersion: ai.tollgate.dev/v1alpha1
kind: Consumer
metadata: {name: "team\na"}
spec: {credentials: {generate: {}}}`, `metadata.name: Invalid value: "team\na": a lowercase RFC 1123 subdomain`},
		"CR/LF in a header name": {`apiVersion: ai.tollgate.dev/v1alpha1
kind: ModelProvider
metadata: {name: crlf}
spec: {type: OpenAI, credentials: {secretRef: {name: k}}, headers: [{name: "X-A\r\nX-Injected", value: "1"}]}`,
			`spec.headers[0].name: Invalid value: "X-A\r\nX-Injected": spec.headers[0].name in body should match`},
	} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "objs.yaml")
			if err := os.WriteFile(file, []byte(gateway+tc.doc+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			err := Main(context.Background(), []string{"-f", file}, &out, &errOut)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid; stderr:\n%s", err, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.want) || !strings.Contains(errOut.String(), "objs.yaml: document 2: ") {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut.String())
			}
		})
	}
}

// The samples written as v1beta1 render the same config as written as
// v1alpha1, and a v1beta1 object is checked against its schema.
func TestMainReadsV1beta1(t *testing.T) {
	files, err := filepath.Glob("../../config/samples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	dir := t.TempDir()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.ReplaceAll(data, []byte("ai.tollgate.dev/v1alpha1"), []byte("ai.tollgate.dev/v1beta1"))
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var alpha, beta, errOut bytes.Buffer
	if err := Main(context.Background(), []string{"-f", "../../config/samples"}, &alpha, &errOut); err != nil {
		t.Fatalf("render v1alpha1 samples: %v\n%s", err, errOut.String())
	}
	if err := Main(context.Background(), []string{"-f", dir}, &beta, &errOut); err != nil {
		t.Fatalf("render v1beta1 samples: %v\n%s", err, errOut.String())
	}
	if alpha.String() != beta.String() || !strings.Contains(beta.String(), "model: chat") {
		t.Errorf("v1beta1 samples render\n%s\nv1alpha1 samples render\n%s", beta.String(), alpha.String())
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	doc := "apiVersion: ai.tollgate.dev/v1beta1\nkind: ModelProvider\nmetadata: {name: x}\nspec: {type: Nope}\n"
	if err := os.WriteFile(bad, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if err := Main(context.Background(), []string{"-f", bad}, &beta, &errOut); err == nil || !strings.Contains(err.Error()+errOut.String(), "spec.type") {
		t.Errorf("an invalid v1beta1 object: err %v, stderr %q; want the schema's refusal of spec.type", err, errOut.String())
	}
}

// Issue 21: render shows issuers, identity matches (a keyless consumer's
// among them), pooled policies and the shadowed-match note, with the
// vendor key redacted; the shadowed match does not fail render.
func TestMainRendersIdentities(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Main(context.Background(), []string{"-f", "../compile/testdata/identities"}, &out, &errOut); err != nil {
		t.Fatalf("render: %v\n%s", err, errOut.String())
	}
	if strings.Contains(out.String(), "sk-canary") {
		t.Fatalf("the vendor key is not redacted:\n%s", out.String())
	}
	got := append(out.Bytes(), "# stderr\n"...)
	got = append(got, errOut.Bytes()...)
	file := filepath.Join("testdata", "identities.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render -run TestMainRendersIdentities -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("render output differs from %s (run with -update and review the diff):\n%s", file, got)
	}
}
