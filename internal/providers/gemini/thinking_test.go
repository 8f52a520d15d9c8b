package gemini

import "testing"

// TestReasoningEffortBecomesThinkingBudget: reasoning_effort is Gemini's
// thinkingConfig.thinkingBudget, within maxOutputTokens; "none" is a
// budget of 0; an unknown effort is refused.
func TestReasoningEffortBecomesThinkingBudget(t *testing.T) {
	const user = `"messages":[{"role":"user","content":"hi"}]`
	for _, tc := range []struct {
		body string
		want int64 // -1: no thinkingConfig
	}{
		{`{"model":"m",` + user + `}`, -1},
		{`{"model":"m","reasoning_effort":"medium",` + user + `}`, 8192},
		{`{"model":"m","reasoning_effort":"high","max_tokens":1000,` + user + `}`, 1000},
		{`{"model":"m","reasoning_effort":"none",` + user + `}`, 0},
	} {
		out, err := toGenerate([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		var got int64 = -1
		if g := out.GenerationConfig; g != nil && g.ThinkingConfig != nil {
			got = *g.ThinkingConfig.ThinkingBudget
		}
		if got != tc.want {
			t.Errorf("%s: thinking budget %d, want %d", tc.body, got, tc.want)
		}
	}
	if _, err := toGenerate([]byte(`{"model":"m","reasoning_effort":"extreme",` + user + `}`)); err == nil {
		t.Error("an unknown effort was sent")
	}
}
