// Package responses serves OpenAI Responses API clients (POST
// /v1/responses) on top of the gateway's canonical chat completions form,
// for upstreams that do not speak the Responses API themselves: a request
// (with the stored conversation of previous_response_id, when there is
// one) becomes a chat completions request, and the canonical answer
// (whole, streamed or failed) becomes a response object or Responses
// stream events.
//
// What the chat form cannot carry is refused with a RequestError naming
// the field, never dropped.
package responses

import (
	"encoding/json"
	"fmt"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// RequestError is a Responses request the gateway cannot translate; the
// client gets 400 invalid_request_error with Message and Param.
type RequestError struct {
	Param   string
	Message string
}

func (e *RequestError) Error() string { return e.Message }

func invalid(param, format string, a ...any) *RequestError {
	msg := fmt.Sprintf(format, a...)
	if param != "" {
		msg = param + ": " + msg
	}
	return &RequestError{Param: param, Message: msg}
}

// Decode reads a /v1/responses body.
func Decode(body []byte) (*rs.Request, error) {
	var in rs.Request
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, invalid("", "request body is not a valid Responses request: %v", err)
	}
	return &in, nil
}

// Request decodes a /v1/responses body and returns the canonical chat
// completions body with the decoded request. prior is the stored
// conversation the request continues (previous_response_id), replayed
// before its input; nil when there is none.
func Request(body []byte, prior []rs.Item) ([]byte, *rs.Request, error) {
	in, err := Decode(body)
	if err != nil {
		return nil, nil, err
	}
	out, err := ToChat(in, prior)
	if err != nil {
		return nil, nil, err
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding chat completions request: %w", err)
	}
	return enc, in, nil
}

// ToChat translates a decoded request; see Request for prior.
func ToChat(in *rs.Request, prior []rs.Item) (*oa.ChatRequest, error) {
	if in.Model == "" {
		return nil, invalid("model", "field required")
	}
	if err := checkParams(in); err != nil {
		return nil, err
	}
	out := &oa.ChatRequest{
		Model:               in.Model,
		MaxCompletionTokens: in.MaxOutputTokens,
		Temperature:         in.Temperature,
		TopP:                in.TopP,
		ParallelToolCalls:   in.ParallelToolCalls,
		User:                in.User,
		Metadata:            in.Metadata,
		Stream:              in.Stream,
	}
	if in.Stream {
		out.StreamOptions = &oa.StreamOptions{IncludeUsage: true}
	}
	extra := map[string]json.RawMessage{}
	for name, v := range map[string]string{"prompt_cache_key": in.PromptCacheKey, "safety_identifier": in.SafetyIdentifier} {
		if v != "" {
			extra[name], _ = json.Marshal(v)
		}
	}
	if in.Reasoning != nil && in.Reasoning.Effort != nil {
		out.ReasoningEffort = *in.Reasoning.Effort
	}
	if err := setText(out, extra, in.Text); err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		out.Extra = extra
	}
	if in.Instructions != nil && *in.Instructions != "" {
		out.Messages = append(out.Messages, oa.Message{Role: oa.RoleSystem, Content: oa.Text(*in.Instructions)})
	}
	var b builder
	if err := b.items("previous_response_id", prior); err != nil {
		return nil, err
	}
	if in.Input != nil {
		if in.Input.IsText {
			b.flush()
			b.msgs = append(b.msgs, oa.Message{Role: oa.RoleUser, Content: oa.Text(in.Input.Text)})
		} else if err := b.items("input", in.Input.Items); err != nil {
			return nil, err
		}
	}
	b.flush()
	if len(b.msgs) == 0 {
		return nil, invalid("input", "at least one input item is required")
	}
	out.Messages = append(out.Messages, b.msgs...)
	if err := setTools(out, in); err != nil {
		return nil, err
	}
	return out, nil
}

// hostedIncludes add the results of hosted tools, which a translated
// request cannot declare (setTools refuses them): asking for them changes
// nothing.
var hostedIncludes = map[string]bool{
	"file_search_call.results":              true,
	"web_search_call.results":               true,
	"web_search_call.action.sources":        true,
	"message.input_image.image_url":         true,
	"computer_call_output.output.image_url": true,
	"code_interpreter_call.outputs":         true,
}

