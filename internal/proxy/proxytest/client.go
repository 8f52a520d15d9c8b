package proxytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// NewRequest is a client's request to a gateway: body (none when empty)
// sent as JSON, the consumer's key (none when empty) as a bearer token,
// then the headers hdr.
func NewRequest(ctx context.Context, method, url, key, body string, hdr map[string]string) (*http.Request, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("building the request to %s: %w", url, err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req, nil
}

// ChatStatus sends a chat completion of "hi" (at most 8 tokens) to model
// on the gateway at base with key and the headers hdr, and returns the
// status; the answer is read and dropped.
func ChatStatus(t testing.TB, base, key, model string, hdr map[string]string) int {
	t.Helper()
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hi"}],"max_tokens":8}`, model)
	req, err := NewRequest(t.Context(), http.MethodPost, base+"/v1/chat/completions", key, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chat with %s: %v", model, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}
