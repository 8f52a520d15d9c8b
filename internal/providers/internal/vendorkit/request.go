// Package vendorkit holds what the translating adapters (Anthropic, Azure,
// Bedrock, Gemini) share: building the upstream HTTP request, reading a
// user message's content, refusing requests, reading Retry-After, and
// building and queueing the canonical chunks of a stream. What builds an
// error takes the vendor's name ("anthropic") to prefix it, as each
// adapter's own errors are.
package vendorkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// Endpoint is raw without trailing slashes, or def when raw is empty.
func Endpoint(raw, def string) string {
	if e := strings.TrimRight(raw, "/"); e != "" {
		return e
	}
	return def
}

// Accept is the Accept header of a request: streamType for a stream,
// application/json otherwise.
func Accept(stream bool, streamType string) string {
	if stream {
		return streamType
	}
	return "application/json"
}

// NewPost builds POST target with body: the client's forwarded headers
// (r.BaseHeader), the provider's headers over them, then Content-Type and,
// when not empty, Accept. The caller sets the credential last.
func NewPost(ctx context.Context, vendor, target string, body []byte, r *providers.Request, headers map[string]string, accept string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: building request: %w", vendor, err)
	}
	req.Header = r.BaseHeader()
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return req, nil
}

// ChatOnly refuses an operation other than chat completions.
func ChatOnly(vendor string) *providers.Error {
	return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "unsupported_operation",
		Message: vendor + ": this provider serves chat completions only", Class: providers.ClassFatal}
}

// BadRequest is a 400 for a request the vendor's format cannot express.
func BadRequest(vendor, format string, a ...any) *providers.Error {
	return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request",
		Message: vendor + ": " + fmt.Sprintf(format, a...), Class: providers.ClassFatal}
}

// ArgsObject returns tool call arguments as a JSON object; empty or
// non-object arguments (a model's broken output) become {}.
func ArgsObject(args string) json.RawMessage {
	raw := json.RawMessage(strings.TrimSpace(args))
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		return raw
	}
	return json.RawMessage("{}")
}

// ObjectSchema is a function tool's parameters schema, or an empty object
// schema when the tool declares none (vendors that require one).
func ObjectSchema(params json.RawMessage) json.RawMessage {
	if len(params) == 0 || string(params) == "null" {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	return params
}

// MaxRetryAfter caps what a vendor's Retry-After can ask for: a hostile or
// broken upstream's huge value must not overflow time.Duration (a float
// beyond int64 converts to a negative duration).
const MaxRetryAfter = 24 * time.Hour

// RetryAfter reads retry-after-ms (OpenAI's) or Retry-After as seconds or an
// HTTP date: 0 when absent, past, negative or unreadable, at most
// MaxRetryAfter.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(strings.TrimSpace(h.Get("retry-after-ms")), 64); err == nil && ms > 0 {
		return clampSeconds(ms / 1000)
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs > 0 {
			return clampSeconds(secs)
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

// clampSeconds converts positive seconds (NaN excluded by the callers' > 0)
// to a duration no longer than MaxRetryAfter.
func clampSeconds(secs float64) time.Duration {
	if secs >= MaxRetryAfter.Seconds() {
		return MaxRetryAfter
	}
	return time.Duration(secs * float64(time.Second))
}

// Thinking budgets (tokens) the translating adapters give a canonical
// reasoning_effort, for vendors whose reasoning setting is a budget
// (Anthropic's thinking, Gemini's thinkingConfig): one table for both.
var thinkingBudgets = map[string]int64{
	"none": 0, "minimal": 1024, "low": 2048, "medium": 8192, "high": 16384, "xhigh": 32768,
}

// ThinkingBudget is the budget of a reasoning_effort ("" for none set:
// 0, true); false for a value no vendor defines.
func ThinkingBudget(effort string) (int64, bool) {
	if effort == "" {
		return 0, true
	}
	b, ok := thinkingBudgets[effort]
	return b, ok
}
