package compile

import (
	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// guardrails copies the AIGateway's guardrails and response cache; the
// proxy compiles the rules (config.Validate refuses what it cannot).
func (c *compiler) guardrails(cfg *config.Config) {
	spec := &c.in.Gateway.Spec
	for _, g := range spec.Guardrails {
		out := config.Guardrail{Name: g.Name, Consumers: g.Consumers, Models: patterns(g.Models),
			Rules: rules(g.Rules), Answers: rules(g.Answers)}
		if e := g.External; e != nil {
			out.External = &config.ExternalCheck{Provider: e.Provider, Model: e.Model, Timeout: dur(e.Timeout), FailOpen: e.FailOpen}
		}
		cfg.Guardrails = append(cfg.Guardrails, out)
	}
	if rc := spec.ResponseCache; rc != nil && rc.Enabled {
		cfg.ResponseCache = config.ResponseCache{Enabled: true, TTL: dur(rc.TTL), MaxEntries: rc.MaxEntries,
			MaxBytes: rc.MaxBytes, MaxEntryBytes: rc.MaxEntryBytes, Scope: rc.Scope, Models: patterns(rc.Models)}
	}
}

func rules(in []v1alpha1.GuardrailRule) []config.GuardrailRule {
	var out []config.GuardrailRule
	for _, r := range in {
		action := r.Action
		if action == "" {
			action = "Mask" // the CRD's default, for files render reads
		}
		out = append(out, config.GuardrailRule{Detector: r.Detector, Name: r.Name, Pattern: r.Pattern, Keywords: r.Keywords, Action: action})
	}
	return out
}

func patterns(in []v1alpha1.ModelPattern) []string {
	var out []string
	for _, p := range in {
		out = append(out, string(p))
	}
	return out
}
