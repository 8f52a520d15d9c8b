package compile

import (
	"strings"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// prompts copies the AIGateway's decorators and templates. A template
// whose text and variables disagree (which the CRD's schema cannot check
// at its size) is left out with a Problem on the Accepted condition; the
// rest of the gateway is served.
func (c *compiler) prompts(cfg *config.Config) {
	gw := c.in.Gateway
	p := gw.Spec.Prompts
	if p == nil {
		return
	}
	for _, d := range p.Decorators {
		cfg.Prompts.Decorators = append(cfg.Prompts.Decorators, config.PromptDecorator{Name: d.Name, Models: patterns(d.Models),
			Prepend: d.Prepend, Append: d.Append})
	}
	for i, t := range p.Templates {
		out := config.PromptTemplate{Name: t.Name, Template: t.Template, Variables: t.Variables}
		one := config.Config{Prompts: config.Prompts{Templates: []config.PromptTemplate{out}}}
		if err := one.ValidatePrompts(); err != nil {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"spec.prompts.templates[%d] (%s) is not usable (%s); the gateway serves without it.", i, t.Name,
				strings.ReplaceAll(err.Error(), "prompts.templates[0].", ""))
			continue
		}
		cfg.Prompts.Templates = append(cfg.Prompts.Templates, out)
	}
}
