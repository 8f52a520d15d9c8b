package responses

// Response statuses.
const (
	ResponseCompleted  = "completed"
	ResponseFailed     = "failed"
	ResponseInProgress = "in_progress"
	ResponseIncomplete = "incomplete"
)

// Incomplete reasons.
const (
	IncompleteMaxOutputTokens = "max_output_tokens"
	IncompleteContentFilter   = "content_filter"
)

// Response is a response object (object "response"): the answer of
// POST /v1/responses and the payload of the response.* stream events.
// Nullable members are pointers written as null when unset, as OpenAI
// writes them.
type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	CompletedAt        *int64             `json:"completed_at"`
	Background         bool               `json:"background"`
	Error              *Error             `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       *string            `json:"instructions"`
	MaxOutputTokens    *int64             `json:"max_output_tokens"`
	MaxToolCalls       *int64             `json:"max_tool_calls"`
	Model              string             `json:"model"`
	Output             []Item             `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	PromptCacheKey     *string            `json:"prompt_cache_key"`
	Reasoning          Reasoning          `json:"reasoning"`
	SafetyIdentifier   *string            `json:"safety_identifier"`
	ServiceTier        string             `json:"service_tier"`
	Store              bool               `json:"store"`
	Temperature        *float64           `json:"temperature"`
	Text               TextConfig         `json:"text"`
	ToolChoice         ToolChoice         `json:"tool_choice"`
	Tools              []Tool             `json:"tools"`
	TopP               *float64           `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *Usage             `json:"usage"`
	User               *string            `json:"user"`
	Metadata           map[string]string  `json:"metadata"`
	// OutputText is the SDKs' output_text convenience: the text of every
	// output_text part, concatenated.
	OutputText string `json:"output_text,omitempty"`
}

// Error is a failed response's "error".
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IncompleteDetails says why a response is incomplete.
type IncompleteDetails struct {
	Reason string `json:"reason"`
}

// Usage is a response's token usage: input includes cached and
// cache-write tokens, output includes reasoning tokens.
type Usage struct {
	InputTokens         int64               `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int64               `json:"output_tokens"`
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int64               `json:"total_tokens"`
}

// InputTokensDetails is usage.input_tokens_details.
type InputTokensDetails struct {
	CachedTokens     int64 `json:"cached_tokens"`
	CacheWriteTokens int64 `json:"cache_write_tokens"`
}

// OutputTokensDetails is usage.output_tokens_details.
type OutputTokensDetails struct {
	ReasoningTokens int64 `json:"reasoning_tokens"`
}

// Stream event types (the SSE "event:" name equals the payload's "type").
const (
	EventCreated               = "response.created"
	EventInProgress            = "response.in_progress"
	EventCompleted             = "response.completed"
	EventIncomplete            = "response.incomplete"
	EventFailed                = "response.failed"
	EventOutputItemAdded       = "response.output_item.added"
	EventOutputItemDone        = "response.output_item.done"
	EventContentPartAdded      = "response.content_part.added"
	EventContentPartDone       = "response.content_part.done"
	EventOutputTextDelta       = "response.output_text.delta"
	EventOutputTextDone        = "response.output_text.done"
	EventRefusalDelta          = "response.refusal.delta"
	EventRefusalDone           = "response.refusal.done"
	EventReasoningTextDelta    = "response.reasoning_text.delta"
	EventReasoningTextDone     = "response.reasoning_text.done"
	EventFunctionCallArgsDelta = "response.function_call_arguments.delta"
	EventFunctionCallArgsDone  = "response.function_call_arguments.done"
	EventError                 = "error"
)

// ErrorEvent is the payload of an "error" stream event.
type ErrorEvent struct {
	Type           string  `json:"type"`
	Code           string  `json:"code"`
	Message        string  `json:"message"`
	Param          *string `json:"param"`
	SequenceNumber int64   `json:"sequence_number"`
}
