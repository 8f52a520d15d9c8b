package responses

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// TestRoundTripProperty: random conversations with reasoning, text and
// parallel tool calls, played the way a Responses client plays them
// (each canonical assistant answer becomes a response, whole or streamed,
// whose output items are replayed with the tool results in the next
// request), translate back to exactly the canonical conversation.
func TestRoundTripProperty(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 7))
		want, items := conversation(t, r, seed)
		req := &rs.Request{Model: "m", Input: &rs.Input{Items: items}}
		wire, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := Request(wire, nil)
		if err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, wire)
		}
		var chat oa.ChatRequest
		if err := json.Unmarshal(got, &chat); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(chat.Messages, want) {
			gb, _ := json.Marshal(chat.Messages)
			wb, _ := json.Marshal(want)
			t.Fatalf("seed %d: round trip changed the conversation\n got %s\nwant %s", seed, gb, wb)
		}
	}
}

// conversation returns the canonical messages and the Responses input
// items a client would send for them.
func conversation(t *testing.T, r *rand.Rand, seed uint64) ([]oa.Message, []rs.Item) {
	t.Helper()
	var want []oa.Message
	var items []rs.Item
	for turn := range 1 + r.IntN(4) {
		user := text(r)
		want = append(want, oa.Message{Role: oa.RoleUser, Content: oa.Text(user)})
		items = append(items, rs.Item{Role: rs.RoleUser, Content: rs.TextContent(user)})
		for step := 0; step < 3; step++ {
			asst := assistantTurn(r)
			want = append(want, asst)
			a := Answer{ID: fmt.Sprintf("resp_%d_%d_%d", seed, turn, step), Model: "m", CreatedAt: 1}
			items = append(items, outputOf(t, r, a, asst)...)
			if len(asst.ToolCalls) == 0 {
				break
			}
			for _, tc := range asst.ToolCalls {
				out := text(r)
				want = append(want, oa.Message{Role: oa.RoleTool, ToolCallID: tc.ID, Content: oa.Text(out)})
				items = append(items, rs.Item{Type: rs.ItemFunctionCallOutput, CallID: tc.ID, Output: rs.TextContent(out)})
			}
		}
	}
	return want, items
}

func assistantTurn(r *rand.Rand) oa.Message {
	m := oa.Message{Role: oa.RoleAssistant}
	if r.IntN(2) == 0 {
		m.ReasoningContent = text(r)
		if r.IntN(2) == 0 {
			m.ReasoningEncryptedContent = text(r)
		}
	}
	calls := r.IntN(4)
	if calls == 0 || r.IntN(2) == 0 {
		m.Content = oa.Text(text(r))
	}
	for i := range calls {
		args, _ := json.Marshal(map[string]string{"arg": text(r)})
		m.ToolCalls = append(m.ToolCalls, oa.ToolCall{ID: fmt.Sprintf("call_%d_%s", i, word(r)), Type: "function",
			Function: oa.FunctionCall{Name: word(r), Arguments: string(args)}})
	}
	return m
}

// outputOf answers asst through Response or, at random, through a
// stream cut into random pieces, and returns the response's output.
func outputOf(t *testing.T, r *rand.Rand, a Answer, asst oa.Message) []rs.Item {
	t.Helper()
	if r.IntN(2) == 0 {
		body, _ := json.Marshal(oa.ChatResponse{ID: "c", Object: "chat.completion", Model: "up",
			Choices: []oa.Choice{{Message: asst, FinishReason: finishOf(asst)}}})
		resp, err := Response(body, a)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Output
	}
	s := NewStream(a)
	send := func(d oa.Delta, finish *string) {
		b, _ := json.Marshal(oa.Chunk{ID: "c", Object: "chat.completion.chunk", Model: "up",
			Choices: []oa.ChunkChoice{{Delta: d, FinishReason: finish}}})
		if _, err := s.Chunk(b); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range pieces(r, asst.ReasoningContent) {
		send(oa.Delta{ReasoningContent: oa.Ptr(p)}, nil)
	}
	if asst.ReasoningEncryptedContent != "" {
		send(oa.Delta{ReasoningEncryptedContent: oa.Ptr(asst.ReasoningEncryptedContent)}, nil)
	}
	for _, p := range pieces(r, asst.Content.String()) {
		send(oa.Delta{Content: oa.Ptr(p)}, nil)
	}
	for i, tc := range asst.ToolCalls {
		for j, p := range pieces(r, tc.Function.Arguments) {
			d := oa.ToolCallDelta{Index: i, Function: oa.FunctionCallDelta{Arguments: p}}
			if j == 0 {
				d.ID, d.Type, d.Function.Name = tc.ID, "function", tc.Function.Name
			}
			send(oa.Delta{ToolCalls: []oa.ToolCallDelta{d}}, nil)
		}
	}
	send(oa.Delta{}, oa.Ptr(finishOf(asst)))
	s.Finish()
	if s.Result() == nil {
		t.Fatal("stream has no result")
	}
	return s.Result().Output
}

func finishOf(m oa.Message) string {
	if len(m.ToolCalls) > 0 {
		return oa.FinishToolCalls
	}
	return oa.FinishStop
}

// pieces cuts s into 1..4 non-empty pieces (none for "").
func pieces(r *rand.Rand, s string) []string {
	if s == "" {
		return nil
	}
	runes := []rune(s)
	var out []string
	for len(runes) > 0 {
		n := 1 + r.IntN(len(runes))
		out = append(out, string(runes[:n]))
		runes = runes[n:]
	}
	return out
}

var alphabet = []string{"a", "b", "ß", "日本", " ", "\n", `"`, `\`, "{", "}", "<", "é", "🙂", "0"}

func text(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString(word(r))
	for range r.IntN(12) {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func word(r *rand.Rand) string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 1+r.IntN(8))
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}
