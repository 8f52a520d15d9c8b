package gemini

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// backToOpenAI reads a generateContent request the way a Gemini-facing
// client would have written it in OpenAI's shape. Gemini has no call ids:
// they are numbered in order, as providertest.RandomConversation numbers them.
func backToOpenAI(g *generateRequest) ([]oa.Message, []oa.Tool) {
	var msgs []oa.Message
	if g.SystemInstruction != nil {
		for _, p := range g.SystemInstruction.Parts {
			msgs = append(msgs, oa.Message{Role: oa.RoleSystem, Content: oa.Text(p.Text)})
		}
	}
	calls, results := 0, 0
	for _, c := range g.Contents {
		var user, model oa.Message
		user.Role, model.Role = oa.RoleUser, oa.RoleAssistant
		for _, p := range c.Parts {
			switch {
			case p.FunctionCall != nil:
				model.ToolCalls = append(model.ToolCalls, oa.ToolCall{ID: fmt.Sprintf("call_%d", calls), Type: "function",
					Function: oa.FunctionCall{Name: p.FunctionCall.Name, Arguments: string(p.FunctionCall.Args)}})
				calls++
			case p.FunctionResponse != nil:
				var out struct {
					Output string `json:"output"`
				}
				_ = json.Unmarshal(p.FunctionResponse.Response, &out)
				msgs = append(msgs, oa.Message{Role: oa.RoleTool, ToolCallID: fmt.Sprintf("call_%d", results), Content: oa.Text(out.Output)})
				results++
			case c.Role == roleModel:
				model.Content = oa.Text(model.Content.String() + p.Text)
			default:
				user.Content = oa.Text(user.Content.String() + p.Text)
			}
		}
		msgs = providertest.AppendTurn(msgs, user, model)
	}
	var tools []oa.Tool
	for _, t := range g.Tools {
		for _, d := range t.FunctionDeclarations {
			tools = append(tools, oa.Tool{Type: "function", Function: oa.FunctionDef{Name: d.Name, Description: d.Description, Parameters: d.ParametersJSONSchema}})
		}
	}
	return msgs, tools
}

// TestRoundTrip: OpenAI → Gemini → OpenAI keeps messages, tools and usage.
func TestRoundTrip(t *testing.T) {
	providertest.RoundTrip(t, 3, toGenerate, backToOpenAI, func(i int, r *rand.Rand, in *oa.ChatRequest, g *generateRequest) {
		if g.GenerationConfig == nil || g.GenerationConfig.MaxOutputTokens != *in.MaxTokens {
			t.Fatalf("case %d: max tokens lost", i)
		}

		// Usage: Gemini's counts → OpenAI usage → the same figures.
		um := usageMetadata{PromptTokenCount: int64(r.IntN(1e6)), CandidatesTokenCount: int64(r.IntN(1e5)), ThoughtsTokenCount: int64(r.IntN(1e4))}
		um.CachedContentTokenCount = int64(r.IntN(int(um.PromptTokenCount + 1)))
		resp, _ := json.Marshal(generateResponse{Candidates: []candidate{{Content: &content{Role: roleModel, Parts: []part{{Text: "ok"}}}, FinishReason: "STOP"}}, UsageMetadata: &um})
		out, u, err := FromGenerate(resp, "m", providertest.Now)
		if err != nil {
			t.Fatal(err)
		}
		cr := providertest.ChatAnswer(t, out)
		want := oa.NewUsage(um.PromptTokenCount, um.CandidatesTokenCount+um.ThoughtsTokenCount, um.CachedContentTokenCount, 0, um.ThoughtsTokenCount)
		if !reflect.DeepEqual(cr.Usage, want) || u.InputTokens != want.PromptTokens || u.OutputTokens != want.CompletionTokens ||
			u.CachedInputTokens != um.CachedContentTokenCount || u.ReasoningTokens != um.ThoughtsTokenCount || !u.Reported {
			t.Fatalf("case %d: usage %+v → %+v / %+v", i, um, cr.Usage, u)
		}
	})
}
