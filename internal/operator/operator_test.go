package operator

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMainRefusesBadStart(t *testing.T) {
	cases := map[string]struct {
		image string
		args  []string
		want  string
	}{
		"no image":     {"", nil, ImageEnv},
		"unknown flag": {"img", []string{"--nope"}, "flag provided but not defined"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(ImageEnv, tc.image)
			t.Setenv(ProxyImageEnv, "")
			var out, errb bytes.Buffer
			err := Main(context.Background(), tc.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Main error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestProxyImage(t *testing.T) {
	cases := map[string]struct{ proxy, own, want string }{
		"own image by default":    {"", "ghcr.io/t/tollgate:v1", "ghcr.io/t/tollgate:v1"},
		"proxy image wins":        {"ghcr.io/t/tollgate:v0.9", "ghcr.io/t/tollgate:v1", "ghcr.io/t/tollgate:v0.9"},
		"proxy image alone is ok": {"ghcr.io/t/tollgate:v0.9", "", "ghcr.io/t/tollgate:v0.9"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := proxyImage(tc.proxy, tc.own)
			if err != nil || got != tc.want {
				t.Fatalf("proxyImage(%q, %q) = %q, %v; want %q", tc.proxy, tc.own, got, err, tc.want)
			}
		})
	}
	if _, err := proxyImage("", ""); err == nil || !strings.Contains(err.Error(), ProxyImageEnv) {
		t.Fatalf("proxyImage with no image = %v, want an error naming $%s", err, ProxyImageEnv)
	}
}
