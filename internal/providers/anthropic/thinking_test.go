package anthropic

import (
	"errors"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// TestReasoningEffortBecomesThinking: reasoning_effort is Anthropic's
// extended thinking with the effort's budget, under max_tokens; what
// Anthropic refuses with thinking is refused by name.
func TestReasoningEffortBecomesThinking(t *testing.T) {
	const user = `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		name, body string
		want       *ant.Thinking
		refused    bool
	}{
		{"none set", `{"model":"m","max_tokens":20000,` + user + `}`, nil, false},
		{"low", `{"model":"m","max_tokens":20000,"reasoning_effort":"low",` + user + `}`, &ant.Thinking{Type: "enabled", BudgetTokens: 2048}, false},
		{"high", `{"model":"m","max_tokens":20000,"reasoning_effort":"high",` + user + `}`, &ant.Thinking{Type: "enabled", BudgetTokens: 16384}, false},
		{"under max_tokens", `{"model":"m","max_tokens":4000,"reasoning_effort":"high",` + user + `}`, &ant.Thinking{Type: "enabled", BudgetTokens: 3999}, false},
		{"no room", `{"model":"m","max_tokens":500,"reasoning_effort":"high",` + user + `}`, nil, false},
		{"none", `{"model":"m","max_tokens":20000,"reasoning_effort":"none",` + user + `}`, nil, false},
		{"unknown", `{"model":"m","max_tokens":20000,"reasoning_effort":"extreme",` + user + `}`, nil, true},
		{"with temperature", `{"model":"m","max_tokens":20000,"reasoning_effort":"low","temperature":0.2,` + user + `}`, nil, true},
	} {
		out, err := ToMessages([]byte(tc.body), "claude", false)
		var pe *providers.Error
		switch {
		case tc.refused:
			if !errors.As(err, &pe) || pe.Status != 400 {
				t.Errorf("%s: want a 400, got %v", tc.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case (out.Thinking == nil) != (tc.want == nil) || (tc.want != nil && *out.Thinking != *tc.want):
			t.Errorf("%s: thinking %+v, want %+v", tc.name, out.Thinking, tc.want)
		}
	}
}
