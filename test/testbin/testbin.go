// Package testbin finds the tools the end-to-end suites drive (in bin/,
// installed or built there by a hack/ script) and ends a suite whose tool
// cannot be had: a skip, or a failure under make, so that a suite make
// runs never passes by skipping.
package testbin

import (
	"cmp"
	"os"
	"path/filepath"
	"testing"
)

// Dir is the absolute tools directory: $TOLLGATE_BIN_DIR, else the
// repository's bin/ (a suite runs in test/<suite>).
func Dir(t testing.TB) string {
	t.Helper()
	return abs(t, cmp.Or(os.Getenv("TOLLGATE_BIN_DIR"), "../../bin"))
}

// Script is the absolute path of hack/<name>.
func Script(t testing.TB, name string) string {
	t.Helper()
	return abs(t, filepath.Join("../../hack", name))
}

// Missing ends t for a tool it cannot have: it skips with msg, or fails
// when the environment variable require is "1" (make sets it).
func Missing(t testing.TB, require, msg string) {
	t.Helper()
	msg = "SKIPPED: " + msg
	if os.Getenv(require) == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func abs(t testing.TB, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatalf("resolving %s: %v", path, err)
	}
	return p
}
