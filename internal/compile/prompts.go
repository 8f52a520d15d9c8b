package compile

import "github.com/tollgate-dev/tollgate/internal/config"

// prompts copies the AIGateway's decorators and templates.
func (c *compiler) prompts(cfg *config.Config) {
	p := c.in.Gateway.Spec.Prompts
	if p == nil {
		return
	}
	for _, d := range p.Decorators {
		cfg.Prompts.Decorators = append(cfg.Prompts.Decorators, config.PromptDecorator{Name: d.Name, Models: patterns(d.Models),
			Prepend: d.Prepend, Append: d.Append})
	}
	for _, t := range p.Templates {
		cfg.Prompts.Templates = append(cfg.Prompts.Templates, config.PromptTemplate{Name: t.Name, Template: t.Template,
			Variables: t.Variables})
	}
}
