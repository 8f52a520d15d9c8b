package gemini

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// MapError maps a google.rpc.Status error answer:
// {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}.
func MapError(status int, h http.Header, body []byte) *providers.Error {
	var env struct {
		Error rpcStatus `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil || (env.Error.Status == "" && env.Error.Message == "") {
		env.Error = rpcStatus{Code: status, Message: http.StatusText(status)}
	}
	return fromStatus(status, env.Error, vendorkit.RetryAfter(h, time.Now()))
}

// fromStatus maps an rpc status (status is the HTTP status, 0 in a stream).
func fromStatus(status int, st rpcStatus, ra time.Duration) *providers.Error {
	if status == 0 {
		status = st.Code
	}
	if d := retryDelay(st.Details); d > 0 {
		ra = d
	}
	e := &providers.Error{Status: status, Message: "gemini: " + st.Message, RetryAfter: ra}
	code := st.Status
	if code == "" {
		code = codeForStatus(status)
	}
	switch code {
	case "RESOURCE_EXHAUSTED":
		e.Status, e.Type, e.Code, e.Class = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	case "UNAVAILABLE":
		e.Status, e.Type, e.Code, e.Class = http.StatusServiceUnavailable, "server_error", "upstream_unavailable", providers.ClassServerError
	case "DEADLINE_EXCEEDED":
		e.Status, e.Type, e.Code, e.Class = http.StatusGatewayTimeout, "server_error", "upstream_timeout", providers.ClassTimeout
	case "UNAUTHENTICATED", "PERMISSION_DENIED":
		credential(e)
	case "NOT_FOUND":
		e.Status, e.Type, e.Code, e.Class = http.StatusNotFound, "invalid_request_error", "model_not_found", providers.ClassFatal
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE":
		e.Status, e.Type, e.Code, e.Class = http.StatusBadRequest, "invalid_request_error", "invalid_request", providers.ClassFatal
		switch {
		case hasReason(st.Details, "API_KEY_INVALID"):
			credential(e)
		case isContextTooLong(st.Message):
			e.Code = "context_length_exceeded"
			e.Message = "gemini: the request exceeds the model's context window: " + st.Message
		}
	default: // INTERNAL, UNKNOWN and anything new
		e.Type, e.Code, e.Class = "server_error", "upstream_error", providers.ClassServerError
		if e.Status < 500 || e.Status == http.StatusInternalServerError {
			e.Status = http.StatusBadGateway
		}
	}
	return e
}

func credential(e *providers.Error) {
	e.Status, e.Type, e.Code, e.Class = http.StatusBadGateway, "upstream_error", "upstream_credential_rejected", providers.ClassServerError
	e.Message = "gemini: the gateway's vendor credential was rejected by the upstream provider"
}

func codeForStatus(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	}
	return "INTERNAL"
}

func isContextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "exceeds the maximum number of tokens") || strings.Contains(m, "input token count") ||
		strings.Contains(m, "context window") || strings.Contains(m, "too long")
}

// detail is one entry of google.rpc.Status.details.
type detail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`
	RetryDelay string `json:"retryDelay"`
}

func decodeDetails(raw []json.RawMessage) []detail {
	out := make([]detail, 0, len(raw))
	for _, r := range raw {
		var d detail
		if json.Unmarshal(r, &d) == nil {
			out = append(out, d)
		}
	}
	return out
}

func hasReason(raw []json.RawMessage, reason string) bool {
	for _, d := range decodeDetails(raw) {
		if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") && d.Reason == reason {
			return true
		}
	}
	return false
}

// retryDelay reads google.rpc.RetryInfo ("retryDelay": "30s").
func retryDelay(raw []json.RawMessage) time.Duration {
	for _, d := range decodeDetails(raw) {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}
