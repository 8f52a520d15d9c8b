package compile_test

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
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

// A consumer whose BYOK Secret is missing is not served at all (it would
// otherwise go out on the gateway's key, charged to the gateway), and the
// problem names the field.
func TestBYOKMissingSecretRefusesTheConsumer(t *testing.T) {
	objs, err := render.LoadPaths("default", "testdata/byok")
	if err != nil {
		t.Fatal(err)
	}
	var kept []corev1.Secret
	for _, s := range objs.Secrets {
		if s.Name != "team-a-vendor" {
			kept = append(kept, s)
		}
	}
	objs.Secrets = kept
	rs, err := render.Compile(objs, "", now)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range rs[0].Config.Consumers {
		if cs.Name == "team-a" {
			t.Errorf("team-a is served without its own key: %+v", cs)
		}
	}
	var found bool
	for _, p := range rs[0].Problems {
		if p.Kind == v1alpha1.KindConsumer && p.Name == "team-a" && p.Condition == v1alpha1.ConditionResolvedRefs &&
			p.Reason == v1alpha1.ReasonSecretNotFound && strings.Contains(p.Message, "spec.byok[0].secretRef") && strings.Contains(p.Message, `"team-a-vendor"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("problems %+v", rs[0].Problems)
	}
}
