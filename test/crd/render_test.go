package crd_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/internal/render"
)

// Issue 12 item 12: `tollgate render` checks every object against the
// generated CRD schemas and CEL rules, offline, as the API server does:
// it refuses each invalid fixture with the fixture's expected field and
// message (the same causes TestInvalidObjectsAreRejected gets from a real
// API server) and exits non-zero; it accepts every valid fixture.
func TestRenderRefusesWhatTheAPIServerRefuses(t *testing.T) {
	root := repoRoot(t)
	invalid := fixturesOf(t, root, invalidSources)
	for _, fx := range invalid {
		t.Run(fx.file, func(t *testing.T) {
			file := filepath.Join(root, fx.file)
			objs, err := render.LoadPaths("default", file)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(objs.Invalid) != 1 {
				t.Fatalf("want the object refused once, got %v", objs.Invalid)
			}
			var status apierrors.APIStatus
			if !errors.As(objs.Invalid[0], &status) || !apierrors.IsInvalid(objs.Invalid[0]) {
				t.Fatalf("want an Invalid error, got %v", objs.Invalid[0])
			}
			var causes []metav1.StatusCause
			if d := status.Status().Details; d != nil {
				causes = d.Causes
			}
			for _, want := range fx.expect {
				if !hasCause(causes, want) {
					t.Errorf("no error %q at field %q; got:\n%s", want.message, want.field, formatCauses(causes))
				}
			}
			var out, errOut bytes.Buffer
			err = render.Main(t.Context(), []string{"-f", file}, &out, &errOut)
			if !errors.Is(err, render.ErrInvalid) {
				t.Fatalf("render exit: %v, want ErrInvalid", err)
			}
			for _, want := range fx.expect {
				if !strings.Contains(errOut.String(), want.field+": ") || !strings.Contains(errOut.String(), want.message) {
					t.Errorf("render did not print %s:\n%s", want, errOut.String())
				}
			}
			if out.Len() != 0 {
				t.Errorf("render printed a config for refused objects:\n%s", out.String())
			}
		})
	}
	valid, err := loadFixtures(root, "test/crd/testdata/valid", "valid")
	if err != nil {
		t.Fatal(err)
	}
	for _, fx := range valid {
		t.Run(fx.file, func(t *testing.T) {
			objs, err := render.LoadPaths("default", filepath.Join(root, fx.file))
			if err != nil || len(objs.Invalid) != 0 {
				t.Fatalf("a valid fixture is refused: %v %v", err, objs.Invalid)
			}
		})
	}
}
