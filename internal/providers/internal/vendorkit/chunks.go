package vendorkit

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Chunks builds the chat.completion.chunk payloads of one stream and
// queues them until the stream's Next hands them out. ID and Model may
// change as the vendor names them; later chunks carry the new values.
type Chunks struct {
	Vendor  string // prefixes encoding errors
	ID      string
	Model   string
	Created int64

	pending []providers.Chunk
	ended   bool
}

// Next hands out the queued chunks; with none queued it calls fill to read
// more of the vendor's stream, until End was called: then io.EOF. An error
// from fill is returned as is.
func (q *Chunks) Next(fill func() error) (providers.Chunk, error) {
	for {
		if c, ok := q.Pop(); ok {
			return c, nil
		}
		if q.ended {
			return providers.Chunk{}, io.EOF
		}
		if err := fill(); err != nil {
			return providers.Chunk{}, err
		}
	}
}

// End marks the vendor's stream finished: Next returns io.EOF once the
// queue is drained.
func (q *Chunks) End() { q.ended = true }

// Pop takes the oldest queued chunk; ok is false when none is queued.
func (q *Chunks) Pop() (c providers.Chunk, ok bool) {
	if len(q.pending) == 0 {
		return providers.Chunk{}, false
	}
	c, q.pending = q.pending[0], q.pending[1:]
	return c, true
}

// Emit queues a chunk of one choice (index 0): delta d and, when not nil,
// the finish reason.
func (q *Chunks) Emit(d oa.Delta, finish *string) error {
	return q.Add([]oa.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}})
}

// Add queues a chunk of choices.
func (q *Chunks) Add(choices []oa.ChunkChoice) error {
	b, err := json.Marshal(q.chunk(choices, nil))
	if err != nil {
		return fmt.Errorf("%s: encoding chunk: %w", q.Vendor, err)
	}
	q.pending = append(q.pending, providers.Chunk{Data: b})
	return nil
}

// EmitUsage queues the usage-only chunk (empty choices) that carries u.
func (q *Chunks) EmitUsage(u providers.Usage) error {
	b, err := json.Marshal(q.chunk([]oa.ChunkChoice{}, OpenAIUsage(u)))
	if err != nil {
		return fmt.Errorf("%s: encoding usage chunk: %w", q.Vendor, err)
	}
	q.pending = append(q.pending, providers.Chunk{Data: b, Usage: &u, UsageOnly: true})
	return nil
}

func (q *Chunks) chunk(choices []oa.ChunkChoice, usage *oa.Usage) oa.Chunk {
	return oa.Chunk{ID: q.ID, Object: "chat.completion.chunk", Created: q.Created, Model: q.Model, Choices: choices, Usage: usage}
}

// OpenAIUsage is OpenAI's usage object of u.
func OpenAIUsage(u providers.Usage) *oa.Usage {
	return oa.NewUsage(u.InputTokens, u.OutputTokens, u.CachedInputTokens, u.CacheWriteTokens, u.ReasoningTokens)
}
