package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oai "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// apiError is an answer in OpenAI's error shape:
// {"error":{"message","type","param","code"}}.
type apiError struct {
	Status     int
	Type       string
	Code       string
	Param      string
	Message    string
	RetryAfter time.Duration
	Header     http.Header
	// Raw, when set, is the answer's body as a native upstream wrote it
	// (see nativeAPI), written instead of one in the gateway's shape.
	Raw []byte
}

func (e *apiError) Error() string { return e.Message }

// wire is the error in OpenAI's shape, param and code null when unset.
func (e *apiError) wire() oai.ErrorResponse {
	w := oai.ErrorResponse{Error: oai.ErrorBody{Message: e.Message, Type: e.Type}}
	if e.Param != "" {
		w.Error.Param = &e.Param
	}
	if e.Code != "" {
		w.Error.Code = &e.Code
	}
	return w
}

// body is the error's answer body (wire) encoded.
func (e *apiError) body() []byte {
	b, err := json.Marshal(e.wire())
	if err != nil {
		return []byte(`{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
	}
	return b
}

// unauthorizedBody is the one answer to every authentication failure, so a
// caller cannot tell a missing key from an unknown, wrong, disabled or
// expired one.
var unauthorized = &apiError{Status: http.StatusUnauthorized, Type: "invalid_request_error", Code: "invalid_api_key",
	Message: "Invalid or missing API key. Send a gateway key as 'Authorization: Bearer <key>'."}

// writeError answers e in OpenAI's shape.
func writeError(w http.ResponseWriter, e *apiError) { writeErrorIn(w, e, (*apiError).body) }

// writeErrorIn answers e with its status, headers and Retry-After, its
// body in the client API's error shape (shape) unless e carries a native
// upstream's own (Raw).
func writeErrorIn(w http.ResponseWriter, e *apiError, shape func(*apiError) []byte) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	b := e.Raw
	if b == nil {
		b = shape(e)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	_ = writeAnswer(w, e.Status, b)
}

// retryAfterSeconds rounds up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

// The constructors below are the one place the gateway's own errors are
// built: one per status family, so a type or code is never spelled twice.

func badRequest(msg, param string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request", Message: msg, Param: param}
}

// invalidBody answers a body that is JSON but cannot be read or edited as
// a request (err says why).
func invalidBody(err error) *apiError {
	return badRequest("Invalid request body: "+err.Error()+".", "")
}

func notFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Message: msg, Param: "model"}
}

// modelNotFound names the model (truncated) the caller cannot use.
func modelNotFound(what, model string) *apiError {
	return notFound("The " + what + " '" + truncate(model, 128) + "' does not exist or you do not have access to it.")
}

// serverError is a 5xx of the gateway itself (type server_error).
func serverError(status int, code, msg string, retryAfter time.Duration) *apiError {
	return &apiError{Status: status, Type: "server_error", Code: code, Message: msg, RetryAfter: retryAfter}
}

var (
	errTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: "The request body is larger than this gateway accepts."}
	errOverloaded   = serverError(http.StatusServiceUnavailable, "gateway_overloaded", "The gateway is at its concurrency limit; retry shortly.", time.Second)
	errShuttingDown = serverError(http.StatusServiceUnavailable, "gateway_shutdown", "The gateway is shutting down; retry on another replica.", time.Second)
	errNotReady     = serverError(http.StatusServiceUnavailable, "gateway_not_ready", "The gateway has no configuration loaded yet.", time.Second)
	errAdmission    = serverError(http.StatusServiceUnavailable, "admission_unavailable", "The gateway could not check this key's limits; retry shortly.", time.Second)
	errMethod       = &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
		Message: "Method not allowed on this path."}
	errNoRoute = &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
		Message: "Unknown path. This gateway serves the OpenAI API under /v1."}
)

// Upstream failures, as the attempt loop classifies them.

// upstreamFailure is a 502 the gateway reports about an upstream.
func upstreamFailure(code, msg string, class providers.ErrorClass) *providers.Error {
	return &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: code, Message: msg, Class: class}
}

// upstreamTimeout is a 504: the upstream did not answer (or stopped) in time.
func upstreamTimeout(msg string) *providers.Error {
	return &providers.Error{Status: http.StatusGatewayTimeout, Type: "timeout_error", Code: "upstream_timeout", Message: msg, Class: providers.ClassTimeout}
}

// upstreamUnavailable is a 503 decided before anything was sent upstream
// (a provider at its concurrency limit, no backend left).
func upstreamUnavailable(code, msg string) *providers.Error {
	return &providers.Error{Status: http.StatusServiceUnavailable, Type: "server_error", Code: code, Message: msg, Class: providers.ClassServerError}
}

// clientClosed is the one 499: the client left before its answer ended.
func clientClosed() *providers.Error {
	return &providers.Error{Status: 499, Type: "client_closed", Message: "client closed the request", Class: providers.ClassFatal}
}

// fromUpstream turns an adapter's error into the client's answer.
func fromUpstream(e *providers.Error) *apiError {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusBadGateway
	}
	typ := e.Type
	if typ == "" {
		typ = "upstream_error"
	}
	return &apiError{Status: status, Type: typ, Code: e.Code, Message: e.Message, RetryAfter: e.RetryAfter}
}

// terminalEvent is the last event of a stream that failed after bytes were
// sent: an error object, and no [DONE], so clients see the stream failed.
func terminalEvent(msg, code string) []byte {
	e := &apiError{Type: "upstream_error", Code: code, Message: msg}
	b := make([]byte, 0, 128)
	b = append(b, "data: "...)
	b = append(b, e.body()...)
	return append(b, '\n', '\n')
}
