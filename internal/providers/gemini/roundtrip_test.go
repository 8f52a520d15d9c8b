package gemini

import (
	"encoding/json"
	"fmt"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"math/rand/v2"
	"reflect"
	"testing"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// randomConversation builds a valid OpenAI conversation with a system
// prompt, tools, text turns, tool calls and their results.
func randomConversation(r *rand.Rand) *oa.ChatRequest {
	word := func() string { return fmt.Sprintf("w%d", r.IntN(1000)) }
	req := &oa.ChatRequest{Model: "m", MaxTokens: oa.Ptr(int64(1 + r.IntN(4000)))}
	req.Messages = append(req.Messages, oa.Message{Role: oa.RoleSystem, Content: oa.Text("sys " + word())})
	for i := range 1 + r.IntN(3) {
		req.Tools = append(req.Tools, oa.Tool{Type: "function", Function: oa.FunctionDef{Name: fmt.Sprintf("tool_%d", i), Description: word(),
			Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)}})
	}
	call := 0
	for range 1 + r.IntN(4) {
		req.Messages = append(req.Messages, oa.Message{Role: oa.RoleUser, Content: oa.Text("user " + word())})
		a := oa.Message{Role: oa.RoleAssistant}
		if r.IntN(2) == 0 {
			a.Content = oa.Text("answer " + word())
		}
		for range r.IntN(3) {
			a.ToolCalls = append(a.ToolCalls, oa.ToolCall{ID: fmt.Sprintf("call_%d", call), Type: "function",
				Function: oa.FunctionCall{Name: req.Tools[r.IntN(len(req.Tools))].Function.Name, Arguments: fmt.Sprintf(`{"q":"%s"}`, word())}})
			call++
		}
		if a.Content.IsEmpty() && len(a.ToolCalls) == 0 {
			a.Content = oa.Text("fallback")
		}
		req.Messages = append(req.Messages, a)
		for _, tc := range a.ToolCalls {
			req.Messages = append(req.Messages, oa.Message{Role: oa.RoleTool, ToolCallID: tc.ID, Content: oa.Text("result " + word())})
		}
	}
	return req
}

// backToOpenAI reads a generateContent request the way a Gemini-facing
// client would have written it in OpenAI's shape. Gemini has no call ids:
// they are numbered in order, as randomConversation numbers them.
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
		if !user.Content.IsEmpty() {
			msgs = append(msgs, user)
		}
		if !model.Content.IsEmpty() || len(model.ToolCalls) > 0 {
			msgs = append(msgs, model)
		}
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
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 300 {
		in := randomConversation(r)
		body, _ := json.Marshal(in)
		g, err := toGenerate(body)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		msgs, tools := backToOpenAI(g)
		if !reflect.DeepEqual(msgs, in.Messages) || !reflect.DeepEqual(tools, in.Tools) {
			a, _ := json.Marshal(in.Messages)
			b, _ := json.Marshal(msgs)
			t.Fatalf("case %d: changed\n in: %s\nout: %s", i, a, b)
		}
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
		var cr oa.ChatResponse
		if err := json.Unmarshal(out, &cr); err != nil {
			t.Fatal(err)
		}
		want := oa.NewUsage(um.PromptTokenCount, um.CandidatesTokenCount+um.ThoughtsTokenCount, um.CachedContentTokenCount, 0, um.ThoughtsTokenCount)
		if !reflect.DeepEqual(cr.Usage, want) || u.InputTokens != want.PromptTokens || u.OutputTokens != want.CompletionTokens ||
			u.CachedInputTokens != um.CachedContentTokenCount || u.ReasoningTokens != um.ThoughtsTokenCount || !u.Reported {
			t.Fatalf("case %d: usage %+v → %+v / %+v", i, um, cr.Usage, u)
		}
	}
}
