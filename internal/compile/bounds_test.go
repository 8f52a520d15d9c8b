package compile_test

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// A model served by more providers than a route may hold gets an implicit
// route of the first MaxBackends, and a condition: the compiled config
// still validates, so the gateway is not refused as a whole.
func TestImplicitRouteKeepsToTheBackendBound(t *testing.T) {
	in := compile.Input{Gateway: &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "ns"},
		Spec: v1alpha1.AIGatewaySpec{Auth: &v1alpha1.Auth{Mode: v1alpha1.AuthModeNone}}}, Now: time.Now()}
	for i := range config.MaxBackends + 1 {
		in.Providers = append(in.Providers, v1alpha1.ModelProvider{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%02d", i), Namespace: "ns"},
			Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderMock, Models: []v1alpha1.ProviderModel{{Name: "x"}}}})
	}
	res := compile.Compile(in)
	if err := res.Config.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(res.Config.Routes) != 1 || len(res.Config.Routes[0].Backends) != config.MaxBackends {
		t.Fatalf("routes %+v", res.Config.Routes)
	}
	if len(res.Problems) != 1 || res.Problems[0].Kind != "AIGateway" {
		t.Fatalf("problems %+v", res.Problems)
	}
}
