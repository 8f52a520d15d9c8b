package sdk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	oaprov "github.com/tollgate-dev/tollgate/internal/providers/openai"
	"github.com/tollgate-dev/tollgate/internal/translate/messages"
)

// messagesShim serves POST /v1/messages in front of the gateway's
// /v1/chat/completions with internal/translate/messages: the same steps
// the proxy takes when it routes /v1/messages itself (translate the
// request, run the canonical pipeline, translate the answer, the stream
// event by event, or the error).
func messagesShim(t *testing.T, g *gateway) string {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		canon, req, err := messages.Request(body)
		if err != nil {
			var re *messages.RequestError
			if !errors.As(err, &re) {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			writeAnthropic(w, http.StatusBadRequest, messages.ErrorBody(http.StatusBadRequest, re.Message))
			return
		}
		up, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, g.url+"/v1/chat/completions", bytes.NewReader(canon))
		up.Header.Set("Authorization", "Bearer "+r.Header.Get("X-Api-Key"))
		up.Header.Set("Content-Type", "application/json")
		for k, v := range r.Header {
			if len(k) > 7 && k[:7] == "X-Mock-" {
				up.Header[k] = v
			}
		}
		resp, err := http.DefaultClient.Do(up)
		if err != nil {
			writeAnthropic(w, http.StatusBadGateway, messages.ErrorBody(http.StatusBadGateway, "gateway unreachable"))
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			if ra := resp.Header.Get("Retry-After"); ra != "" {
				w.Header().Set("Retry-After", ra)
			}
			writeAnthropic(w, resp.StatusCode, messages.FromOpenAIError(resp.StatusCode, b))
			return
		}
		if !req.Stream {
			b, _ := io.ReadAll(resp.Body)
			out, err := messages.Response(b, req.Model)
			if err != nil {
				writeAnthropic(w, http.StatusBadGateway, messages.ErrorBody(http.StatusBadGateway, err.Error()))
				return
			}
			writeAnthropic(w, http.StatusOK, out)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		conv := messages.NewStream(req.Model)
		dec := oaprov.NewSSEDecoder(resp.Body)
		for {
			ev, err := dec.Next()
			if err != nil {
				_, _ = w.Write(conv.Error(http.StatusBadGateway, "the upstream stream broke"))
				return
			}
			if string(ev.Data) == "[DONE]" {
				_, _ = w.Write(conv.Finish())
				return
			}
			var e struct {
				Error *struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if json.Unmarshal(ev.Data, &e) == nil && e.Error != nil {
				_, _ = w.Write(conv.Error(http.StatusServiceUnavailable, e.Error.Message))
				return
			}
			out, err := conv.Chunk(ev.Data)
			if err != nil {
				_, _ = w.Write(conv.Error(http.StatusBadGateway, err.Error()))
				return
			}
			_, _ = w.Write(out)
			http.NewResponseController(w).Flush()
		}
	})
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

func writeAnthropic(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
