package proxy

import (
	"context"
	"net/http"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// Admission is the hook token limits plug into. The pipeline calls Admit
// once per client request, after authentication and before routing, and
// settles the ticket exactly once when the request ends (with the usage the
// upstream reported, or an estimate, and its cost), whatever the outcome.
type Admission interface {
	// Admit decides whether the call may proceed. A non-nil Denial is
	// answered to the client as is; an error answers 503 (the limits engine
	// applies its own fail-open/closed policy before returning one).
	Admit(ctx context.Context, c *Call) (Ticket, *Denial, error)
}

// Call describes one client request to the admission hook.
type Call struct {
	// Consumer is the authenticated consumer; nil in auth mode None.
	Consumer *config.Consumer
	// Model is the public model the client asked for.
	Model string
	Op    providers.Operation
	// Stream is true for a streamed chat completion.
	Stream bool
	// EstimatedInputTokens is a rough count of the prompt (bytes / 4).
	EstimatedInputTokens int64
	// MaxTokens is the largest output bound the request sets (max_tokens,
	// max_completion_tokens, max_output_tokens, thinking.budget_tokens), or
	// 0; MaxTokensField names its field.
	MaxTokens      int64
	MaxTokensField string
	// Pricing is the pricing of the route's first-choice backend.
	Pricing config.Pricing
	// Now is the time the request arrived.
	Now time.Time
	// Allows reports whether the consumer may be served a model (it is in
	// the consumer's AllowedModels and has a route). A downgrade to a model
	// it refuses is not made; the original denial stands.
	Allows func(model string) bool
}

// Ticket is what an admitted call carries to its end.
type Ticket struct {
	// Downgrade, when set, replaces the public model (TokenPolicy
	// onExceeded: Downgrade).
	Downgrade string
	// Header is added to the response (x-ratelimit-*, a downgrade notice).
	Header http.Header
	// Settle records the final usage and cost; nil when nothing to settle.
	Settle func(u providers.Usage, costUSD float64)
}

// Denial refuses a call.
type Denial struct {
	// Status is 429 for limits, 403 for policy refusals, 503 for a store
	// failing closed.
	Status int
	// Type and Code fill OpenAI's error object; Type defaults from Status.
	Type string
	Code string
	// Param names the request field at fault (max_tokens), if any.
	Param      string
	Message    string
	RetryAfter time.Duration
	// Header is sent with the refusal (x-ratelimit-*).
	Header http.Header
}

// NoAdmission admits everything and settles nothing.
type NoAdmission struct{}

// Admit admits the call.
func (NoAdmission) Admit(context.Context, *Call) (Ticket, *Denial, error) { return Ticket{}, nil, nil }

func (d *Denial) apiError() *apiError {
	status := d.Status
	if status == 0 {
		status = http.StatusTooManyRequests
	}
	typ := d.Type
	switch {
	case typ != "":
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status >= 500:
		typ = "server_error"
	case status == http.StatusBadRequest:
		typ = "invalid_request_error"
	default:
		typ = "rate_limit_error"
	}
	code := d.Code
	if code == "" && status == http.StatusTooManyRequests {
		code = "rate_limit_exceeded"
	}
	msg := d.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &apiError{Status: status, Type: typ, Code: code, Param: d.Param, Message: msg, RetryAfter: d.RetryAfter, Header: d.Header}
}
