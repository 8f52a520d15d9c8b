package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestSkipOrFail(t *testing.T) {
	noAssets := fmt.Errorf("%w: hack/build-k8s.sh failed: exit status 1", ErrNoAssets)
	tests := map[string]struct {
		err      error
		require  string
		wantSkip bool
	}{
		"missing binaries skip":                    {err: noAssets, wantSkip: true},
		"missing binaries fail when required":      {err: noAssets, require: "1"},
		"any other start error fails":              {err: errors.New("etcd did not start")},
		"a wrong KUBEBUILDER_ASSETS is not a skip": {err: errors.New("KUBEBUILDER_ASSETS=/nope: missing kube-apiserver")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(RequireEnv, tc.require)
			r := &recorder{TB: t}
			SkipOrFail(r, tc.err)
			if tc.wantSkip {
				if r.skipped == "" || r.failed != "" {
					t.Fatalf("want a skip only, got skip %q fail %q", r.skipped, r.failed)
				}
				if !strings.Contains(r.skipped, "KUBEBUILDER_ASSETS") || !strings.Contains(r.skipped, RequireEnv) {
					t.Errorf("skip message should say how to get the binaries and how to require them: %q", r.skipped)
				}
				return
			}
			if r.failed == "" || r.skipped != "" {
				t.Fatalf("want a failure only, got skip %q fail %q", r.skipped, r.failed)
			}
		})
	}
}

func TestRepoRootHoldsOurModule(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "hack", "build-k8s.sh")); err != nil {
		t.Errorf("RepoRoot %s: %v", root, err)
	}
}

func TestCheckAssetsNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := checkAssets(dir)
	if err == nil || !strings.Contains(err.Error(), "etcd") {
		t.Fatalf("checkAssets = %v, want an error naming etcd", err)
	}
}

// TestThirdPartyCRDsAreFound locates each optional CRD set through the
// module cache (downloading from the module proxy on a cold cache).
func TestThirdPartyCRDsAreFound(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the go command and the module cache or proxy")
	}
	for _, set := range AllThirdParty {
		paths, err := CRDPaths(set)
		if err != nil {
			t.Errorf("%s: %v", set, err)
			continue
		}
		for _, p := range paths {
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s: %v", set, err)
			}
		}
	}
	if _, err := CRDPaths("nonsense"); err == nil {
		t.Error("CRDPaths accepted an unknown set")
	}
}

func TestScaleCount(t *testing.T) {
	tests := map[string]struct {
		scale, count string
		wantSkip     bool
		want         int
	}{
		"off skips":                {count: "7", wantSkip: true, want: 7},
		"on, the count set":        {scale: "1", count: "7", want: 7},
		"on, no count":             {scale: "1", want: 1000},
		"on, a count not positive": {scale: "1", count: "0", want: 1000},
		"on, a count not a number": {scale: "1", count: "many", want: 1000},
		"another value is off":     {scale: "yes", wantSkip: true, want: 1000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(ScaleEnv, tc.scale)
			t.Setenv("TOLLGATE_TEST_COUNT", tc.count)
			r := &recorder{TB: t}
			// The recorder's Skipf does not end the call, so the count
			// is read either way.
			got := ScaleCount(r, "TOLLGATE_TEST_COUNT", 1000, "measure")
			if skipped := r.skipped != ""; skipped != tc.wantSkip || (skipped && !strings.Contains(r.skipped, ScaleEnv+"=1 to measure")) {
				t.Errorf("skipped %q, want a skip: %v", r.skipped, tc.wantSkip)
			}
			if got != tc.want {
				t.Errorf("count %d, want %d", got, tc.want)
			}
		})
	}
}
