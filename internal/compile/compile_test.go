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
