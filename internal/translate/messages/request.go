// Package messages serves Anthropic Messages API clients on top of the
// gateway's canonical OpenAI form: a /v1/messages request becomes a chat
// completions request, and the canonical answer (whole, streamed or
// failed) becomes Anthropic's message, SSE events or error body.
package messages

import (
	"encoding/json"
	"fmt"
	"strconv"
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
// Anthropic events always carry. A member the translation cannot carry is
// refused by name (see checkMembers), never dropped.
func Request(body []byte) ([]byte, *ant.MessagesRequest, error) {
	var in ant.MessagesRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, nil, invalid("request body is not a valid Messages request: %v", err)
	}
	if err := checkMembers(body); err != nil {
		return nil, nil, err
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
	if in.TopK != nil {
		// No chat member: carried as top_k, which OpenAI-compatible
		// servers such as vLLM read.
		out.Extra = map[string]json.RawMessage{"top_k": json.RawMessage(strconv.FormatInt(*in.TopK, 10))}
	}
	if err := setOutput(out, in); err != nil {
		return nil, err
	}
	if in.System != nil {
		s, err := systemText(*in.System)
		if err != nil {
			return nil, invalid("system.%v", err)
		}
		if s != "" {
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
		case ant.RoleSystem:
			msgs, err = systemMessage(m.Content)
		default:
			err = fmt.Errorf("unexpected role %q", m.Role)
		}
		if err != nil {
			return nil, invalid("messages.%d: %v", i, err)
		}
		out.Messages = append(out.Messages, msgs...)
	}
	if err := clearThinking(out.Messages, in.ContextManagement); err != nil {
		return nil, err
	}
	if err := setTools(out, in); err != nil {
		return nil, err
	}
	return out, nil
}

// systemText joins the text blocks of a system prompt; it holds text
// blocks only.
func systemText(s ant.System) (string, error) {
	parts := make([]string, 0, len(s))
	for j, b := range s {
		if b.Type != ant.BlockText {
			return "", fmt.Errorf("%d: a system prompt holds text blocks only, not %q", j, b.Type)
		}
		if b.Text != "" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n\n"), nil
}

// systemMessage is a mid-conversation system message: a chat system
// message at the same place.
func systemMessage(blocks ant.Content) ([]oa.Message, error) {
	s, err := systemText(ant.System(blocks))
	if err != nil {
		return nil, fmt.Errorf("content.%w", err)
	}
	if s == "" {
		return nil, nil
	}
	return []oa.Message{{Role: oa.RoleSystem, Content: oa.Text(s)}}, nil
}

// userMessages splits a user turn: tool_result blocks become tool
// messages (first, as OpenAI wants them right after the assistant's
// calls), the rest one user message. Images and documents a tool returned
// cannot ride in a tool message (text only): they open that user message,
// introduced by the call they came from.
func userMessages(blocks ant.Content) ([]oa.Message, error) {
	var tools []oa.Message
	var fromTools, parts []oa.ContentPart
	for j, b := range blocks {
		switch b.Type {
		case ant.BlockToolResult:
			msg, media, err := toolResult(b)
			if err != nil {
				return nil, fmt.Errorf("content.%d: %w", j, err)
			}
			tools = append(tools, msg)
			fromTools = append(fromTools, media...)
		default:
			p, err := userPart(b)
			if err != nil {
				return nil, fmt.Errorf("content.%d: %w", j, err)
			}
			parts = append(parts, p...)
		}
	}
	parts = append(fromTools, parts...)
	out := tools
	switch {
	case len(parts) == 1 && parts[0].Type == oa.PartText:
		out = append(out, oa.Message{Role: oa.RoleUser, Content: oa.Text(parts[0].Text)})
	case len(parts) > 0:
		out = append(out, oa.Message{Role: oa.RoleUser, Content: oa.Content{Parts: parts}})
	}
	return out, nil
}

// userPart is the chat content of one user block other than tool_result.
func userPart(b ant.ContentBlock) ([]oa.ContentPart, error) {
	switch b.Type {
	case ant.BlockText:
		return []oa.ContentPart{{Type: oa.PartText, Text: b.Text}}, nil
	case ant.BlockImage:
		u, err := imageURL(b.Source)
		if err != nil {
			return nil, err
		}
		return []oa.ContentPart{{Type: oa.PartImageURL, ImageURL: &oa.ImageURL{URL: u}}}, nil
	case ant.BlockDocument:
		return documentParts(b)
	default:
		return nil, fmt.Errorf("block type %q is not allowed in a user message", b.Type)
	}
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
