package v1alpha1

// Prompts are the gateway's prompt engineering: system text added to the
// requests of the models each decorator names, and named templates that
// clients invoke by name with variables. Both are applied to the
// canonical request, so every client API (chat completions, Responses,
// Anthropic Messages) gets them.
type Prompts struct {
	// Decorators add system text before (prepend) or after (append) the
	// system prompt of every request of their models, in order.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	Decorators []PromptDecorator `json:"decorators,omitempty"`

	// Templates are named prompts a client invokes with
	// "prompt_template": {"name": ..., "variables": {...}} in its request;
	// the rendered text is sent as the request's last user message.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=map
	// +listMapKey=name
	Templates []PromptTemplate `json:"templates,omitempty"`
}

// PromptDecorator is system text added to the requests of some models.
//
// +kubebuilder:validation:XValidation:rule="(has(self.prepend) && size(self.prepend) > 0) || (has(self.append) && size(self.append) > 0)",message="a decorator needs prepend or append text"
type PromptDecorator struct {
	// Name labels the decorator in the access log.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Models limits the decorator to these public models (globs with *
	// and ?); every model when empty.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	Models []ModelPattern `json:"models,omitempty"`

	// Prepend is put before the request's system prompt (a system
	// message of its own when the request has none).
	//
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Prepend string `json:"prepend,omitempty"`

	// Append is put after the request's system prompt.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Append string `json:"append,omitempty"`
}

// PromptTemplate is a named prompt with {{variable}} placeholders. That
// the template and its variables agree is checked when the gateway is
// compiled (a CEL rule for it costs more than the API server allows for
// templates of this size); the Accepted condition names what is wrong.
type PromptTemplate struct {
	// Name is what clients invoke the template by.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Template is the prompt's text; {{name}} is replaced by the
	// variable's value. Every {{...}} must name a declared variable.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=65536
	Template string `json:"template"`

	// Variables are the names the template uses; a request must give each.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	// +kubebuilder:validation:items:MaxLength=64
	// +listType=set
	Variables []string `json:"variables,omitempty"`
}
