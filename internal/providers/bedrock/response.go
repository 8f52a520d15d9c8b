package bedrock

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// FromConverse turns a Converse answer into a chat.completion. Converse
// does not name the model, so model (the upstream model asked) is used.
func FromConverse(body []byte, model string, now time.Time) ([]byte, providers.Usage, error) {
	var c converseResponse
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, providers.Usage{}, fmt.Errorf("bedrock: decoding response: %w", err)
	}
	msg := oa.Message{Role: oa.RoleAssistant}
	var text, thinking strings.Builder
	if c.Output.Message != nil {
		for _, b := range c.Output.Message.Content {
			switch {
			case b.ToolUse != nil:
				args := string(b.ToolUse.Input)
				if args == "" || args == "null" {
					args = "{}"
				}
				msg.ToolCalls = append(msg.ToolCalls, oa.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
					Function: oa.FunctionCall{Name: b.ToolUse.Name, Arguments: args}})
			case b.ReasoningContent != nil && b.ReasoningContent.ReasoningText != nil:
				thinking.WriteString(b.ReasoningContent.ReasoningText.Text)
			default:
				text.WriteString(b.Text)
			}
		}
	}
	msg.Content = oa.Text(text.String())
	msg.ReasoningContent = thinking.String()
	out := oa.ChatResponse{ID: chatID(now), Object: "chat.completion", Created: now.Unix(), Model: model,
		Choices: []oa.Choice{{Index: 0, Message: msg, FinishReason: finishReason(c.StopReason)}}}
	var usage *providers.Usage
	if c.Usage != nil {
		usage = new(toUsage(c.Usage))
	}
	return vendorkit.ChatAnswer("bedrock", &out, usage)
}

func chatID(now time.Time) string { return "chatcmpl-" + strconv.FormatInt(now.UnixNano(), 36) }

// finishReason maps a Converse stopReason.
func finishReason(r string) string {
	switch r {
	case "tool_use":
		return oa.FinishToolCalls
	case "max_tokens", "model_context_window_exceeded":
		return oa.FinishLength
	case "content_filtered", "guardrail_intervened":
		return oa.FinishContentFilter
	default: // end_turn, stop_sequence
		return oa.FinishStop
	}
}

// toUsage: Converse's inputTokens exclude cache reads and writes.
func toUsage(u *usage) providers.Usage {
	return providers.Usage{
		InputTokens:       providers.SumTokens(u.InputTokens, u.CacheReadInputTokens, u.CacheWriteInputTokens),
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
		CacheWriteTokens:  u.CacheWriteInputTokens,
		Reported:          true,
	}
}
