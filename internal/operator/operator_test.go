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
			var out, errb bytes.Buffer
			err := Main(context.Background(), tc.args, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Main error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
