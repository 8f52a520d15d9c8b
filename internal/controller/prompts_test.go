package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// TestPromptTemplateCondition: an AIGateway whose template uses a
// variable it does not declare (which its CRD cannot check) is
// Accepted=False Invalid naming the template, and Accepted again once the
// template is fixed.
func TestPromptTemplateCondition(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	gw := samples(t, c, ns, func(g *v1alpha1.AIGateway) {
		g.Spec.Prompts = &v1alpha1.Prompts{
			Decorators: []v1alpha1.PromptDecorator{{Name: "house", Prepend: "Be brief."}},
			Templates:  []v1alpha1.PromptTemplate{{Name: "greet", Template: "Hello {{who}} and {{whom}}.", Variables: []string{"who"}}},
		}
	})
	awaitCondition(t, c, gw, v1alpha1.ConditionAccepted, metav1.ConditionFalse, v1alpha1.ReasonInvalid, func() error {
		if msg := condOf(gw.Status.Conditions, v1alpha1.ConditionAccepted).Message; !strings.Contains(msg, "spec.prompts.templates[0] (greet) is not usable") ||
			!strings.Contains(msg, "{{whom}} is not a declared variable") {
			return fmt.Errorf("Accepted message %q", msg)
		}
		return nil
	})
	must(t, c.Get(ctx, client.ObjectKeyFromObject(gw), gw))
	gw.Spec.Prompts.Templates[0].Variables = []string{"who", "whom"}
	must(t, c.Update(ctx, gw))
	awaitCondition(t, c, gw, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted)
}
