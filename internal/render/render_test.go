package render

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

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
