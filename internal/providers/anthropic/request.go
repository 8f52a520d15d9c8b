package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// DefaultMaxTokens is sent when the client set no output limit: Anthropic
// requires max_tokens.
const DefaultMaxTokens = 4096

// ToMessages translates a canonical chat request into a Messages request
// for model. Errors are *providers.Error with status 400.
func ToMessages(body []byte, model string, stream bool) (*ant.MessagesRequest, error) {
	var in oa.ChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("request body is not a valid chat completion request: %v", err)
	}
	if in.N != nil && *in.N > 1 {
		return nil, badRequest("n > 1 is not supported by this model's provider")
	}
	out := &ant.MessagesRequest{
		Model:         model,
		MaxTokens:     in.MaxOutputTokens(),
		StopSequences: in.Stop,
		Stream:        stream,
		TopP:          in.TopP,
	}
	if out.MaxTokens == 0 {
		out.MaxTokens = DefaultMaxTokens
	}
	if in.Temperature != nil {
		// OpenAI's range is 0..2, Anthropic's 0..1.
		t := min(*in.Temperature, 1)
		out.Temperature = &t
	}
	if in.User != "" {
		out.Metadata = &ant.Metadata{UserID: in.User}
	}
	var system ant.System
	for i, m := range in.Messages {
		switch m.Role {
		case oa.RoleSystem, oa.RoleDeveloper:
			if s := m.Content.String(); s != "" {
				system = append(system, ant.ContentBlock{Type: ant.BlockText, Text: s})
			}
		case oa.RoleUser:
			blocks, err := userBlocks(m.Content)
			if err != nil {
				return nil, badRequest("messages[%d]: %v", i, err)
			}
			out.Messages = appendTurn(out.Messages, ant.RoleUser, blocks)
		case oa.RoleAssistant:
			blocks, err := assistantBlocks(m)
			if err != nil {
				return nil, badRequest("messages[%d]: %v", i, err)
			}
			out.Messages = appendTurn(out.Messages, ant.RoleAssistant, blocks)
		case oa.RoleTool:
			if m.ToolCallID == "" {
				return nil, badRequest("messages[%d]: a tool message needs tool_call_id", i)
			}
			res := ant.ContentBlock{Type: ant.BlockToolResult, ToolUseID: m.ToolCallID}
			if s := m.Content.String(); s != "" {
				res.Content = &ant.Content{{Type: ant.BlockText, Text: s}}
			}
			out.Messages = appendTurn(out.Messages, ant.RoleUser, []ant.ContentBlock{res})
		default:
			return nil, badRequest("messages[%d]: unsupported role %q", i, m.Role)
		}
	}
	if len(out.Messages) == 0 {
		return nil, badRequest("messages must hold at least one user or assistant message")
	}
	if hint := jsonModeHint(in.ResponseFormat); hint != "" {
		system = append(system, ant.ContentBlock{Type: ant.BlockText, Text: hint})
	}
	if len(system) > 0 {
		out.System = &system
	}
	if err := setTools(out, &in); err != nil {
		return nil, err
	}
	if err := setThinking(out, in.ReasoningEffort); err != nil {
		return nil, err
	}
	return out, nil
}

// minThinkingBudget is the least budget_tokens Anthropic accepts.
const minThinkingBudget = 1024

// setThinking maps reasoning_effort to extended thinking with the effort's
// budget, kept under max_tokens (which Anthropic requires and the gateway
// judged); none, or a bound that leaves no room for the least budget,
// sends no thinking. Anthropic refuses thinking with a temperature or a
// forced tool: those are refused here by name.
func setThinking(out *ant.MessagesRequest, effort string) error {
	budget, ok := vendorkit.ThinkingBudget(effort)
	if !ok {
		return badRequest("reasoning_effort: %q is not one of none, minimal, low, medium, high, xhigh", effort)
	}
	budget = min(budget, out.MaxTokens-1)
	if budget < minThinkingBudget {
		return nil
	}
	switch {
	case out.Temperature != nil:
		return badRequest("reasoning_effort cannot be combined with temperature for this model's provider (Anthropic thinking)")
	case out.ToolChoice != nil && (out.ToolChoice.Type == "any" || out.ToolChoice.Type == "tool"):
		return badRequest("reasoning_effort cannot be combined with a forced tool_choice for this model's provider (Anthropic thinking)")
	}
	out.Thinking = &ant.Thinking{Type: ant.ThinkingEnabled, BudgetTokens: budget}
	return nil
}

