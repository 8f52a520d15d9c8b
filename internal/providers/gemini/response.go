package gemini

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// FromGenerate turns a GenerateContentResponse into a chat.completion.
// A prompt blocked by safety filters is a 400 content_filter error.
func FromGenerate(body []byte, model string, now time.Time) ([]byte, providers.Usage, error) {
	var g generateResponse
	if err := json.Unmarshal(body, &g); err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: decoding response: %w", err)
	}
	if err := blocked(&g); err != nil {
		return nil, providers.Usage{}, err
	}
	ids := newCallIDs(now)
	out := oa.ChatResponse{ID: responseID(&g, now), Object: "chat.completion", Created: now.Unix(), Model: modelName(&g, model),
		Choices: []oa.Choice{}}
	for _, c := range g.Candidates {
		msg := oa.Message{Role: oa.RoleAssistant}
		var text, thought strings.Builder
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					msg.ToolCalls = append(msg.ToolCalls, oa.ToolCall{ID: ids.next(p.FunctionCall), Type: "function",
						Function: oa.FunctionCall{Name: p.FunctionCall.Name, Arguments: string(argsOrEmpty(p.FunctionCall.Args))}})
				case p.Thought:
					thought.WriteString(p.Text)
				default:
					text.WriteString(p.Text)
				}
			}
		}
		msg.Content = oa.Text(text.String())
		msg.ReasoningContent = thought.String()
		out.Choices = append(out.Choices, oa.Choice{Index: c.Index, Message: msg, FinishReason: finishReason(c.FinishReason, len(msg.ToolCalls) > 0)})
	}
	var usage *providers.Usage
	if g.UsageMetadata != nil {
		usage = new(toUsage(g.UsageMetadata))
	}
	return vendorkit.ChatAnswer("gemini", &out, usage)
}

// blocked reports a prompt refused by safety filters.
func blocked(g *generateResponse) *providers.Error {
	if g.PromptFeedback == nil || g.PromptFeedback.BlockReason == "" || len(g.Candidates) > 0 {
		return nil
	}
	return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "content_filter",
		Message: "gemini: the prompt was blocked by the provider's content filter (" + g.PromptFeedback.BlockReason + ")",
		Class:   providers.ClassFatal}
}

// finishReason maps Gemini's finishReason; STOP after function calls is
// OpenAI's tool_calls. Empty means not finished.
func finishReason(r string, calledTools bool) string {
	switch r {
	case "":
		return ""
	case "MAX_TOKENS":
		return oa.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE":
		return oa.FinishContentFilter
	}
	if calledTools {
		return oa.FinishToolCalls
	}
	return oa.FinishStop
}

// toUsage: promptTokenCount includes cached tokens; OpenAI's completion
// tokens include the thinking tokens Gemini counts apart.
func toUsage(u *usageMetadata) providers.Usage {
	return providers.Usage{
		InputTokens:       providers.SumTokens(u.PromptTokenCount, u.ToolUsePromptTokenCount),
		OutputTokens:      providers.SumTokens(u.CandidatesTokenCount, u.ThoughtsTokenCount),
		CachedInputTokens: u.CachedContentTokenCount,
		ReasoningTokens:   u.ThoughtsTokenCount,
		Reported:          true,
	}
}

func argsOrEmpty(a json.RawMessage) json.RawMessage {
	if len(a) == 0 || string(a) == "null" {
		return json.RawMessage("{}")
	}
	return a
}

func responseID(g *generateResponse, now time.Time) string {
	if g.ResponseID != "" {
		return "chatcmpl-" + g.ResponseID
	}
	return "chatcmpl-" + strconv.FormatInt(now.UnixNano(), 36)
}

func modelName(g *generateResponse, model string) string {
	if g.ModelVersion != "" {
		return g.ModelVersion
	}
	return model
}

// callIDs names function calls: Gemini's own id when it sent one, else a
// synthesised id unique to this answer.
type callIDs struct {
	prefix string
	n      int
}

func newCallIDs(now time.Time) *callIDs {
	return &callIDs{prefix: "call_" + strconv.FormatInt(now.UnixNano(), 36) + "_"}
}

func (c *callIDs) next(fc *functionCall) string {
	c.n++
	if fc.ID != "" {
		return fc.ID
	}
	return c.prefix + strconv.Itoa(c.n-1)
}
