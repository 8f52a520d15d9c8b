package anthropic

import "encoding/json"

// Stream event types (the SSE "event:" name equals the data's "type").
const (
	EventMessageStart      = "message_start"
	EventContentBlockStart = "content_block_start"
	EventContentBlockDelta = "content_block_delta"
	EventContentBlockStop  = "content_block_stop"
	EventMessageDelta      = "message_delta"
	EventMessageStop       = "message_stop"
	EventPing              = "ping"
	EventError             = "error"
)

// Delta types of content_block_delta.
const (
	DeltaText      = "text_delta"
	DeltaInputJSON = "input_json_delta"
	DeltaThinking  = "thinking_delta"
	DeltaSignature = "signature_delta"
)

// StreamEvent is the data of any stream event, decoded loosely: the members
// present depend on Type.
type StreamEvent struct {
	Type string `json:"type"`
	// message_start
	Message *MessagesResponse `json:"message,omitempty"`
	// content_block_*
	Index        *int          `json:"index,omitempty"`
	ContentBlock *ContentBlock `json:"content_block,omitempty"`
	// content_block_delta and message_delta
	Delta json.RawMessage `json:"delta,omitempty"`
	// message_delta (cumulative)
	Usage *DeltaUsage `json:"usage,omitempty"`
	// error
	Error *ErrorBody `json:"error,omitempty"`
}

// BlockDelta is the delta of a content_block_delta.
type BlockDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text,omitempty"`
	PartialJSON string `json:"partial_json,omitempty"`
	Thinking    string `json:"thinking,omitempty"`
	Signature   string `json:"signature,omitempty"`
}

// MessageDelta is the delta of a message_delta.
type MessageDelta struct {
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
}

// DeltaUsage is the usage of a message_delta: cumulative counts. Newer API
// versions repeat the input figures here; older ones send output only, so
// input members are pointers to tell "absent" from zero.
type DeltaUsage struct {
	InputTokens              *int64 `json:"input_tokens,omitempty"`
	OutputTokens             int64  `json:"output_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens,omitempty"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens,omitempty"`
}
