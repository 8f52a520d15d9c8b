package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Result is what an adapter made of one upstream call (see Call).
type Result struct {
	// Status is the upstream HTTP status.
	Status int
	// Err is the adapter's mapping of a non-2xx answer.
	Err *providers.Error
	// Body and Usage are the translated non-streamed answer.
	Body  []byte
	Usage providers.Usage
	// Chunks are the translated stream chunks, and End the error that
	// ended the stream (io.EOF for a clean end).
	Chunks []providers.Chunk
	End    error
}

// Call drives an adapter the way the proxy does, without the proxy: build
// the request, send it with client, and translate the answer (error,
// whole body, or stream drained to its end). headers are added to the
// upstream request (the mock's x-mock-* faults).
func Call(ctx context.Context, client *http.Client, a providers.Adapter, r *providers.Request, headers map[string]string) (*Result, error) {
	req, err := a.NewRequest(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("building the upstream request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("calling the mock upstream: %w", err)
	}
	defer resp.Body.Close()
	res := &Result{Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("reading the error answer: %w", err)
		}
		res.Err = a.Error(resp.StatusCode, resp.Header, body)
		return res, nil
	}
	if !r.Stream {
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("reading the answer: %w", err)
		}
		res.Body, res.Usage, err = a.Response(r, body)
		if err != nil {
			return nil, fmt.Errorf("translating the answer: %w", err)
		}
		return res, nil
	}
	s := a.Stream(r, resp.Body)
	for range 100000 {
		c, err := s.Next()
		if err != nil {
			res.End = err
			return res, nil
		}
		res.Chunks = append(res.Chunks, c)
	}
	return nil, errors.New("stream did not end after 100000 chunks")
}

// Client is an HTTP client for tests against the mock: bounded, no
// redirects.
func Client() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Answer reads a translated chat.completion: the first choice's text and
// finish reason.
func Answer(body []byte) (text, finish string, err error) {
	var resp oa.ChatResponse
	if err := json.Unmarshal(body, &resp); err != nil {
		return "", "", fmt.Errorf("decoding chat completion: %w", err)
	}
	if len(resp.Choices) != 1 {
		return "", "", fmt.Errorf("chat completion has %d choices", len(resp.Choices))
	}
	return resp.Choices[0].Message.Content.String(), resp.Choices[0].FinishReason, nil
}

// Joined concatenates the content and the tool call arguments of chunks,
// and returns the last chunk's usage (nil when none carried usage).
func Joined(chunks []providers.Chunk) (text, args string, usage *providers.Usage, err error) {
	var t, a strings.Builder
	for _, c := range chunks {
		var ch oa.Chunk
		if err := json.Unmarshal(c.Data, &ch); err != nil {
			return "", "", nil, fmt.Errorf("decoding chunk %s: %w", c.Data, err)
		}
		for _, choice := range ch.Choices {
			if choice.Delta.Content != nil {
				t.WriteString(*choice.Delta.Content)
			}
			for _, tc := range choice.Delta.ToolCalls {
				a.WriteString(tc.Function.Arguments)
			}
		}
		if c.Usage != nil {
			usage = c.Usage
		}
	}
	return t.String(), a.String(), usage, nil
}
