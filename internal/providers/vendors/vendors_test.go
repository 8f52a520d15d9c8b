package vendors_test

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	_ "github.com/tollgate-dev/tollgate/internal/providers/vendors"
)

// TestEveryAPITypeHasAVendor reads the ModelProvider CRD: every value of
// spec.type has a registered vendor with a constructor, and the discovery
// CEL rule names exactly the types whose vendor registered a model listing.
// Adding a vendor means its package, its line in vendors.go and the API
// enum; this test says when one of the three is missing.
func TestEveryAPITypeHasAVendor(t *testing.T) {
	data, err := os.ReadFile("../../../config/crd/bases/ai.tollgate.dev_modelproviders.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema struct {
						Properties struct {
							Spec struct {
								Properties struct {
									Type struct {
										Enum []string `json:"enum"`
									} `json:"type"`
								} `json:"properties"`
								Validations []struct {
									Rule string `json:"rule"`
								} `json:"x-kubernetes-validations"`
							} `json:"spec"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) == 0 {
		t.Fatal("no version in the CRD")
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties.Spec
	types := spec.Properties.Type.Enum
	if len(types) == 0 {
		t.Fatal("no spec.type enum in the CRD")
	}
	discovery := ""
	for _, v := range spec.Validations {
		if strings.Contains(v.Rule, "self.discovery.enabled") {
			discovery = v.Rule
		}
	}
	if discovery == "" {
		t.Fatal("no discovery rule in the CRD")
	}
	for _, typ := range types {
		v, ok := providers.Lookup(config.ProviderType(typ))
		if !ok || v.New == nil {
			t.Errorf("type %s has no registered vendor (add its package to vendors.go)", typ)
			continue
		}
		if listed := strings.Contains(discovery, "'"+typ+"'"); listed != (v.ListModels != nil) {
			t.Errorf("type %s: the discovery CEL rule lists it: %v; its vendor registered ListModels: %v", typ, listed, v.ListModels != nil)
		}
	}
}
