package messages

import (
	"encoding/json"
	"fmt"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Stream converts canonical chat.completion.chunk payloads, in order, into
// Anthropic's SSE events. Feed every chunk (usage chunks included) to
// Chunk, then call Finish at the end of the upstream stream, or Error when
// it failed. Each call returns the bytes to write, "event:" lines included.
// A Stream is used by one goroutine.
type Stream struct {
	model    string
	started  bool
	finished bool

	open      bool
	openIndex int
	openKind  string // text, thinking or tool_use
	nextIndex int
	// tools maps an OpenAI tool call index to its content block index.
	tools map[int]int

	stop  string
	usage *oa.Usage
	out   []byte
}

// NewStream converts one stream; model is the name the client sees.
func NewStream(model string) *Stream {
	return &Stream{model: model, tools: map[int]int{}}
}

// Done is true once message_stop or an error event was written.
func (s *Stream) Done() bool { return s.finished }

// Chunk converts one chunk payload (the JSON of a data: line).
func (s *Stream) Chunk(data []byte) ([]byte, error) {
	var c oa.Chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decoding chat completion chunk: %w", err)
	}
	s.out = nil
	if s.finished {
		return nil, nil
	}
	s.start(c.ID)
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
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
			s.stop = stopReason(*ch.FinishReason)
		}
	}
	if c.Usage != nil {
		s.usage = c.Usage
	}
	if s.stop != "" && s.usage != nil {
		s.end()
	}
	return s.out, nil
}

// Finish ends the message after the upstream stream ended normally; it
// writes nothing when message_stop was already written.
func (s *Stream) Finish() []byte {
	s.out = nil
	if s.finished {
		return nil
	}
	s.start("")
	s.closeBlock()
	if s.stop == "" {
		s.stop = ant.StopEndTurn
	}
	s.end()
	return s.out
}

// Error writes an error event (the stream ends with it).
func (s *Stream) Error(status int, message string) []byte {
	s.out = nil
	if s.finished {
		return nil
	}
	s.finished = true
	s.event(ant.EventError, ant.ErrorResponse{Type: "error", Error: ant.ErrorBody{Type: ErrorType(status), Message: message}})
	return s.out
}

func (s *Stream) start(id string) {
	if s.started {
		return
	}
	s.started = true
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

// end writes message_delta (stop reason and final usage) and message_stop.
func (s *Stream) end() {
	s.finished = true
	u := usage(s.usage)
	stop := s.stop
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
	s.out = append(s.out, "event: "...)
	s.out = append(s.out, name...)
	s.out = append(s.out, "\ndata: "...)
	s.out = append(s.out, b...)
	s.out = append(s.out, "\n\n"...)
}
