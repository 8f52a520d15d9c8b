// Package providertest holds what the vendor adapters' tests share: the
// golden-file helpers (one golden file per translation direction under
// each package's testdata/, rewritten with -update) and the table drivers
// built on them (translate.go), and the suite that drives an adapter
// against the mock upstream of test/upstream (upstream.go).
package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Now is the fixed clock of golden translations.
var Now = time.Unix(1767225600, 0)

// Golden compares got with testdata/<name>, or rewrites it with -update.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Inputs lists testdata/<dir>/*<ext> that are not golden files.
func Inputs(t *testing.T, dir, ext string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.Contains(f, ".golden") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no inputs in testdata/%s", dir)
	}
	return out
}

// EachInput runs check in a subtest named for the file on each of
// Inputs(t, dir, ext), with the file's contents.
func EachInput(t *testing.T, dir, ext string, check func(t *testing.T, in string, body []byte)) {
	t.Helper()
	for _, in := range Inputs(t, dir, ext) {
		t.Run(in, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			check(t, in, body)
		})
	}
}

// Indent pretty-prints JSON for a golden file.
func Indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// Transcript drains a stream into one line per chunk and a final line.
func Transcript(s providers.Stream) []byte {
	var b bytes.Buffer
	for i := 0; i < 10000; i++ {
		c, err := s.Next()
		if err != nil {
			var pe *providers.Error
			switch {
			case errors.Is(err, io.EOF):
				b.WriteString("EOF\n")
			case errors.As(err, &pe):
				fmt.Fprintf(&b, "ERROR status=%d class=%d type=%s code=%s message=%q\n", pe.Status, pe.Class, pe.Type, pe.Code, pe.Message)
			default:
				fmt.Fprintf(&b, "BROKEN %v\n", err)
			}
			return b.Bytes()
		}
		b.WriteString("chunk ")
		b.Write(c.Data)
		b.WriteByte('\n')
		if c.Usage != nil {
			u, _ := json.Marshal(c.Usage)
			fmt.Fprintf(&b, "usage usageOnly=%v %s\n", c.UsageOnly, u)
		}
	}
	b.WriteString("TOO MANY CHUNKS\n")
	return b.Bytes()
}
