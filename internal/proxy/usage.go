package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// usageReport is the body of GET /usage.
type usageReport struct {
	// Gateway is namespace/name of the AIGateway.
	Gateway string `json:"gateway"`
	// Window is the period of the first consumer's window (all consumers
	// share it unless a budget policy sets a Day or Week window).
	Window    string          `json:"window"`
	Consumers []consumerUsage `json:"consumers"`
}

// consumerUsage is one consumer's totals in its current usage window.
type consumerUsage struct {
	Name string `json:"name"`
	// Window is the period label ("2026-11", "2026-W47", "2026-11-25").
	Window            string                `json:"window"`
	WindowKind        string                `json:"windowKind"`
	Start             time.Time             `json:"start"`
	End               time.Time             `json:"end"`
	Requests          int64                 `json:"requests"`
	InputTokens       int64                 `json:"inputTokens"`
	OutputTokens      int64                 `json:"outputTokens"`
	CachedInputTokens int64                 `json:"cachedInputTokens,omitempty"`
	CostUSD           float64               `json:"costUSD"`
	Models            map[string]modelUsage `json:"models"`
}

type modelUsage struct {
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	CostUSD      float64 `json:"costUSD"`
}

// wire is the error in OpenAI's shape, for JSON answers off the client API.
func (e *apiError) wire() wireErrorBody {
	w := wireErrorBody{Error: wireError{Message: e.Message, Type: e.Type}}
	if e.Code != "" {
		w.Error.Code = &e.Code
	}
	return w
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"encoding failed","type":"server_error","param":null,"code":null}}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
