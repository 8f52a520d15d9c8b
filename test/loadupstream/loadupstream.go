// Package loadupstream is the lean mock provider of the load programs and
// tests (hack/bench, hack/scale, test/soak): a fixed OpenAI chat
// completion, or a stream of fixed chunks, with no parsing beyond finding
// "stream":true, so that what they measure is the gateway, not the mock.
// test/upstream is the faithful mock for behaviour.
package loadupstream

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Reply is the content of the fixed completion.
const Reply = "hello"

// GapHeader, on a request, overrides the time between its stream's chunks
// (a Go duration, under a minute).
const GapHeader = "X-Bench-Gap"

// Handler answers every request: a fixed completion of Reply, or, for a
// request with "stream":true, chunks content chunks gap apart, a usage
// chunk (chunks completion tokens) and [DONE]. A client that leaves ends
// its stream.
func Handler(chunks int, gap time.Duration) http.Handler {
	body := []byte(`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"` + Reply + `"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`)
	chunk := []byte("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok \"},\"finish_reason\":null}]}\n\n")
	usage := []byte(fmt.Sprintf("data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n", chunks, chunks+9))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, _ := io.ReadAll(r.Body)
		if !bytes.Contains(in, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
			return
		}
		g := gap
		if d, err := time.ParseDuration(r.Header.Get(GapHeader)); err == nil && d > 0 && d < time.Minute {
			g = d
		}
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := range chunks {
			if i > 0 {
				t := time.NewTimer(g)
				select {
				case <-r.Context().Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if _, err := w.Write(chunk); err != nil {
				return
			}
			_ = rc.Flush()
		}
		_, _ = w.Write(usage)
	})
}
