// Package providers holds one adapter per vendor API. The proxy speaks one
// canonical form internally — OpenAI's chat completions and embeddings JSON —
// and an Adapter turns it into a vendor's HTTP request and the vendor's answer
// (body, stream, error) back into the canonical form.
//
// Adapters are stateless apart from their provider settings, safe for
// concurrent use, and never log: credentials pass through them.
package providers

import (
	"context"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Operation is what a request asks of the model.
type Operation int

const (
	// OpChat is POST /v1/chat/completions.
	OpChat Operation = iota
	// OpEmbeddings is POST /v1/embeddings.
	OpEmbeddings
)

// Request is one upstream attempt in canonical (OpenAI) form.
type Request struct {
	Op Operation
	// API is the client API the body is in when the request is relayed
	// natively (see Native); "" for the canonical form.
	API API
	// Body is the OpenAI-shaped JSON body as the client sent it (or as the
	// client-side translator produced it). Adapters must not modify it.
	Body []byte
	// Model is the upstream model name to send (already resolved by routing).
	Model string
	// Stream asks for a streamed answer.
	Stream bool
	// ClientWantsUsage is true when the client itself asked for usage in the
	// stream (stream_options.include_usage). Adapters always obtain usage
	// from the vendor; the proxy hides the usage chunk when this is false.
	ClientWantsUsage bool
	// Header holds the client headers the gateway forwards upstream, already
	// stripped of client credentials, hop-by-hop and vendor-reserved headers;
	// nil for none. NewRequest starts from a copy of it (BaseHeader) and sets
	// its own headers over it, so the vendor credential and any signature
	// always come last and cover the final headers.
	Header http.Header
}

// BaseHeader returns a copy of r.Header (an empty Header when nil): the
// headers an adapter starts its upstream request from.
func (r *Request) BaseHeader() http.Header {
	if r.Header == nil {
		return http.Header{}
	}
	return r.Header.Clone()
}

// Usage is one request's token usage as the vendor reported it.
type Usage struct {
	InputTokens       int64 `json:"inputTokens"`
	OutputTokens      int64 `json:"outputTokens"`
	CachedInputTokens int64 `json:"cachedInputTokens,omitempty"`
	CacheWriteTokens  int64 `json:"cacheWriteTokens,omitempty"`
	ReasoningTokens   int64 `json:"reasoningTokens,omitempty"`
	// Reported is false when the vendor sent no usage (the proxy estimates).
	Reported bool `json:"reported"`
}

// Chunk is one canonical stream event: the JSON payload of an OpenAI
// `data:` line (a chat.completion.chunk object).
type Chunk struct {
	Data []byte
	// Usage is set on the chunk that carried the vendor's usage.
	Usage *Usage
	// UsageOnly marks a chunk that exists only to carry usage (OpenAI's
	// final chunk with empty choices); the proxy drops it when the client
	// did not ask for usage.
	UsageOnly bool
}

// Stream decodes a vendor's streamed answer into canonical chunks.
type Stream interface {
	// Next returns the next chunk; io.EOF when the vendor ended the stream
	// normally; an *Error for an error event inside the stream; any other
	// error for a broken stream.
	Next() (Chunk, error)
}

// ErrorClass says how a failure may be handled by retries and fallback.
type ErrorClass int

const (
	// ClassFatal is a client error (400, 401 from the vendor's view of our
	// request, 404 model...): not retried, returned to the client.
	ClassFatal ErrorClass = iota
	// ClassRateLimited is a 429 (retry elsewhere, cool down this backend).
	ClassRateLimited
	// ClassServerError is a 5xx or overload (529).
	ClassServerError
	// ClassTimeout is a connect, first-token or idle timeout.
	ClassTimeout
	// ClassConnect is a refused or reset connection before any byte.
	ClassConnect
)

// Error is an upstream failure mapped to what the client will see.
type Error struct {
	// Status is the HTTP status the client gets (400, 429, 502, 503, 504...).
	Status int
	// Type and Code fill OpenAI's error object ("rate_limit_exceeded"...).
	Type    string
	Code    string
	Message string
	// RetryAfter is the vendor's Retry-After, if any.
	RetryAfter time.Duration
	Class      ErrorClass
	// Raw is the upstream's own error body of a native request (see
	// Native) when the client may be shown it as is, with RawStatus the
	// upstream's status; nil otherwise.
	Raw       []byte
	RawStatus int
}

func (e *Error) Error() string { return e.Message }

// Adapter translates the canonical form to one vendor's API and back.
type Adapter interface {
	// NewRequest builds the upstream HTTP request: URL, method, headers
	// (the vendor credential is set here and nowhere else) and body.
	NewRequest(ctx context.Context, r *Request) (*http.Request, error)
	// Response turns a complete 2xx non-streamed body into an OpenAI
	// response body (chat.completion or embeddings list) and its usage.
	Response(r *Request, body []byte) ([]byte, Usage, error)
	// Stream decodes a 2xx streamed body into canonical chunks.
	Stream(r *Request, body io.Reader) Stream
	// Error maps a non-2xx upstream answer to an Error.
	Error(status int, h http.Header, body []byte) *Error
}

// Factory makes the adapter of one configured provider.
type Factory func(p *config.Provider) (Adapter, error)

// SumTokens adds token counts from a vendor's usage report, saturating
// instead of wrapping: the counts are upstream data, and a hostile or
// broken upstream may send math.MaxInt64. The proxy clamps the result to a
// plausible range.
func SumTokens(counts ...int64) int64 {
	var sum int64
	for _, v := range counts {
		switch {
		case v > 0 && sum > math.MaxInt64-v:
			sum = math.MaxInt64
		case v < 0 && sum < math.MinInt64-v:
			sum = math.MinInt64
		default:
			sum += v
		}
	}
	return sum
}

// PassThrough is implemented by adapters whose non-streamed answer is the
// canonical form byte for byte (OpenAI-compatible vendors, whose Response
// only reads the usage): the proxy may then relay a large answer as it
// arrives, reading its usage with ScanUsage, instead of holding it whole.
type PassThrough interface {
	PassThrough() bool
}
