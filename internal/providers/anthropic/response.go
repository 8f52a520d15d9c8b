package anthropic

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// FromMessage turns an Anthropic message object into a chat.completion.
func FromMessage(body []byte, now time.Time) ([]byte, providers.Usage, error) {
	var m ant.MessagesResponse
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, providers.Usage{}, fmt.Errorf("anthropic: decoding message: %w", err)
	}
	if m.Type != "" && m.Type != "message" {
		return nil, providers.Usage{}, fmt.Errorf("anthropic: expected a message object, got type %q", m.Type)
	}
	msg := oa.Message{Role: oa.RoleAssistant}
	var text, thinking, state strings.Builder
	for _, b := range m.Content {
		switch b.Type {
		case ant.BlockText:
			text.WriteString(b.Text)
		case ant.BlockThinking:
			thinking.WriteString(b.Thinking)
			state.WriteString(encodeThinking(thinkingState{Type: b.Type, Thinking: b.Thinking, Signature: b.Signature}))
		case ant.BlockRedactedThinking:
			state.WriteString(encodeThinking(thinkingState{Type: b.Type, Data: b.Data}))
		case ant.BlockToolUse:
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, oa.ToolCall{ID: b.ID, Type: "function",
				Function: oa.FunctionCall{Name: b.Name, Arguments: args}})
		}
	}
	msg.Content = oa.Text(text.String())
	msg.ReasoningContent = thinking.String()
	msg.ReasoningEncryptedContent = state.String()
	out := oa.ChatResponse{
		ID:      m.ID,
		Object:  "chat.completion",
		Created: now.Unix(),
		Model:   m.Model,
		Choices: []oa.Choice{{Index: 0, Message: msg, FinishReason: finishReason(m.StopReason)}},
	}
	var usage *providers.Usage
	if m.Usage != nil {
		usage = new(toUsage(*m.Usage))
	}
	return vendorkit.ChatAnswer("anthropic", &out, usage)
}

// finishReason maps a stop_reason to OpenAI's finish_reason.
func finishReason(r *string) string {
	if r == nil {
		return oa.FinishStop
	}
	switch *r {
	case ant.StopMaxTokens, "model_context_window_exceeded":
		return oa.FinishLength
	case ant.StopToolUse:
		return oa.FinishToolCalls
	case ant.StopRefusal:
		return oa.FinishContentFilter
	default: // end_turn, stop_sequence, pause_turn
		return oa.FinishStop
	}
}

// toUsage converts Anthropic usage: its input_tokens exclude cache reads
// and writes, OpenAI's prompt_tokens include them.
func toUsage(u ant.Usage) providers.Usage {
	return providers.Usage{
		InputTokens:       providers.SumTokens(u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens),
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
		CacheWriteTokens:  u.CacheCreationInputTokens,
		Reported:          true,
	}
}
