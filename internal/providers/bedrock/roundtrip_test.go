package bedrock

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// backToOpenAI reads a Converse request back into OpenAI's shape.
func backToOpenAI(c *converseRequest) ([]oa.Message, []oa.Tool) {
	var msgs []oa.Message
	for _, s := range c.System {
		msgs = append(msgs, oa.Message{Role: oa.RoleSystem, Content: oa.Text(s.Text)})
	}
	for _, m := range c.Messages {
		var user, model oa.Message
		user.Role, model.Role = oa.RoleUser, oa.RoleAssistant
		for _, b := range m.Content {
			switch {
			case b.ToolUse != nil:
				model.ToolCalls = append(model.ToolCalls, oa.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
					Function: oa.FunctionCall{Name: b.ToolUse.Name, Arguments: string(b.ToolUse.Input)}})
			case b.ToolResult != nil:
				msgs = append(msgs, oa.Message{Role: oa.RoleTool, ToolCallID: b.ToolResult.ToolUseID, Content: oa.Text(b.ToolResult.Content[0].Text)})
			case m.Role == "assistant":
				model.Content = oa.Text(model.Content.String() + b.Text)
			default:
				user.Content = oa.Text(user.Content.String() + b.Text)
			}
		}
		msgs = providertest.AppendTurn(msgs, user, model)
	}
	var tools []oa.Tool
	if c.ToolConfig != nil {
		for _, t := range c.ToolConfig.Tools {
			tools = append(tools, oa.Tool{Type: "function", Function: oa.FunctionDef{Name: t.ToolSpec.Name, Description: t.ToolSpec.Description, Parameters: t.ToolSpec.InputSchema.JSON}})
		}
	}
	return msgs, tools
}

// TestRoundTrip: OpenAI → Converse → OpenAI keeps messages, tools and usage.
func TestRoundTrip(t *testing.T) {
	providertest.RoundTrip(t, 5, toConverse, backToOpenAI, func(i int, r *rand.Rand, in *oa.ChatRequest, c *converseRequest) {
		if c.InferenceConfig == nil || c.InferenceConfig.MaxTokens != *in.MaxTokens {
			t.Fatalf("case %d: max tokens lost", i)
		}

		// Usage: Converse's counts → OpenAI usage → the same figures.
		cu := usage{InputTokens: int64(r.IntN(1e6)), OutputTokens: int64(r.IntN(1e5)), CacheReadInputTokens: int64(r.IntN(1e5)), CacheWriteInputTokens: int64(r.IntN(1e5))}
		var resp converseResponse
		resp.Output.Message = &message{Role: "assistant", Content: []block{{Text: "ok"}}}
		resp.StopReason, resp.Usage = "end_turn", &cu
		rb, _ := json.Marshal(resp)
		out, u, err := FromConverse(rb, "m", providertest.Now)
		if err != nil {
			t.Fatal(err)
		}
		cr := providertest.ChatAnswer(t, out)
		input := cu.InputTokens + cu.CacheReadInputTokens + cu.CacheWriteInputTokens
		want := oa.NewUsage(input, cu.OutputTokens, cu.CacheReadInputTokens, cu.CacheWriteInputTokens, 0)
		if !reflect.DeepEqual(cr.Usage, want) || u.InputTokens != input || u.OutputTokens != cu.OutputTokens ||
			u.CachedInputTokens != cu.CacheReadInputTokens || u.CacheWriteTokens != cu.CacheWriteInputTokens || !u.Reported {
			t.Fatalf("case %d: usage %+v → %+v / %+v", i, cu, cr.Usage, u)
		}
	})
}
