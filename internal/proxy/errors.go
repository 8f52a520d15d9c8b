package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
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
}

func (e *apiError) Error() string { return e.Message }

type wireErrorBody struct {
	Error wireError `json:"error"`
}

type wireError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (e *apiError) body() []byte {
	w := wireErrorBody{Error: wireError{Message: e.Message, Type: e.Type}}
	if e.Param != "" {
		w.Error.Param = &e.Param
	}
	if e.Code != "" {
		w.Error.Code = &e.Code
	}
	b, err := json.Marshal(w)
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

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	for k, v := range e.Header {
		h[k] = v
	}
	if e.RetryAfter > 0 {
		h.Set("Retry-After", retryAfterSeconds(e.RetryAfter))
	}
	b := e.body()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}

// retryAfterSeconds rounds up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

func badRequest(msg, param string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request", Message: msg, Param: param}
}

func notFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Message: msg, Param: "model"}
}

var (
	errTooLarge = &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: "The request body is larger than this gateway accepts."}
	errOverloaded = &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "gateway_overloaded",
		Message: "The gateway is at its concurrency limit; retry shortly.", RetryAfter: time.Second}
	errShuttingDown = &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "gateway_shutdown",
		Message: "The gateway is shutting down; retry on another replica.", RetryAfter: time.Second}
	errNotReady = &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "gateway_not_ready",
		Message: "The gateway has no configuration loaded yet.", RetryAfter: time.Second}
	errMethod = &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
		Message: "Method not allowed on this path."}
	errNoRoute = &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
		Message: "Unknown path. This gateway serves the OpenAI API under /v1."}
)

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
