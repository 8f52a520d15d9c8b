// Package anthropic holds typed Anthropic Messages API structs, used both to
// call Anthropic upstream and to serve Anthropic-shaped clients.
package anthropic

import (
	"encoding/json"
	"errors"

	"github.com/tollgate-dev/tollgate/internal/schema/jsonform"
)

// MessagesRequest is a POST /v1/messages body.
type MessagesRequest struct {
	Model         string      `json:"model"`
	MaxTokens     int64       `json:"max_tokens"`
	Messages      []Message   `json:"messages"`
	System        *System     `json:"system,omitempty"`
	Metadata      *Metadata   `json:"metadata,omitempty"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	TopK          *int64      `json:"top_k,omitempty"`
	Tools         []Tool      `json:"tools,omitempty"`
	ToolChoice    *ToolChoice `json:"tool_choice,omitempty"`
	Thinking      *Thinking   `json:"thinking,omitempty"`
	// ContextManagement, OutputConfig, OutputFormat and ServiceTier are
	// newer members (context editing, effort and structured outputs).
	ContextManagement *ContextManagement `json:"context_management,omitempty"`
	OutputConfig      *OutputConfig      `json:"output_config,omitempty"`
	OutputFormat      *OutputFormat      `json:"output_format,omitempty"`
	ServiceTier       string             `json:"service_tier,omitempty"`
}

// ContextManagement is context_management: server-side context edits.
type ContextManagement struct {
	Edits []ContextEdit `json:"edits,omitempty"`
}

// ContextEdit is one context_management edit. Keep is "all" or an object
// such as {"type":"thinking_turns","value":N}; the other strategy members
// are kept raw.
type ContextEdit struct {
	Type string          `json:"type"`
	Keep json.RawMessage `json:"keep,omitempty"`
}

// Context edit types.
const (
	EditClearThinking = "clear_thinking_20251015"
	EditClearToolUses = "clear_tool_uses_20250919"
)

// OutputConfig is output_config: effort and a structured output format.
type OutputConfig struct {
	Effort string        `json:"effort,omitempty"`
	Format *OutputFormat `json:"format,omitempty"`
}

// OutputFormat is a structured output format: {"type":"json_schema","schema":{...}}.
type OutputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema,omitempty"`
}

// Metadata is the request's metadata.
type Metadata struct {
	UserID string `json:"user_id,omitempty"`
}

// Thinking enables extended thinking.
type Thinking struct {
	// Type is "enabled" (with BudgetTokens), "adaptive" or "disabled".
	Type         string `json:"type"`
	BudgetTokens int64  `json:"budget_tokens,omitempty"`
	// Display is "summarized" or "omitted": how thinking is shown.
	Display string `json:"display,omitempty"`
}

// Thinking types.
const (
	ThinkingEnabled  = "enabled"
	ThinkingAdaptive = "adaptive"
	ThinkingDisabled = "disabled"
)

// Roles.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	// RoleSystem is a mid-conversation system message (a beta that Claude
	// Code uses); the top-level system member stays the usual place.
	RoleSystem = "system"
)

// Message is one turn.
type Message struct {
	Role    string  `json:"role"`
	Content Content `json:"content"`
}

// Content is a message's content: a string (read only) or blocks. It is
// always written as an array of blocks.
type Content []ContentBlock

// UnmarshalJSON reads a string (as one text block) or an array of blocks.
func (c *Content) UnmarshalJSON(b []byte) error {
	blocks, err := jsonform.OneOrMany(b, func(s string) ContentBlock { return ContentBlock{Type: BlockText, Text: s} })
	if err != nil {
		return err
	}
	*c = blocks
	return nil
}

// System is the top-level system prompt: a string or text blocks. It is
// written as blocks.
type System []ContentBlock

// UnmarshalJSON reads a string or an array of text blocks.
func (s *System) UnmarshalJSON(b []byte) error {
	var c Content
	if err := c.UnmarshalJSON(b); err != nil {
		return errors.New("system must be a string or an array of text blocks")
	}
	*s = System(c)
	return nil
}

// Tool is a client tool definition. Server tools (web search and the
// like) have a Type and no InputSchema.
type Tool struct {
	Type         string          `json:"type,omitempty"`
	Name         string          `json:"name"`
	Description  string          `json:"description,omitempty"`
	InputSchema  json.RawMessage `json:"input_schema,omitempty"`
	CacheControl json.RawMessage `json:"cache_control,omitempty"`
	// Strict asks for schema-exact tool inputs (structured outputs).
	Strict *bool `json:"strict,omitempty"`
	// DeferLoading keeps the tool out of the model's context until a
	// tool_reference block (from a tool search) names it.
	DeferLoading bool `json:"defer_loading,omitempty"`
	// InputExamples are example inputs shown to the model.
	InputExamples []json.RawMessage `json:"input_examples,omitempty"`
	// AllowedCallers lists who may call the tool ("direct" is the model;
	// others are server-side code execution).
	AllowedCallers []string `json:"allowed_callers,omitempty"`
	// EagerInputStreaming streams the input without buffering; a
	// transport detail.
	EagerInputStreaming *bool `json:"eager_input_streaming,omitempty"`
}

// Tool choice types.
const (
	ToolChoiceAuto = "auto"
	ToolChoiceAny  = "any"
	ToolChoiceTool = "tool"
	ToolChoiceNone = "none"
)

// ToolChoice is tool_choice.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// Stop reasons.
const (
	StopEndTurn      = "end_turn"
	StopMaxTokens    = "max_tokens"
	StopStopSequence = "stop_sequence"
	StopToolUse      = "tool_use"
	StopPauseTurn    = "pause_turn"
	StopRefusal      = "refusal"
)

// MessagesResponse is a "message" object: a whole answer, or the message of
// a message_start event (with empty content and a null stop_reason).
type MessagesResponse struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Content      []ContentBlock `json:"content"`
	Model        string         `json:"model"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	// Usage is always sent by Anthropic; nil means it was absent.
	Usage *Usage `json:"usage"`
}

// Usage is Anthropic's token usage. InputTokens excludes the cache reads
// and writes, which are counted apart.
type Usage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

// ErrorResponse is Anthropic's error body, also the data of an "error"
// stream event.
type ErrorResponse struct {
	Type  string    `json:"type"`
	Error ErrorBody `json:"error"`
}

// ErrorBody is the "error" member.
type ErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// Error types.
const (
	ErrInvalidRequest  = "invalid_request_error"
	ErrAuthentication  = "authentication_error"
	ErrPermission      = "permission_error"
	ErrNotFound        = "not_found_error"
	ErrRequestTooLarge = "request_too_large"
	ErrRateLimit       = "rate_limit_error"
	ErrAPI             = "api_error"
	ErrOverloaded      = "overloaded_error"
	ErrTimeout         = "timeout_error"
)
