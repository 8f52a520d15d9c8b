// Package messages serves Anthropic Messages API clients on top of the
// gateway's canonical OpenAI form: a /v1/messages request becomes a chat
// completions request, and the canonical answer (whole, streamed or
// failed) becomes Anthropic's message, SSE events or error body.
package messages

import (
	"encoding/json"
	"fmt"
	"strings"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// RequestError is a Messages request the gateway cannot translate; the
// client gets 400 invalid_request_error with Message.
type RequestError struct{ Message string }

func (e *RequestError) Error() string { return e.Message }

func invalid(format string, a ...any) *RequestError {
	return &RequestError{Message: fmt.Sprintf(format, a...)}
}

// Request decodes a /v1/messages body and returns the canonical chat
// completions body with the decoded request (for its model and stream
// flag). Streams ask for usage (stream_options.include_usage), which the
// Anthropic events always carry.
func Request(body []byte) ([]byte, *ant.MessagesRequest, error) {
	var in ant.MessagesRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, nil, invalid("request body is not a valid Messages request: %v", err)
	}
	out, err := ToChat(&in)
	if err != nil {
		return nil, nil, err
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding chat completions request: %w", err)
	}
	return enc, &in, nil
}

// ToChat translates a decoded Messages request.
func ToChat(in *ant.MessagesRequest) (*oa.ChatRequest, error) {
	if in.Model == "" {
		return nil, invalid("model: field required")
	}
	if in.MaxTokens <= 0 {
		return nil, invalid("max_tokens: must be a positive integer")
	}
	if len(in.Messages) == 0 {
		return nil, invalid("messages: at least one message is required")
	}
	out := &oa.ChatRequest{
		Model:       in.Model,
		MaxTokens:   oa.Ptr(in.MaxTokens),
		Temperature: in.Temperature,
		TopP:        in.TopP,
		Stop:        oa.Stop(in.StopSequences),
		Stream:      in.Stream,
	}
	if in.Stream {
		out.StreamOptions = &oa.StreamOptions{IncludeUsage: true}
	}
	if in.Metadata != nil {
		out.User = in.Metadata.UserID
	}
	if in.System != nil {
		if s := systemText(*in.System); s != "" {
			out.Messages = append(out.Messages, oa.Message{Role: oa.RoleSystem, Content: oa.Text(s)})
		}
	}
	for i, m := range in.Messages {
		var msgs []oa.Message
		var err error
		switch m.Role {
		case ant.RoleUser:
			msgs, err = userMessages(m.Content)
		case ant.RoleAssistant:
			msgs, err = assistantMessage(m.Content)
		default:
			err = fmt.Errorf("unexpected role %q", m.Role)
		}
		if err != nil {
			return nil, invalid("messages.%d: %v", i, err)
		}
		out.Messages = append(out.Messages, msgs...)
	}
	if err := setTools(out, in); err != nil {
		return nil, err
	}
	return out, nil
}

