package compile_test

import (
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/render"
)

// A consumer's own vendor key reaches the compiled config and never the
// redacted one that `tollgate render` prints.
func TestBYOKKeyIsRedacted(t *testing.T) {
	objs, err := render.LoadPaths("default", "testdata/byok")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := render.Compile(objs, "", now)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := config.Marshal(rs[0].Config)
	red, _ := config.Marshal(render.Redact(rs[0].Config))
	if !strings.Contains(string(full), "sk-own-canary") || strings.Contains(string(red), "sk-own-canary") {
		t.Errorf("full has the key: %v; redacted has it: %v", strings.Contains(string(full), "sk-own-canary"), strings.Contains(string(red), "sk-own-canary"))
	}
}
