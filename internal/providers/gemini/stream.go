package gemini

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oaprov "github.com/tollgate-dev/tollgate/internal/providers/openai"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Stream turns streamGenerateContent's SSE events (each a whole
// GenerateContentResponse holding the next piece) into chunks. Gemini ends
// the stream by closing it; a stream closed before any finishReason is
// broken.
type Stream struct {
	dec *oaprov.SSEDecoder
	out vendorkit.Chunks
	ids *callIDs
	now time.Time

	started  bool
	tools    map[int]int // candidate index → tool calls so far
	finished bool
	usage    *usageMetadata
}

// NewStream decodes body; model names the chunks until Gemini names one.
func NewStream(body io.Reader, model string, now time.Time) *Stream {
	return &Stream{dec: oaprov.NewSSEDecoder(body), out: vendorkit.Chunks{Vendor: "gemini", Model: model, Created: now.Unix()},
		now: now, ids: newCallIDs(now), tools: map[int]int{}}
}

// Next returns the next chunk; io.EOF after a finished stream.
func (s *Stream) Next() (providers.Chunk, error) { return s.out.Next(s.read) }

// read handles the next event; at the end of the body it queues the usage.
func (s *Stream) read() error {
	ev, err := s.dec.Next()
	if errors.Is(err, io.EOF) {
		if !s.finished {
			return errors.New("gemini: stream ended before a finishReason")
		}
		s.out.End()
		if s.usage != nil {
			return s.out.EmitUsage(toUsage(s.usage))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("gemini: reading stream: %w", err)
	}
	return s.handle(ev.Data)
}

func (s *Stream) handle(data []byte) error {
	var g generateResponse
	if err := json.Unmarshal(data, &g); err != nil {
		return fmt.Errorf("gemini: decoding stream event: %w", err)
	}
	if g.Error != nil {
		return fromStatus(g.Error.Code, *g.Error, 0)
	}
	if err := blocked(&g); err != nil {
		return err
	}
	if g.UsageMetadata != nil {
		s.usage = g.UsageMetadata
	}
	if !s.started {
		s.started = true
		s.out.ID = responseID(&g, s.now)
		s.out.Model = modelName(&g, s.out.Model)
	}
	var choices []oa.ChunkChoice
	for _, c := range g.Candidates {
		ch := oa.ChunkChoice{Index: c.Index}
		if _, seen := s.tools[c.Index]; !seen {
			s.tools[c.Index] = 0
			ch.Delta.Role = oa.RoleAssistant
		}
		var text, thought string
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					n := s.tools[c.Index]
					s.tools[c.Index] = n + 1
					ch.Delta.ToolCalls = append(ch.Delta.ToolCalls, oa.ToolCallDelta{Index: n, ID: s.ids.next(p.FunctionCall), Type: "function",
						Function: oa.FunctionCallDelta{Name: p.FunctionCall.Name, Arguments: string(argsOrEmpty(p.FunctionCall.Args))}})
				case p.Thought:
					thought += p.Text
				default:
					text += p.Text
				}
			}
		}
		if text != "" || ch.Delta.Role != "" {
			ch.Delta.Content = oa.Ptr(text)
		}
		if thought != "" {
			ch.Delta.ReasoningContent = oa.Ptr(thought)
		}
		if fr := finishReason(c.FinishReason, s.tools[c.Index] > 0); fr != "" {
			ch.FinishReason = &fr
			s.finished = true
		}
		choices = append(choices, ch)
	}
	if len(choices) == 0 {
		return nil // a usage-only event
	}
	return s.out.Add(choices)
}
