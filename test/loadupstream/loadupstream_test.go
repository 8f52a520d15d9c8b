package loadupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body, gap string) (string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if gap != "" {
		req.Header.Set(GapHeader, gap)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Header.Get("Content-Type"), string(b)
}

// A completion is valid JSON carrying Reply; a stream is chunks content
// events, a usage event counting them and [DONE], also with a gap given
// per request.
func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(3, time.Millisecond))
	defer srv.Close()

	ct, body := post(t, srv.URL, `{"model":"m"}`, "")
	var c struct {
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil || ct != "application/json" || len(c.Choices) != 1 || c.Choices[0].Message.Content != Reply {
		t.Fatalf("completion %s %q: %v", ct, body, err)
	}

	for _, gap := range []string{"", "2ms"} {
		ct, body = post(t, srv.URL, `{"model":"m","stream":true}`, gap)
		events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
		if ct != "text/event-stream" || len(events) != 5 || strings.Count(body, `"content":"tok "`) != 3 ||
			!strings.Contains(events[3], `"completion_tokens":3,"total_tokens":12`) || events[4] != "data: [DONE]" {
			t.Fatalf("stream (gap %q) %s: %q", gap, ct, body)
		}
	}
}
