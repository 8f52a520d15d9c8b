package messages

import (
	"encoding/json"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	"github.com/tollgate-dev/tollgate/internal/translate/chatstream"
)

// Stream converts canonical chat.completion.chunk payloads, in order, into
// Anthropic's SSE events. Feed every chunk (usage chunks included) to
// Chunk, then call Finish at the end of the upstream stream, or Error when
// it failed. Each call returns the bytes to write, "event:" lines included.
// Done is true once message_stop or an error event was written. A Stream
// is used by one goroutine.
type Stream struct {
	chatstream.Driver
	model string

	open      bool
	openIndex int
	openKind  string // text, thinking or tool_use
	nextIndex int
	// tools maps an OpenAI tool call index to its content block index.
	tools map[int]int

	out chatstream.Events
}

// NewStream converts one stream; model is the name the client sees.
func NewStream(model string) *Stream {
	s := &Stream{model: model, tools: map[int]int{}}
	s.Driver = chatstream.NewDriver(chatstream.Target{Start: s.start, Choice: s.choice, End: s.end, Fail: s.fail}, &s.out)
	return s
}

func (s *Stream) choice(ch oa.ChunkChoice) {
	d := ch.Delta
	if d.ReasoningContent != nil && *d.ReasoningContent != "" {
		s.ensure(ant.BlockThinking, ant.ContentBlock{Type: ant.BlockThinking})
		s.delta(ant.BlockDelta{Type: ant.DeltaThinking, Thinking: *d.ReasoningContent})
	}
	if d.Content != nil && *d.Content != "" {
		s.ensure(ant.BlockText, ant.ContentBlock{Type: ant.BlockText})
		s.delta(ant.BlockDelta{Type: ant.DeltaText, Text: *d.Content})
	}
	for _, tc := range d.ToolCalls {
		s.toolDelta(tc)
	}
	if ch.FinishReason != nil {
		s.closeBlock()
	}
}

// fail writes an error event (the stream ends with it).
func (s *Stream) fail(status int, message string, _ bool, _ *oa.Usage) {
	s.event(ant.EventError, ant.ErrorResponse{Type: "error", Error: ant.ErrorBody{Type: ErrorType(status), Message: message}})
}

func (s *Stream) start(id string) {
	msg := ant.MessagesResponse{ID: messageID(id), Type: "message", Role: ant.RoleAssistant,
		Content: []ant.ContentBlock{}, Model: s.model, Usage: &ant.Usage{}}
	s.event(ant.EventMessageStart, struct {
		Type    string               `json:"type"`
		Message ant.MessagesResponse `json:"message"`
	}{ant.EventMessageStart, msg})
	s.event(ant.EventPing, struct {
		Type string `json:"type"`
	}{ant.EventPing})
}

// ensure opens a block of kind unless one is open.
func (s *Stream) ensure(kind string, block ant.ContentBlock) {
	if s.open && s.openKind == kind {
		return
	}
	s.closeBlock()
	s.openBlock(kind, block)
}

func (s *Stream) openBlock(kind string, block ant.ContentBlock) {
	s.open, s.openKind, s.openIndex = true, kind, s.nextIndex
	s.nextIndex++
	s.event(ant.EventContentBlockStart, struct {
		Type         string           `json:"type"`
		Index        int              `json:"index"`
		ContentBlock ant.ContentBlock `json:"content_block"`
	}{ant.EventContentBlockStart, s.openIndex, block})
}

func (s *Stream) closeBlock() {
	if !s.open {
		return
	}
	s.open = false
	s.event(ant.EventContentBlockStop, struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}{ant.EventContentBlockStop, s.openIndex})
}

func (s *Stream) toolDelta(tc oa.ToolCallDelta) {
	idx, known := s.tools[tc.Index]
	if !known {
		s.closeBlock()
		s.openBlock(ant.BlockToolUse, ant.ContentBlock{Type: ant.BlockToolUse, ID: tc.ID, Name: tc.Function.Name})
		idx = s.openIndex
		s.tools[tc.Index] = idx
	}
	if tc.Function.Arguments == "" {
		return
	}
	s.deltaAt(idx, ant.BlockDelta{Type: ant.DeltaInputJSON, PartialJSON: tc.Function.Arguments})
}

func (s *Stream) delta(d ant.BlockDelta) { s.deltaAt(s.openIndex, d) }

func (s *Stream) deltaAt(index int, d ant.BlockDelta) {
	s.event(ant.EventContentBlockDelta, struct {
		Type  string         `json:"type"`
		Index int            `json:"index"`
		Delta ant.BlockDelta `json:"delta"`
	}{ant.EventContentBlockDelta, index, d})
}

// end closes the open block and writes message_delta (stop reason and
// final usage) and message_stop.
func (s *Stream) end(finish string, last *oa.Usage) {
	s.closeBlock()
	u := usage(last)
	stop := stopReason(finish)
	s.event(ant.EventMessageDelta, struct {
		Type  string           `json:"type"`
		Delta ant.MessageDelta `json:"delta"`
		Usage ant.DeltaUsage   `json:"usage"`
	}{ant.EventMessageDelta, ant.MessageDelta{StopReason: &stop}, ant.DeltaUsage{
		InputTokens:              &u.InputTokens,
		OutputTokens:             u.OutputTokens,
		CacheCreationInputTokens: &u.CacheCreationInputTokens,
		CacheReadInputTokens:     &u.CacheReadInputTokens,
	}})
	s.event(ant.EventMessageStop, struct {
		Type string `json:"type"`
	}{ant.EventMessageStop})
}

func (s *Stream) event(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs are encoded here
		b = []byte(`{"type":"error","error":{"type":"api_error","message":"encoding event failed"}}`)
		name = ant.EventError
	}
	s.out.Add(name, b)
}
