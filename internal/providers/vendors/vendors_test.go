package vendors_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	_ "github.com/tollgate-dev/tollgate/internal/providers/vendors"
)

// TestEveryAPITypeHasAVendor reads the ModelProvider CRD: every value of
// spec.type has a registered vendor with a constructor and contract rules,
// every registered vendor is a value of spec.type, and the discovery CEL
// rule names exactly the types whose vendor registered a model listing.
// Adding a vendor means its package and the API enum (and the CEL list if
// it lists models); vendors.go is generated (hack/vendors.sh) and this test
// says when one of the others is missing.
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
	if got, want := fmt.Sprint(providers.Types()), fmt.Sprint(slices.Sorted(slices.Values(types))); got != want {
		t.Errorf("registered vendors %s, the API enum %s: each must have the other", got, want)
	}
	if got, want := fmt.Sprint(config.ProviderTypes()), fmt.Sprint(providers.Types()); got != want {
		t.Errorf("types with contract rules %s, registered vendors %s", got, want)
	}
	var endpointRule string
	for _, v := range spec.Validations {
		if strings.HasSuffix(v.Rule, "|| has(self.endpoint)") {
			endpointRule = v.Rule
		}
	}
	if endpointRule == "" {
		t.Fatal("no endpoint-required rule in the CRD")
	}
	for _, typ := range types {
		v, ok := providers.Lookup(config.ProviderType(typ))
		// The CRD requires an endpoint where the contract does and the
		// vendor has no default to fill in.
		needs := v.Rules.Endpoint == config.NeedRequired && v.DefaultEndpoint == ""
		if listed := strings.Contains(endpointRule, "'"+typ+"'"); listed != needs {
			t.Errorf("type %s: the CEL rule requires an endpoint: %v; the vendor requires one and has no default: %v", typ, listed, needs)
		}
		if !ok || v.New == nil {
			t.Errorf("type %s has no registered vendor (add its package to vendors.go)", typ)
			continue
		}
		if listed := strings.Contains(discovery, "'"+typ+"'"); listed != (v.ListModels != nil) {
			t.Errorf("type %s: the discovery CEL rule lists it: %v; its vendor registered ListModels: %v", typ, listed, v.ListModels != nil)
		}
	}
}
