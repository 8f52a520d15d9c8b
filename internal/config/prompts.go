package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Prompts are system text added to requests (decorators) and named
// templates clients invoke by name.
type Prompts struct {
	Decorators []PromptDecorator `json:"decorators,omitempty"`
	Templates  []PromptTemplate  `json:"templates,omitempty"`
}

// PromptDecorator adds Prepend before and Append after the system prompt
// of every request of Models (globs; every model when empty).
type PromptDecorator struct {
	Name    string   `json:"name"`
	Models  []string `json:"models,omitempty"`
	Prepend string   `json:"prepend,omitempty"`
	Append  string   `json:"append,omitempty"`
}

// PromptTemplate is a named prompt whose {{variable}} placeholders a
// request fills.
type PromptTemplate struct {
	Name      string   `json:"name"`
	Template  string   `json:"template"`
	Variables []string `json:"variables,omitempty"`
}

// Bounds of prompts.
const (
	MaxPromptText     = 65536
	MaxPromptVariable = 64
)

// TemplateVar finds a template's {{name}} placeholders.
var TemplateVar = regexp.MustCompile(`\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}`)

var (
	promptVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// promptName is the CRD's pattern of decorator and template names.
	promptName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
)

// promptNameOK checks a decorator's or template's name as the CRD does.
func promptNameOK(v *validator, field, name, kind string, seen map[string]bool) {
	switch {
	case name == "":
		v.bad(field, "required")
	case len(name) > 63 || !promptName.MatchString(name):
		v.bad(field, "%q should match %s (at most 63)", name, promptName)
	case seen[name]:
		v.bad(field, "duplicate %s %q", kind, name)
	}
	seen[name] = true
}

func (c *Config) validatePrompts(v *validator) {
	names := map[string]bool{}
	for i, d := range c.Prompts.Decorators {
		field := fmt.Sprintf("prompts.decorators[%d]", i)
		promptNameOK(v, field+".name", d.Name, "decorator", names)
		validateGlobs(v, field+".models", d.Models, 256)
		if d.Prepend == "" && d.Append == "" {
			v.bad(field, "a decorator needs prepend or append text")
		}
		if len(d.Prepend) > MaxPromptText || len(d.Append) > MaxPromptText {
			v.bad(field, "prepend and append are at most %d bytes each", MaxPromptText)
		}
	}
	names = map[string]bool{}
	for i, t := range c.Prompts.Templates {
		field := fmt.Sprintf("prompts.templates[%d]", i)
		promptNameOK(v, field+".name", t.Name, "template", names)
		if t.Template == "" || len(t.Template) > MaxPromptText {
			v.bad(field+".template", "required, at most %d bytes", MaxPromptText)
		}
		for j, name := range t.Variables {
			if !promptVarName.MatchString(name) || len(name) > MaxPromptVariable {
				v.bad(fmt.Sprintf("%s.variables[%d]", field, j), "%q is not a variable name", name)
			} else if !strings.Contains(t.Template, "{{"+name+"}}") {
				v.bad(fmt.Sprintf("%s.variables[%d]", field, j), "every variable must appear in the template as {{name}}: %q does not", name)
			}
		}
		for _, m := range TemplateVar.FindAllStringSubmatch(t.Template, -1) {
			if !slices.Contains(t.Variables, m[1]) {
				v.bad(field+".template", "{{%s}} is not a declared variable", m[1])
			}
		}
	}
}

// ValidatePrompts checks only the prompts (the compiler checks each
// template on its own, to leave out only the ones that are wrong).
func (c *Config) ValidatePrompts() error {
	v := &validator{}
	c.validatePrompts(v)
	return errors.Join(v.errs...)
}
