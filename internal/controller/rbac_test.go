package controller_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// TestRBACNoWildcards checks the generated operator role (TESTING row 10).
func TestRBACNoWildcards(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatalf("reading the generated role (run hack/generate.sh): %v", err)
	}
	docs := strings.Split(string(data), "\n---\n")
	rules := 0
	for _, doc := range docs {
		if strings.TrimSpace(strings.Trim(doc, "-\n")) == "" {
			continue
		}
		var role rbacv1.ClusterRole // a Role has the same rules field
		if err := yaml.Unmarshal([]byte(doc), &role); err != nil {
			t.Fatalf("parsing role.yaml: %v", err)
		}
		for _, r := range role.Rules {
			rules++
			for _, field := range [][]string{r.APIGroups, r.Resources, r.Verbs, r.ResourceNames, r.NonResourceURLs} {
				for _, v := range field {
					if strings.Contains(v, "*") {
						t.Errorf("%s %s: wildcard %q in rule %+v", role.Kind, role.Name, v, r)
					}
				}
			}
			for _, v := range r.Verbs {
				if v == "escalate" || v == "bind" || v == "impersonate" {
					t.Errorf("%s: verb %q is not needed", role.Name, v)
				}
			}
		}
	}
	if rules == 0 {
		t.Fatal("no rules found in role.yaml")
	}
}
