package anthropic

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// Anthropic's thinking blocks must come back on the next turn as they were
// sent — the thinking text with its signature, redacted_thinking with its
// data — or a conversation with extended thinking and tool use is refused.
// The canonical chat form carries them in the gateway's
// reasoning_encrypted_content extension (the Responses API's reasoning
// items' encrypted_content on the client's side), encoded so that pieces
// concatenate: each block is one segment, thinkingPrefix followed by the
// block's JSON in unpadded base64url and thinkingEnd. A stream emits a
// segment per block as it ends; a whole answer the segments of every block.
// Reasoning state that is not in this form (another vendor's) is not
// Anthropic's to read and is left out of the request.
const (
	thinkingPrefix = "tg-anthropic-thinking.v1."
	thinkingEnd    = ";"
)

// thinkingState is one signed block as it travels.
type thinkingState struct {
	Type      string `json:"type"`
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
}

// encodeThinking is the segment of one thinking or redacted_thinking block;
// "" for a block with nothing to send back (thinking without a signature).
func encodeThinking(b thinkingState) string {
	if (b.Type == ant.BlockThinking && b.Signature == "") || (b.Type == ant.BlockRedactedThinking && b.Data == "") {
		return ""
	}
	raw, err := json.Marshal(b)
	if err != nil {
		return ""
	}
	return thinkingPrefix + base64.RawURLEncoding.EncodeToString(raw) + thinkingEnd
}

// decodeThinking reads the blocks of reasoning state; nil when it holds
// none of Anthropic's, an error when it claims to and cannot be read.
func decodeThinking(state string) ([]ant.ContentBlock, error) {
	if !strings.HasPrefix(state, thinkingPrefix) {
		return nil, nil
	}
	var out []ant.ContentBlock
	for seg := range strings.SplitSeq(state, thinkingEnd) {
		if seg == "" {
			continue
		}
		enc, ok := strings.CutPrefix(seg, thinkingPrefix)
		if !ok {
			return nil, fmt.Errorf("reasoning state segment %d is not Anthropic thinking", len(out))
		}
		raw, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			return nil, fmt.Errorf("reasoning state segment %d: %w", len(out), err)
		}
		var b thinkingState
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("reasoning state segment %d: %w", len(out), err)
		}
		switch b.Type {
		case ant.BlockThinking:
			out = append(out, ant.ContentBlock{Type: ant.BlockThinking, Thinking: b.Thinking, Signature: b.Signature})
		case ant.BlockRedactedThinking:
			out = append(out, ant.ContentBlock{Type: ant.BlockRedactedThinking, Data: b.Data})
		default:
			return nil, fmt.Errorf("reasoning state segment %d has block type %q", len(out), b.Type)
		}
	}
	return out, nil
}
