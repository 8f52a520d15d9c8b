package messages

import (
	"encoding/json"
	"fmt"
	"strings"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Response turns a canonical chat.completion body into an Anthropic
// message. model, when not empty, replaces the upstream's model name (the
// client sees the name it asked for).
func Response(body []byte, model string) ([]byte, error) {
	var in oa.ChatResponse
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	if model == "" {
		model = in.Model
	}
	out := ant.MessagesResponse{
		ID:      messageID(in.ID),
		Type:    "message",
		Role:    ant.RoleAssistant,
		Content: []ant.ContentBlock{},
		Model:   model,
		Usage:   usage(in.Usage),
	}
	stop := ant.StopEndTurn
	if len(in.Choices) > 0 {
		c := in.Choices[0]
		if c.Message.ReasoningContent != "" {
			out.Content = append(out.Content, ant.ContentBlock{Type: ant.BlockThinking, Thinking: c.Message.ReasoningContent})
		}
		if s := c.Message.Content.String(); s != "" {
			out.Content = append(out.Content, ant.ContentBlock{Type: ant.BlockText, Text: s})
		}
		for _, tc := range c.Message.ToolCalls {
			out.Content = append(out.Content, ant.ContentBlock{Type: ant.BlockToolUse, ID: tc.ID, Name: tc.Function.Name,
				Input: inputObject(tc.Function.Arguments)})
		}
		stop = stopReason(c.FinishReason)
	}
	out.StopReason = &stop
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding message: %w", err)
	}
	return enc, nil
}

// messageID gives an OpenAI id Anthropic's "msg_" look.
func messageID(id string) string {
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	id = strings.TrimPrefix(id, "chatcmpl-")
	if id == "" {
		id = "gateway"
	}
	return "msg_" + id
}

// stopReason maps OpenAI's finish_reason to a stop_reason.
func stopReason(finish string) string {
	switch finish {
	case oa.FinishLength:
		return ant.StopMaxTokens
	case oa.FinishToolCalls, "function_call":
		return ant.StopToolUse
	case oa.FinishContentFilter:
		return ant.StopRefusal
	default:
		return ant.StopEndTurn
	}
}

// usage converts OpenAI usage: Anthropic's input_tokens exclude the cache
// reads and writes that OpenAI's prompt_tokens include.
func usage(u *oa.Usage) *ant.Usage {
	if u == nil {
		return &ant.Usage{}
	}
	cached, written := u.CachedTokens(), u.CacheCreationInputTokens
	return &ant.Usage{
		InputTokens:              max(u.PromptTokens-cached-written, 0),
		OutputTokens:             u.CompletionTokens,
		CacheReadInputTokens:     cached,
		CacheCreationInputTokens: written,
	}
}

// inputObject returns tool arguments as a JSON object; a model's invalid
// arguments are kept as a string under "_raw" rather than dropped.
func inputObject(args string) json.RawMessage {
	raw := json.RawMessage(strings.TrimSpace(args))
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	if raw[0] == '{' && json.Valid(raw) {
		return raw
	}
	b, _ := json.Marshal(map[string]string{"_raw": args})
	return b
}
