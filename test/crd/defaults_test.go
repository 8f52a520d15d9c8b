package crd_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// TestCRDDefaultsMatchTheContract: the defaults the CRD markers document
// (and the API server applies) are the values of internal/config's
// defaults table, the one place defaults live; a marker changed alone, or
// a table entry changed alone, fails here.
func TestCRDDefaultsMatchTheContract(t *testing.T) {
	crd := readCRD(t, filepath.Join(repoRoot(t), "config", "crd", "bases", "ai.tollgate.dev_aigateways.yaml"))
	root := *crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	for path, want := range map[string]any{
		".spec.listener.port":                 config.DefaultPort,
		".spec.listener.metricsPort":          config.DefaultMetricsPort,
		".spec.auth.mode":                     string(config.DefaultAuthMode),
		".spec.limits.failureMode":            string(config.DefaultFailureMode),
		".spec.limits.store.type":             string(config.DefaultStore),
		".spec.routes[].strategy":             string(config.DefaultStrategy),
		".spec.routes[].sessionAffinity.mode": string(config.DefaultSessionAffinity),
		".spec.routes[].backends[].weight":    config.DefaultWeight,
		".spec.routes[].backends[].priority":  0,
	} {
		s, ok := schemaAt(root, path)
		if !ok || s.Default == nil {
			t.Errorf("%s: no default in the CRD", path)
			continue
		}
		var got any
		if err := json.Unmarshal(s.Default.Raw, &got); err != nil {
			t.Fatal(err)
		}
		wantJSON, _ := json.Marshal(want)
		if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(wantJSON) {
			t.Errorf("%s: the CRD defaults to %s, the contract to %s", path, gotJSON, wantJSON)
		}
	}
}

// schemaAt walks ".a.b[].c" through properties and array items.
func schemaAt(s apiextensionsv1.JSONSchemaProps, path string) (apiextensionsv1.JSONSchemaProps, bool) {
	for _, part := range strings.Split(strings.TrimPrefix(path, "."), ".") {
		name, list := strings.CutSuffix(part, "[]")
		p, ok := s.Properties[name]
		if !ok {
			return s, false
		}
		s = p
		if list {
			if s.Items == nil || s.Items.Schema == nil {
				return s, false
			}
			s = *s.Items.Schema
		}
	}
	return s, true
}
