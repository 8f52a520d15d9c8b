package compile_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
)

// TestCompilePrompts: decorators and templates reach the config; a
// template whose text uses an undeclared variable is left out with a
// Problem on Accepted, and the rest is served.
func TestCompilePrompts(t *testing.T) {
	gw := &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: "ns"}}
	gw.Spec.Prompts = &v1alpha1.Prompts{
		Decorators: []v1alpha1.PromptDecorator{{Name: "house", Models: []v1alpha1.ModelPattern{"gpt-*"}, Prepend: "Be brief."}},
		Templates: []v1alpha1.PromptTemplate{{Name: "summary", Template: "Summarise {{text}}.", Variables: []string{"text"}},
			{Name: "broken", Template: "Hello {{who}} and {{whom}}.", Variables: []string{"who"}}},
	}
	r := compile.Compile(compile.Input{Gateway: gw, Now: now})
	p := r.Config.Prompts
	if len(p.Decorators) != 1 || p.Decorators[0].Prepend != "Be brief." || p.Decorators[0].Models[0] != "gpt-*" {
		t.Fatalf("decorators %+v", p.Decorators)
	}
	if len(p.Templates) != 1 || p.Templates[0].Name != "summary" {
		t.Fatalf("templates %+v", p.Templates)
	}
	if len(r.Problems) != 1 || r.Problems[0].Condition != v1alpha1.ConditionAccepted ||
		!strings.Contains(r.Problems[0].Message, "spec.prompts.templates[1] (broken)") || !strings.Contains(r.Problems[0].Message, "{{whom}} is not a declared variable") {
		t.Fatalf("problems %+v", r.Problems)
	}
	if err := r.Config.Validate(); err != nil {
		t.Fatalf("the compiled config is refused: %v", err)
	}
}