func systemText(s ant.System) string {
	parts := make([]string, 0, len(s))
	for _, b := range s {
		if b.Type == ant.BlockText && b.Text != "" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n\n")
}

// userMessages splits a user turn: tool_result blocks become tool
// messages (first, as OpenAI wants them right after the assistant's
// calls), the rest one user message.
func userMessages(blocks ant.Content) ([]oa.Message, error) {
	var tools []oa.Message
	var parts []oa.ContentPart
	for j, b := range blocks {
		switch b.Type {
		case ant.BlockText:
			parts = append(parts, oa.ContentPart{Type: oa.PartText, Text: b.Text})
		case ant.BlockImage:
			u, err := imageURL(b.Source)
			if err != nil {
				return nil, fmt.Errorf("content.%d: %v", j, err)
			}
			parts = append(parts, oa.ContentPart{Type: oa.PartImageURL, ImageURL: &oa.ImageURL{URL: u}})
		case ant.BlockToolResult:
			if b.ToolUseID == "" {
				return nil, fmt.Errorf("content.%d: tool_result needs tool_use_id", j)
			}
			text := ""
			if b.Content != nil {
				text = ant.TextOf(*b.Content)
			}
			if b.IsError && text != "" {
				text = "Error: " + text
			} else if b.IsError {
				text = "Error"
			}
			tools = append(tools, oa.Message{Role: oa.RoleTool, ToolCallID: b.ToolUseID, Content: oa.Text(text)})
		case ant.BlockDocument:
			return nil, fmt.Errorf("content.%d: document blocks are not supported by this gateway", j)
		default:
			return nil, fmt.Errorf("content.%d: block type %q is not allowed in a user message", j, b.Type)
		}
	}
	out := tools
	switch {
	case len(parts) == 1 && parts[0].Type == oa.PartText:
		out = append(out, oa.Message{Role: oa.RoleUser, Content: oa.Text(parts[0].Text)})
	case len(parts) > 0:
		out = append(out, oa.Message{Role: oa.RoleUser, Content: oa.Content{Parts: parts}})
	}
	return out, nil
}

func imageURL(src *ant.Source) (string, error) {
	switch {
	case src == nil:
		return "", fmt.Errorf("image block needs a source")
	case src.Type == "base64" && src.MediaType != "" && src.Data != "":
		return "data:" + src.MediaType + ";base64," + src.Data, nil
	case src.Type == "url" && src.URL != "":
		return src.URL, nil
	default:
		return "", fmt.Errorf("image source must be base64 (with media_type and data) or url")
	}
}

func assistantMessage(blocks ant.Content) ([]oa.Message, error) {
	msg := oa.Message{Role: oa.RoleAssistant}
	var text, thinking strings.Builder
	for j, b := range blocks {
		switch b.Type {
		case ant.BlockText:
			text.WriteString(b.Text)
		case ant.BlockThinking:
			thinking.WriteString(b.Thinking)
		case ant.BlockRedactedThinking:
		case ant.BlockToolUse:
			if b.ID == "" || b.Name == "" {
				return nil, fmt.Errorf("content.%d: tool_use needs id and name", j)
			}
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, oa.ToolCall{ID: b.ID, Type: "function", Function: oa.FunctionCall{Name: b.Name, Arguments: args}})
		default:
			return nil, fmt.Errorf("content.%d: block type %q is not allowed in an assistant message", j, b.Type)
		}
	}
	msg.Content = oa.Text(text.String())
	msg.ReasoningContent = thinking.String()
	if msg.Content.IsEmpty() && len(msg.ToolCalls) == 0 {
		return nil, nil
	}
	return []oa.Message{msg}, nil
}

func setTools(out *oa.ChatRequest, in *ant.MessagesRequest) error {
	for i, t := range in.Tools {
		if (t.Type != "" && t.Type != "custom") || len(t.InputSchema) == 0 {
			return invalid("tools.%d: only client tools with an input_schema are supported (server tool %q)", i, t.Type)
		}
		out.Tools = append(out.Tools, oa.Tool{Type: "function", Function: oa.FunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.InputSchema}})
	}
	tc := in.ToolChoice
	if tc == nil {
		return nil
	}
	switch tc.Type {
	case ant.ToolChoiceAuto:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceAuto}
	case ant.ToolChoiceAny:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceRequired}
	case ant.ToolChoiceNone:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceNone}
	case ant.ToolChoiceTool:
		if tc.Name == "" {
			return invalid("tool_choice.name: required when type is tool")
		}
		out.ToolChoice = &oa.ToolChoice{Function: tc.Name}
	default:
		return invalid("tool_choice.type: unknown value %q", tc.Type)
	}
	if tc.DisableParallelToolUse && len(out.Tools) > 0 {
		out.ParallelToolCalls = oa.Ptr(false)
	}
	return nil
}
