package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oaprov "github.com/tollgate-dev/tollgate/internal/providers/openai"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Stream turns Anthropic's SSE events into chat.completion.chunk payloads.
type Stream struct {
	dec *oaprov.SSEDecoder
	out vendorkit.Chunks

	usage usageTracker
	// tools maps a content block index to its OpenAI tool call index.
	tools map[int]int
	// thinking holds the open thinking or redacted_thinking block, emitted
	// as reasoning state when it stops (see thinking.go).
	thinking   *thinkingState
	thinkingAt int
}

// NewStream decodes body; model is used until message_start names one.
func NewStream(body io.Reader, model string, now time.Time) *Stream {
	return &Stream{dec: oaprov.NewSSEDecoder(body), out: vendorkit.Chunks{Vendor: "anthropic", Model: model, Created: now.Unix()},
		tools: map[int]int{}}
}

// Next returns the next chunk, io.EOF after message_stop, a
// *providers.Error for an error event, or another error for a broken stream.
func (s *Stream) Next() (providers.Chunk, error) { return s.out.Next(s.read) }

// read handles the next event.
func (s *Stream) read() error {
	ev, err := s.dec.NextBefore("anthropic", ant.EventMessageStop)
	if err != nil {
		return err
	}
	return s.handle(ev.Name, ev.Data)
}

func (s *Stream) handle(name string, data []byte) error {
	var ev ant.StreamEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("anthropic: decoding %q event: %w", name, err)
	}
	if ev.Type == "" {
		ev.Type = name
	}
	switch ev.Type {
	case ant.EventMessageStart:
		if ev.Message == nil {
			return errors.New("anthropic: message_start without a message")
		}
		s.out.ID = ev.Message.ID
		if ev.Message.Model != "" {
			s.out.Model = ev.Message.Model
		}
		s.usage.start(ev.Message.Usage)
		return s.out.Emit(oa.Delta{Role: oa.RoleAssistant, Content: oa.Ptr("")}, nil)
	case ant.EventContentBlockStart:
		if ev.Index == nil || ev.ContentBlock == nil {
			return errors.New("anthropic: content_block_start without index or block")
		}
		switch ev.ContentBlock.Type {
		case ant.BlockToolUse:
			n := len(s.tools)
			s.tools[*ev.Index] = n
			return s.out.Emit(oa.Delta{ToolCalls: []oa.ToolCallDelta{{Index: n, ID: ev.ContentBlock.ID, Type: "function",
				Function: oa.FunctionCallDelta{Name: ev.ContentBlock.Name}}}}, nil)
		case ant.BlockText:
			if ev.ContentBlock.Text != "" {
				return s.out.Emit(oa.Delta{Content: oa.Ptr(ev.ContentBlock.Text)}, nil)
			}
		case ant.BlockThinking, ant.BlockRedactedThinking:
			b := ev.ContentBlock
			s.thinking, s.thinkingAt = &thinkingState{Type: b.Type, Thinking: b.Thinking, Signature: b.Signature, Data: b.Data}, *ev.Index
			if b.Thinking != "" {
				return s.out.Emit(oa.Delta{ReasoningContent: oa.Ptr(b.Thinking)}, nil)
			}
		}
		return nil
	case ant.EventContentBlockDelta:
		return s.blockDelta(ev)
	case ant.EventContentBlockStop:
		if th := s.thinking; th != nil && ev.Index != nil && *ev.Index == s.thinkingAt {
			s.thinking = nil
			if enc := encodeThinking(*th); enc != "" {
				return s.out.Emit(oa.Delta{ReasoningEncryptedContent: oa.Ptr(enc)}, nil)
			}
		}
		return nil
	case ant.EventMessageDelta:
		var d ant.MessageDelta
		if len(ev.Delta) > 0 {
			if err := json.Unmarshal(ev.Delta, &d); err != nil {
				return fmt.Errorf("anthropic: decoding message_delta: %w", err)
			}
		}
		s.usage.delta(ev.Usage)
		if d.StopReason == nil {
			return nil
		}
		fr := finishReason(d.StopReason)
		return s.out.Emit(oa.Delta{}, &fr)
	case ant.EventMessageStop:
		s.out.End()
		if s.usage.have {
			return s.out.EmitUsage(toUsage(s.usage.usage))
		}
		return nil
	case ant.EventError:
		if ev.Error == nil {
			return errors.New("anthropic: error event without an error")
		}
		return fromErrorBody(0, *ev.Error, 0)
	default: // ping and event types added later
		return nil
	}
}

func (s *Stream) blockDelta(ev ant.StreamEvent) error {
	if ev.Index == nil {
		return errors.New("anthropic: content_block_delta without index")
	}
	var d ant.BlockDelta
	if err := json.Unmarshal(ev.Delta, &d); err != nil {
		return fmt.Errorf("anthropic: decoding content_block_delta: %w", err)
	}
	switch d.Type {
	case ant.DeltaText:
		return s.out.Emit(oa.Delta{Content: oa.Ptr(d.Text)}, nil)
	case ant.DeltaThinking:
		if th := s.thinking; th != nil && *ev.Index == s.thinkingAt {
			th.Thinking += d.Thinking
		}
		return s.out.Emit(oa.Delta{ReasoningContent: oa.Ptr(d.Thinking)}, nil)
	case ant.DeltaSignature:
		if th := s.thinking; th != nil && *ev.Index == s.thinkingAt {
			th.Signature += d.Signature
		}
		return nil
	case ant.DeltaInputJSON:
		n, ok := s.tools[*ev.Index]
		if !ok {
			return fmt.Errorf("anthropic: input_json_delta for block %d, which is not a tool_use", *ev.Index)
		}
		if d.PartialJSON == "" {
			return nil
		}
		return s.out.Emit(oa.Delta{ToolCalls: []oa.ToolCallDelta{{Index: n, Function: oa.FunctionCallDelta{Arguments: d.PartialJSON}}}}, nil)
	default: // later additions carry nothing for OpenAI
		return nil
	}
}
