package anthropic

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// TestThinkingRoundTrip: the signed thinking and redacted_thinking blocks
// of an answer come back, first and byte for byte, in the assistant turn
// of the next request built from the canonical form; reasoning state that
// is not Anthropic's is left out, and a damaged one is refused.
func TestThinkingRoundTrip(t *testing.T) {
	answer := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[` +
		`{"type":"thinking","thinking":"Let me think.","signature":"sig-A=="},` +
		`{"type":"redacted_thinking","data":"opaque-B"},` +
		`{"type":"tool_use","id":"toolu_1","name":"get","input":{"q":1}}],"stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}}`
	chat, _, err := FromMessage([]byte(answer), time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Choices []struct {
			Message json.RawMessage `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(chat, &resp); err != nil || len(resp.Choices) != 1 {
		t.Fatalf("%s %v", chat, err)
	}
	next := func(assistant string) (*ant.MessagesRequest, error) {
		body := `{"model":"m","messages":[{"role":"user","content":"hi"},` + assistant +
			`,{"role":"tool","tool_call_id":"toolu_1","content":"42"}]}`
		return ToMessages([]byte(body), "claude-x", false)
	}
	req, err := next(string(resp.Choices[0].Message))
	if err != nil {
		t.Fatal(err)
	}
	blocks := req.Messages[1].Content
	if len(blocks) < 3 || blocks[0].Type != ant.BlockThinking || blocks[0].Thinking != "Let me think." || blocks[0].Signature != "sig-A==" ||
		blocks[1].Type != ant.BlockRedactedThinking || blocks[1].Data != "opaque-B" || blocks[2].Type != ant.BlockToolUse {
		t.Fatalf("assistant turn %+v", blocks)
	}
	foreign := `{"role":"assistant","content":null,"reasoning_encrypted_content":"gAAAAB-openai-state","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get","arguments":"{}"}}]}`
	if req, err = next(foreign); err != nil || req.Messages[1].Content[0].Type != ant.BlockToolUse {
		t.Fatalf("foreign state: %v %+v", err, req)
	}
	damaged := strings.Replace(foreign, "gAAAAB-openai-state", thinkingPrefix+"!!!;", 1)
	if _, err = next(damaged); err == nil || !strings.Contains(err.Error(), "messages[1]") {
		t.Fatalf("damaged state: %v", err)
	}
}