// checkParams refuses the top-level members the chat form cannot carry.
func checkParams(in *rs.Request) error {
	if len(in.Extra) > 0 {
		name := rs.ExtraNames(in.Extra)[0]
		return invalid(name, "this parameter is not supported for this model's provider")
	}
	switch {
	case in.Background != nil && *in.Background:
		return invalid("background", "background responses are not supported for this model's provider")
	case in.Truncation != "" && in.Truncation != "disabled":
		return invalid("truncation", "only \"disabled\" is supported for this model's provider")
	case in.ServiceTier != "" && in.ServiceTier != "auto" && in.ServiceTier != "default":
		return invalid("service_tier", "%q is not supported for this model's provider", in.ServiceTier)
	case in.StreamOptions != nil && len(in.StreamOptions.Extra) > 0:
		return invalid("stream_options."+rs.ExtraNames(in.StreamOptions.Extra)[0], "not supported")
	case in.Reasoning != nil && len(in.Reasoning.Extra) > 0:
		return invalid("reasoning."+rs.ExtraNames(in.Reasoning.Extra)[0], "not supported")
	}
	for i, inc := range in.Include {
		switch {
		case inc == rs.IncludeOutputLogprobs:
			return invalid(fmt.Sprintf("include[%d]", i), "%q is not supported for this model's provider", inc)
		case !hostedIncludes[inc] && inc != rs.IncludeReasoningEncrypted:
			return invalid(fmt.Sprintf("include[%d]", i), "unknown value %q", inc)
		}
	}
	return nil
}

// setText maps text.format to response_format and text.verbosity to
// chat's verbosity.
func setText(out *oa.ChatRequest, extra map[string]json.RawMessage, t *rs.TextConfig) error {
	if t == nil {
		return nil
	}
	if len(t.Extra) > 0 {
		return invalid("text."+rs.ExtraNames(t.Extra)[0], "not supported")
	}
	if t.Verbosity != "" {
		extra["verbosity"], _ = json.Marshal(t.Verbosity)
	}
	f := t.Format
	if f == nil {
		return nil
	}
	if len(f.Extra) > 0 {
		return invalid("text.format."+rs.ExtraNames(f.Extra)[0], "not supported")
	}
	switch f.Type {
	case rs.FormatText:
	case rs.FormatJSONObject:
		out.ResponseFormat = &oa.ResponseFormat{Type: "json_object"}
	case rs.FormatJSONSchema:
		if f.Name == "" {
			return invalid("text.format.name", "required for json_schema")
		}
		if len(f.Schema) == 0 {
			return invalid("text.format.schema", "required for json_schema")
		}
		out.ResponseFormat = &oa.ResponseFormat{Type: "json_schema", JSONSchema: &oa.JSONSchema{
			Name: f.Name, Description: f.Description, Schema: f.Schema, Strict: f.Strict}}
	default:
		return invalid("text.format.type", "unknown value %q", f.Type)
	}
	return nil
}

func setTools(out *oa.ChatRequest, in *rs.Request) error {
	for i, t := range in.Tools {
		param := fmt.Sprintf("tools[%d]", i)
		if t.Type != rs.ToolFunction {
			return invalid(param+".type", "only function tools are supported for this model's provider (got %q)", t.Type)
		}
		if len(t.Extra) > 0 {
			return invalid(param+"."+rs.ExtraNames(t.Extra)[0], "not supported for this model's provider")
		}
		if t.Name == "" {
			return invalid(param+".name", "field required")
		}
		out.Tools = append(out.Tools, oa.Tool{Type: "function", Function: oa.FunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	tc := in.ToolChoice
	switch {
	case tc == nil:
	case tc.Mode == oa.ToolChoiceNone || tc.Mode == oa.ToolChoiceAuto || tc.Mode == oa.ToolChoiceRequired:
		out.ToolChoice = &oa.ToolChoice{Mode: tc.Mode}
	case tc.Mode != "":
		return invalid("tool_choice", "unknown value %q", tc.Mode)
	case tc.Type == rs.ToolFunction && tc.Name != "":
		out.ToolChoice = &oa.ToolChoice{Function: tc.Name}
	case tc.Type == rs.ToolFunction:
		return invalid("tool_choice.name", "required when type is function")
	default:
		return invalid("tool_choice.type", "%q is not supported for this model's provider", tc.Type)
	}
	return nil
}
