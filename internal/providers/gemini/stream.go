package gemini

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oaprov "github.com/tollgate-dev/tollgate/internal/providers/openai"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Stream turns streamGenerateContent's SSE events (each a whole
// GenerateContentResponse holding the next piece) into chunks. Gemini ends
// the stream by closing it; a stream closed before any finishReason is
// broken.
type Stream struct {
	dec     *oaprov.SSEDecoder
	id      string
	model   string
	created int64
	ids     *callIDs
	now     time.Time

	started  bool
	tools    map[int]int // candidate index → tool calls so far
	finished bool
	usage    *usageMetadata
	done     bool
	pending  []providers.Chunk
}

// NewStream decodes body; model names the chunks until Gemini names one.
func NewStream(body io.Reader, model string, now time.Time) *Stream {
	return &Stream{dec: oaprov.NewSSEDecoder(body), model: model, created: now.Unix(), now: now,
		ids: newCallIDs(now), tools: map[int]int{}}
}

// Next returns the next chunk; io.EOF after a finished stream.
func (s *Stream) Next() (providers.Chunk, error) {
	for {
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			return c, nil
		}
		if s.done {
			return providers.Chunk{}, io.EOF
		}
		ev, err := s.dec.Next()
		if errors.Is(err, io.EOF) {
			if !s.finished {
				return providers.Chunk{}, errors.New("gemini: stream ended before a finishReason")
			}
			s.done = true
			if s.usage != nil {
				if err := s.emitUsage(); err != nil {
					return providers.Chunk{}, err
				}
			}
			continue
		}
		if err != nil {
			return providers.Chunk{}, fmt.Errorf("gemini: reading stream: %w", err)
		}
		if err := s.handle(ev.Data); err != nil {
			return providers.Chunk{}, err
		}
	}
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
		s.id = responseID(&g, s.now)
		s.model = modelName(&g, s.model)
	}
	chunk := oa.Chunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model}
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
		chunk.Choices = append(chunk.Choices, ch)
	}
	if len(chunk.Choices) == 0 {
		return nil // a usage-only event
	}
	b, err := json.Marshal(chunk)
	if err != nil {
		return fmt.Errorf("gemini: encoding chunk: %w", err)
	}
	s.pending = append(s.pending, providers.Chunk{Data: b})
	return nil
}

func (s *Stream) emitUsage() error {
	u := toUsage(s.usage)
	c := oa.Chunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model, Choices: []oa.ChunkChoice{},
		Usage: oa.NewUsage(u.InputTokens, u.OutputTokens, u.CachedInputTokens, 0, u.ReasoningTokens)}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("gemini: encoding usage chunk: %w", err)
	}
	s.pending = append(s.pending, providers.Chunk{Data: b, Usage: &u, UsageOnly: true})
	return nil
}
