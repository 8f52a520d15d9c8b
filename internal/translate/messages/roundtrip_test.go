package messages

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	provant "github.com/tollgate-dev/tollgate/internal/providers/anthropic"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// TestRoundTripAnthropic: OpenAI → Anthropic (upstream adapter) → OpenAI
// (client-side translator) keeps messages, tools and usage.
func TestRoundTripAnthropic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		in := providertest.RandomConversation(r)
		body, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		am, err := provant.ToMessages(body, "m", false)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		back, err := ToChat(am)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		providertest.WantSameConversation(t, i, in, back.Messages, back.Tools)
		if *back.MaxTokens != *in.MaxTokens {
			t.Fatalf("case %d: max_tokens changed", i)
		}

		// Usage and the answer: OpenAI response → Anthropic message → OpenAI.
		u := oa.NewUsage(int64(r.IntN(1e6)), int64(r.IntN(1e5)), 0, 0, 0)
		u.PromptTokensDetails.CachedTokens = int64(r.IntN(int(u.PromptTokens/2 + 1)))
		u.CacheCreationInputTokens = int64(r.IntN(int(u.PromptTokens/2 + 1)))
		last := in.Messages[len(in.Messages)-1]
		if last.Role != oa.RoleAssistant {
			last = oa.Message{Role: oa.RoleAssistant, Content: oa.Text("final")}
		}
		finish := oa.FinishStop
		if len(last.ToolCalls) > 0 {
			finish = oa.FinishToolCalls
		}
		resp := oa.ChatResponse{ID: "msg_x", Object: "chat.completion", Model: "m",
			Choices: []oa.Choice{{Message: oa.Message{Role: oa.RoleAssistant, Content: last.Content, ToolCalls: last.ToolCalls}, FinishReason: finish}}, Usage: u}
		rb, _ := json.Marshal(resp)
		ab, err := Response(rb, "m")
		if err != nil {
			t.Fatal(err)
		}
		ob, usage, err := provant.FromMessage(ab, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		var got oa.ChatResponse
		if err := json.Unmarshal(ob, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Usage, u) || usage.InputTokens != u.PromptTokens || usage.CachedInputTokens != u.CachedTokens() ||
			usage.CacheWriteTokens != u.CacheCreationInputTokens || usage.OutputTokens != u.CompletionTokens {
			t.Fatalf("case %d: usage changed: %+v → %+v (%+v)", i, u, got.Usage, usage)
		}
		if !reflect.DeepEqual(got.Choices[0].Message, resp.Choices[0].Message) || got.Choices[0].FinishReason != finish {
			t.Fatalf("case %d: answer changed: %+v → %+v", i, resp.Choices[0], got.Choices[0])
		}
	}
}
