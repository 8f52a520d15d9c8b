package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// eventStream produces chat.completion.chunk events lazily, one per Read,
// waiting the chunk delay between them; no goroutine runs behind it and a
// cancelled request ends it at once.
type eventStream struct {
	ctx    context.Context
	delay  time.Duration
	id     int64
	model  string
	words  []string
	prompt int64
	usage  bool

	next    int // next piece to produce; len(words) = finish, +1 usage, +2 done
	pending []byte
	closed  bool
}

func (s *eventStream) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.closed {
			return 0, io.EOF
		}
		if err := s.ctx.Err(); err != nil {
			return 0, err
		}
		ev, ok := s.produce()
		if !ok {
			return 0, io.EOF
		}
		s.pending = ev
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

func (s *eventStream) Close() error { s.closed = true; return nil }

func (s *eventStream) produce() ([]byte, bool) {
	i := s.next
	s.next++
	n := len(s.words)
	switch {
	case i < n:
		if i > 0 && s.delay > 0 {
			t := time.NewTimer(s.delay)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return nil, false
			case <-t.C:
			}
		}
		delta := map[string]any{"content": s.words[i]}
		if i == 0 {
			delta["role"] = "assistant"
		}
		return s.chunk([]any{map[string]any{"index": 0, "delta": delta, "finish_reason": nil}}, nil), true
	case i == n:
		return s.chunk([]any{map[string]any{"index": 0, "delta": map[string]any{}, "finish_reason": "stop"}}, nil), true
	case i == n+1 && s.usage:
		out := int64(n)
		return s.chunk([]any{}, map[string]any{"prompt_tokens": s.prompt, "completion_tokens": out, "total_tokens": s.prompt + out}), true
	case i <= n+2:
		s.next = n + 3
		return []byte("data: [DONE]\n\n"), true
	}
	return nil, false
}

func (s *eventStream) chunk(choices []any, usage any) []byte {
	v := map[string]any{"id": fmt.Sprintf("chatcmpl-mock-%d", s.id), "object": "chat.completion.chunk",
		"created": time.Now().Unix(), "model": s.model, "choices": choices}
	if usage != nil {
		v["usage"] = usage
	}
	b, _ := json.Marshal(v)
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, '\n', '\n')
}
