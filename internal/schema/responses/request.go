// Package responses holds typed structs of OpenAI's Responses API
// (POST /v1/responses): the request, its input and output items, the
// response object and the names of its stream events, recorded field by
// field from OpenAI's API reference and the openai-go SDK.
//
// Objects whose members this gateway does not name keep them in Extra, so
// a translator can refuse what it cannot carry (naming the field) instead
// of dropping it, and a pass-through re-encodes them unchanged.
package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tollgate-dev/tollgate/internal/schema/jsonform"
)

// Request is a POST /v1/responses body.
type Request struct {
	Model             string            `json:"model"`
	Input             *Input            `json:"input,omitempty"`
	Instructions      *string           `json:"instructions,omitempty"`
	Tools             []Tool            `json:"tools,omitempty"`
	ToolChoice        *ToolChoice       `json:"tool_choice,omitempty"`
	Text              *TextConfig       `json:"text,omitempty"`
	Reasoning         *Reasoning        `json:"reasoning,omitempty"`
	MaxOutputTokens   *int64            `json:"max_output_tokens,omitempty"`
	MaxToolCalls      *int64            `json:"max_tool_calls,omitempty"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls,omitempty"`
	Include           []string          `json:"include,omitempty"`
	Store             *bool             `json:"store,omitempty"`
	Stream            bool              `json:"stream,omitempty"`
	StreamOptions     *StreamOptions    `json:"stream_options,omitempty"`
	Temperature       *float64          `json:"temperature,omitempty"`
	TopP              *float64          `json:"top_p,omitempty"`
	User              string            `json:"user,omitempty"`
	SafetyIdentifier  string            `json:"safety_identifier,omitempty"`
	Metadata          map[string]string `json:"metadata,omitempty"`
	// ClientMetadata describes the client (Codex CLI sends it); it does
	// not change the answer, so a translated request leaves it out.
	ClientMetadata     json.RawMessage `json:"client_metadata,omitempty"`
	PromptCacheKey     string          `json:"prompt_cache_key,omitempty"`
	PreviousResponseID string          `json:"previous_response_id,omitempty"`
	Truncation         string          `json:"truncation,omitempty"`
	ServiceTier        string          `json:"service_tier,omitempty"`
	Background         *bool           `json:"background,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Includable values of "include" this package knows.
const (
	IncludeReasoningEncrypted = "reasoning.encrypted_content"
	IncludeOutputLogprobs     = "message.output_text.logprobs"
)

// Includes reports whether v is in include.
func (r *Request) Includes(v string) bool {
	for _, s := range r.Include {
		if s == v {
			return true
		}
	}
	return false
}

// StoreWanted is "store", true unless the client sent false (OpenAI's
// default).
func (r *Request) StoreWanted() bool { return r.Store == nil || *r.Store }

// StreamOptions is stream_options.
type StreamOptions struct {
	IncludeObfuscation *bool `json:"include_obfuscation,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Input is "input": a string (one user message) or a list of items.
type Input struct {
	// Text is set for the string form (IsText true).
	Text   string
	IsText bool
	Items  []Item
}

// MarshalJSON writes the string or the list.
func (in Input) MarshalJSON() ([]byte, error) {
	return jsonform.EncodeTextOrList(in.IsText, in.Text, in.Items)
}

// UnmarshalJSON reads a string or a list of items.
func (in *Input) UnmarshalJSON(b []byte) error {
	*in = Input{}
	var err error
	in.IsText, err = jsonform.TextOrList(b, &in.Text, &in.Items, errors.New("input must be a string or an array of items"))
	return err
}

// Tool types.
const ToolFunction = "function"

// Tool is one entry of "tools". Only function tools are named here; the
// members of other tool types stay in Extra.
type Tool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// ToolChoice is "tool_choice": a mode string (chat's modes:
// openai.ToolChoiceNone, ToolChoiceAuto, ToolChoiceRequired),
// {"type":"function","name"}, or another object (hosted tools,
// allowed_tools) kept in Raw.
type ToolChoice struct {
	Mode string
	// Type and Name are the object form; Raw holds the object as sent.
	Type string
	Name string
	Raw  json.RawMessage
}

// MarshalJSON writes the mode, the function object, or Raw.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	switch {
	case t.Mode != "":
		return json.Marshal(t.Mode)
	case len(t.Raw) > 0:
		return t.Raw, nil
	default:
		return json.Marshal(struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}{t.Type, t.Name})
	}
}

// UnmarshalJSON reads either form.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	*t = ToolChoice{}
	var obj struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	isMode, err := jsonform.StringOr(b, &t.Mode, &obj)
	if err != nil {
		return fmt.Errorf("tool_choice must be a string or an object: %w", err)
	}
	if !isMode {
		t.Type, t.Name, t.Raw = obj.Type, obj.Name, append(json.RawMessage(nil), bytes.TrimSpace(b)...)
	}
	return nil
}

// Text format types.
const (
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// TextConfig is "text": the output format and verbosity.
type TextConfig struct {
	Format    *TextFormat `json:"format,omitempty"`
	Verbosity string      `json:"verbosity,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// TextFormat is text.format.
type TextFormat struct {
	Type        string          `json:"type"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// Reasoning is "reasoning": effort and summary settings.
type Reasoning struct {
	Effort          *string `json:"effort"`
	Summary         *string `json:"summary"`
	GenerateSummary *string `json:"generate_summary,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type (
	requestAlias       Request
	streamOptionsAlias StreamOptions
	toolAlias          Tool
	textConfigAlias    TextConfig
	textFormatAlias    TextFormat
	reasoningAlias     Reasoning
)

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (r *Request) UnmarshalJSON(b []byte) error {
	return decodeKnown(b, (*requestAlias)(r), &r.Extra)
}

// MarshalJSON encodes the named members, then the Extra ones.
func (r Request) MarshalJSON() ([]byte, error) { return encodeKnown(requestAlias(r), r.Extra) }

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (o *StreamOptions) UnmarshalJSON(b []byte) error {
	return decodeKnown(b, (*streamOptionsAlias)(o), &o.Extra)
}

// MarshalJSON encodes the named members, then the Extra ones.
func (o StreamOptions) MarshalJSON() ([]byte, error) {
	return encodeKnown(streamOptionsAlias(o), o.Extra)
}

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (t *Tool) UnmarshalJSON(b []byte) error { return decodeKnown(b, (*toolAlias)(t), &t.Extra) }

// MarshalJSON encodes the named members, then the Extra ones.
func (t Tool) MarshalJSON() ([]byte, error) { return encodeKnown(toolAlias(t), t.Extra) }

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (c *TextConfig) UnmarshalJSON(b []byte) error {
	return decodeKnown(b, (*textConfigAlias)(c), &c.Extra)
}

// MarshalJSON encodes the named members, then the Extra ones.
func (c TextConfig) MarshalJSON() ([]byte, error) { return encodeKnown(textConfigAlias(c), c.Extra) }

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (f *TextFormat) UnmarshalJSON(b []byte) error {
	return decodeKnown(b, (*textFormatAlias)(f), &f.Extra)
}

// MarshalJSON encodes the named members, then the Extra ones.
func (f TextFormat) MarshalJSON() ([]byte, error) { return encodeKnown(textFormatAlias(f), f.Extra) }

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (r *Reasoning) UnmarshalJSON(b []byte) error {
	return decodeKnown(b, (*reasoningAlias)(r), &r.Extra)
}

// MarshalJSON encodes the named members, then the Extra ones.
func (r Reasoning) MarshalJSON() ([]byte, error) { return encodeKnown(reasoningAlias(r), r.Extra) }