// appendTurn adds blocks as a turn of role (vendorkit.AppendTurn).
func appendTurn(msgs []ant.Message, role string, blocks []ant.ContentBlock) []ant.Message {
	return vendorkit.AppendTurn(msgs, role, blocks, func(m *ant.Message) (*string, *[]ant.ContentBlock) {
		return &m.Role, (*[]ant.ContentBlock)(&m.Content)
	})
}

func userBlocks(c oa.Content) ([]ant.ContentBlock, error) {
	text := func(s string) ant.ContentBlock { return ant.ContentBlock{Type: ant.BlockText, Text: s} }
	return vendorkit.UserParts(c, text, func(u *oa.ImageURL) (ant.ContentBlock, error) {
		if u == nil || u.URL == "" {
			return ant.ContentBlock{}, errors.New("image_url.url is empty")
		}
		src, err := imageSource(u.URL)
		if err != nil {
			return ant.ContentBlock{}, err
		}
		return ant.ContentBlock{Type: ant.BlockImage, Source: src}, nil
	})
}

func imageSource(u string) (*ant.Source, error) {
	if d, ok := oa.ParseDataURL(u); ok {
		return &ant.Source{Type: "base64", MediaType: d.MediaType, Data: d.Base64}, nil
	}
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		return &ant.Source{Type: "url", URL: u}, nil
	}
	return nil, fmt.Errorf("image_url must be an http(s) URL or a base64 data: URL")
}

func assistantBlocks(m oa.Message) ([]ant.ContentBlock, error) {
	// Signed thinking goes back first, as Anthropic sent it.
	out, err := decodeThinking(m.ReasoningEncryptedContent)
	if err != nil {
		return nil, err
	}
	if s := m.Content.String(); s != "" {
		out = append(out, ant.ContentBlock{Type: ant.BlockText, Text: s})
	}
	for j, tc := range m.ToolCalls {
		if tc.ID == "" || tc.Function.Name == "" {
			return nil, fmt.Errorf("tool_calls[%d]: id and function.name are required", j)
		}
		out = append(out, ant.ContentBlock{Type: ant.BlockToolUse, ID: tc.ID, Name: tc.Function.Name,
			Input: vendorkit.ArgsObject(tc.Function.Arguments)})
	}
	return out, nil
}

func setTools(out *ant.MessagesRequest, in *oa.ChatRequest) error {
	for i, t := range in.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return badRequest("tools[%d]: only function tools with a name are supported", i)
		}
		out.Tools = append(out.Tools, ant.Tool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: vendorkit.ObjectSchema(t.Function.Parameters)})
	}
	tc := in.ToolChoice
	noParallel := in.ParallelToolCalls != nil && !*in.ParallelToolCalls
	switch {
	case tc == nil && !noParallel:
		return nil
	case tc == nil:
		out.ToolChoice = &ant.ToolChoice{Type: ant.ToolChoiceAuto}
	case tc.Function != "":
		out.ToolChoice = &ant.ToolChoice{Type: ant.ToolChoiceTool, Name: tc.Function}
	case tc.Mode == oa.ToolChoiceNone:
		out.ToolChoice = &ant.ToolChoice{Type: ant.ToolChoiceNone}
	case tc.Mode == oa.ToolChoiceRequired:
		out.ToolChoice = &ant.ToolChoice{Type: ant.ToolChoiceAny}
	case tc.Mode == oa.ToolChoiceAuto || tc.Mode == "":
		out.ToolChoice = &ant.ToolChoice{Type: ant.ToolChoiceAuto}
	default:
		return badRequest("tool_choice %q is not supported", tc.Mode)
	}
	if len(out.Tools) == 0 {
		out.ToolChoice = nil // Anthropic refuses tool_choice without tools
		return nil
	}
	out.ToolChoice.DisableParallelToolUse = noParallel && out.ToolChoice.Type != ant.ToolChoiceNone
	return nil
}

// jsonModeHint turns response_format into a system instruction: the
// Messages API has no JSON mode.
func jsonModeHint(rf *oa.ResponseFormat) string {
	if rf == nil {
		return ""
	}
	switch rf.Type {
	case "json_object":
		return "Respond with a single valid JSON object and nothing else."
	case "json_schema":
		if rf.JSONSchema != nil && len(rf.JSONSchema.Schema) > 0 {
			return "Respond with a single valid JSON value that conforms to this JSON Schema, and nothing else:\n" + string(rf.JSONSchema.Schema)
		}
		return "Respond with a single valid JSON object and nothing else."
	}
	return ""
}

func badRequest(format string, a ...any) *providers.Error {
	return vendorkit.BadRequest("anthropic", format, a...)
}
