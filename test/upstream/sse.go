package upstream

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// eventStream is a text/event-stream answer being written, each event
// flushed as it is sent (OpenAI's chat and completions streams, and
// Anthropic's and the Responses API's named events).
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startEventStream writes the 200 with the event-stream headers.
func startEventStream(w http.ResponseWriter) *eventStream {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, rc: http.NewResponseController(w)}
}

// data sends v's JSON as an event with a data line only.
func (e *eventStream) data(v any) {
	b, _ := json.Marshal(v)
	_, _ = fmt.Fprintf(e.w, "data: %s\n\n", b)
	_ = e.rc.Flush()
}

// event sends v's JSON as the event name.
func (e *eventStream) event(name string, v any) {
	b, _ := json.Marshal(v)
	_, _ = fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", name, b)
	_ = e.rc.Flush()
}

// done sends OpenAI's last event, data: [DONE].
func (e *eventStream) done() {
	_, _ = fmt.Fprint(e.w, "data: [DONE]\n\n")
	_ = e.rc.Flush()
}
