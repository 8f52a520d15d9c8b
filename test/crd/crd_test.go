// Package crd_test checks Tollgate's CRDs in a real kube-apiserver: every
// invalid fixture is rejected with its message at its field path, every
// valid fixture and sample is accepted, and the defaulted objects match
// golden files (go test ./test/crd -update rewrites them).
package crd_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files of defaulted objects")

// strict makes the API server reject unknown and duplicate fields instead of
// dropping them, so a misspelt field in a fixture (or YAML 1.1 reading a key
// "on" as true) fails the test instead of passing unnoticed.
var strict = client.FieldValidation("Strict")

// env is the control plane shared by the tests of this package; envErr is
// why it could not start.
var (
	env    *testenv.Env
	envErr error
)

func TestMain(m *testing.M) {
	flag.Parse()
	start := time.Now()
	env, envErr = testenv.New(testenv.Options{})
	if envErr == nil {
		fmt.Fprintf(os.Stderr, "crd: control plane with Tollgate CRDs up in %s\n", time.Since(start).Round(time.Millisecond))
	} else if !errors.Is(envErr, testenv.ErrNoAssets) {
		fmt.Fprintf(os.Stderr, "crd: starting control plane: %v\n", envErr)
		os.Exit(1)
	}
	code := m.Run()
	if env != nil {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "crd: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// needEnv returns the shared control plane or skips (or fails) t.
func needEnv(t *testing.T) *testenv.Env {
	t.Helper()
	if envErr != nil {
		testenv.SkipOrFail(t, envErr)
	}
	return env
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// eachFixture runs check on each fixture of sources against the shared
// control plane, in parallel subtests named for the fixture files.
func eachFixture(t *testing.T, sources []fixtureSource, check func(t *testing.T, e *testenv.Env, root string, fx fixture)) {
	e := needEnv(t)
	root := repoRoot(t)
	for _, fx := range fixturesOf(t, root, sources) {
		t.Run(fx.file, func(t *testing.T) {
			t.Parallel()
			check(t, e, root, fx)
		})
	}
}

func TestValidObjectsAreAccepted(t *testing.T) {
	eachFixture(t, validSources, func(t *testing.T, e *testenv.Env, root string, fx fixture) {
		if len(fx.expect) > 0 {
			t.Fatalf("a valid fixture must not carry '# expect:' lines")
		}
		ctx := t.Context()
		obj := fx.objIn(t, e, fx.namespace())
		if err := e.Client.Create(ctx, obj, strict); err != nil {
			t.Fatalf("%s was rejected: %v", fx.file, err)
		}
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(obj.GroupVersionKind())
		if err := e.Client.Get(ctx, keyOf(obj), got); err != nil {
			t.Fatalf("reading back %s: %v", fx.file, err)
		}
		checkPendingCondition(t, got)
		checkGolden(t, root, fx, got)
	})
}

func TestInvalidObjectsAreRejected(t *testing.T) {
	eachFixture(t, invalidSources, func(t *testing.T, e *testenv.Env, _ string, fx fixture) {
		if len(fx.expect) == 0 {
			t.Fatalf("an invalid fixture needs at least one '# expect: <field>: <message>' line")
		}
		obj := fx.objIn(t, e, fx.namespace())
		err := e.Client.Create(t.Context(), obj, strict)
		if err == nil {
			t.Fatalf("%s was accepted; want rejection with %v", fx.file, fx.expect)
		}
		var status apierrors.APIStatus
		if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
			t.Fatalf("%s: want an Invalid error with %v, got %v", fx.file, fx.expect, err)
		}
		var causes []metav1.StatusCause
		if d := status.Status().Details; d != nil {
			causes = d.Causes
		}
		for _, want := range fx.expect {
			if !hasCause(causes, want) {
				t.Errorf("%s: no error %q at field %q; got:\n%s", fx.file, want.message, want.field, formatCauses(causes))
			}
		}
	})
}

// checkPendingCondition checks the CRD's status default on an object created
// without status, as kubectl apply creates it.
func checkPendingCondition(t *testing.T, obj *unstructured.Unstructured) {
	t.Helper()
	conds, _, err := unstructured.NestedSlice(obj.Object, "status", "conditions")
	if err != nil || len(conds) == 0 {
		t.Fatalf("status.conditions missing (err %v); the CRD default should set Accepted=Unknown", err)
	}
	c, _ := conds[0].(map[string]any)
	want := map[string]any{
		"type": "Accepted", "status": "Unknown", "reason": "Pending",
		"message": "Waiting for controller", "lastTransitionTime": "1970-01-01T00:00:00Z",
	}
	if !reflect.DeepEqual(want, c) {
		t.Errorf("default condition:\n got %v\nwant %v", c, want)
	}
}

func hasCause(causes []metav1.StatusCause, want expectation) bool {
	for _, c := range causes {
		if c.Field == want.field && strings.Contains(c.Message, want.message) {
			return true
		}
	}
	return false
}

func formatCauses(causes []metav1.StatusCause) string {
	if len(causes) == 0 {
		return "  (no causes)"
	}
	var b strings.Builder
	for _, c := range causes {
		fmt.Fprintf(&b, "  %s: %s\n", c.Field, c.Message)
	}
	return b.String()
}

func createNamespace(t *testing.T, e *testenv.Env, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := e.Client.Create(t.Context(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
}

// objIn creates namespace ns and returns a copy of the fixture's object
// in it.
func (fx fixture) objIn(t *testing.T, e *testenv.Env, ns string) *unstructured.Unstructured {
	t.Helper()
	createNamespace(t, e, ns)
	obj := fx.obj.DeepCopy()
	obj.SetNamespace(ns)
	return obj
}

func keyOf(obj *unstructured.Unstructured) client.ObjectKey {
	return client.ObjectKeyFromObject(obj)
}

// checkGolden compares the object as the API server stored it (defaults
// applied), without server-set metadata, to testdata/golden/<source>/<file>.
func checkGolden(t *testing.T, root string, fx fixture, got *unstructured.Unstructured) {
	t.Helper()
	stored := map[string]any{
		"apiVersion": got.GetAPIVersion(),
		"kind":       got.GetKind(),
		"metadata":   map[string]any{"name": got.GetName()},
		"spec":       got.Object["spec"],
		"status":     got.Object["status"],
	}
	if labels := got.GetLabels(); len(labels) > 0 {
		stored["metadata"].(map[string]any)["labels"] = labels
	}
	data, err := yaml.Marshal(stored)
	if err != nil {
		t.Fatalf("encoding %s: %v", fx.file, err)
	}
	golden := filepath.Join(root, "test", "crd", "testdata", "golden", fx.source, filepath.Base(fx.file))
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file (run with -update to create it): %v", err)
	}
	if string(want) != string(data) {
		t.Errorf("%s is stored differently from %s (run with -update if intended):\n%s", fx.file, golden, lineDiff(string(want), string(data)))
	}
}

// lineDiff lists the lines of want missing from got ("-") and of got
// missing from want ("+"): enough to see what changed in a small YAML file.
func lineDiff(want, got string) string {
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	w, g := count(want), count(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if g[l] > 0 {
			g[l]--
			continue
		}
		fmt.Fprintf(&b, "- %s\n", l)
	}
	for _, l := range strings.Split(got, "\n") {
		if w[l] > 0 {
			w[l]--
			continue
		}
		fmt.Fprintf(&b, "+ %s\n", l)
	}
	return b.String()
}
