package proxy

import (
	"bufio"
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readEvent reads one SSE event (up to the blank line) with a deadlock
// guard; the guard is a failure bound, not a speed assertion.
func readEvent(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	type res struct {
		s   string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var b strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				ch <- res{b.String(), err}
				return
			}
			if line == "\n" {
				ch <- res{b.String(), nil}
				return
			}
			b.WriteString(line)
		}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("reading event: %v (got %q)", r.err, r.s)
		}
		return r.s
	case <-time.After(10 * time.Second):
		t.Fatal("event not delivered: the gateway buffered the stream")
		return ""
	}
}

// Row 17: chunks reach the client as the upstream sends them. The upstream
// sends chunk 2 only after the client has read chunk 1.
func TestRow17StreamsAreStreamed(t *testing.T) {
	g, key, up := mockGateway(t)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, g.url+"/v1/chat/completions", strings.NewReader(chatBody(true, "")))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("x-mock-step", "row17")
	req.Header.Set("x-mock-chunks", "3")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Content-Type %q Content-Encoding %q", ct, resp.Header.Get("Content-Encoding"))
	}
	br := bufio.NewReader(resp.Body)
	for i := 1; i <= 3; i++ {
		ev := readEvent(t, br)
		if !strings.Contains(ev, "w"+string(rune('0'+i))) {
			t.Fatalf("event %d = %q", i, ev)
		}
		if i < 3 {
			up.Step("row17") <- struct{}{} // release the next chunk only now
		}
	}
}

// Row 18: usage is counted whether or not the client asked, and the usage
// chunk the gateway asked for on the client's behalf is not shown.
func TestRow18UsageAlwaysCountedHiddenUnlessAsked(t *testing.T) {
	g, key, up := mockGateway(t)
	for _, asked := range []bool{false, true} {
		extra := ""
		if asked {
			extra = `,"stream_options":{"include_usage":true}`
		}
		resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(true, extra), nil)
		body := readAll(t, resp)
		rec, _ := up.Last()
		if !strings.Contains(string(rec.Body), `"include_usage":true`) {
			t.Errorf("asked=%v: upstream was not asked for usage: %s", asked, rec.Body)
		}
		if got := strings.Contains(body, `"prompt_tokens"`); got != asked {
			t.Errorf("asked=%v: usage chunk shown = %v: %s", asked, got, body)
		}
	}
	logs := g.logs.String()
	if strings.Count(logs, `"usage_reported":true`) != 2 || !strings.Contains(logs, `"input_tokens":10`) {
		t.Errorf("usage not recorded for both streams: %s", logs)
	}
}

// Row 16: a client that disconnects mid-stream cancels the upstream at
// once; goroutines return to baseline; partial usage is recorded.
func TestRow16ClientDisconnect(t *testing.T) {
	g, key, up := mockGateway(t)
	tr := &http.Transport{}
	warm := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
	readAll(t, warm)
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	time.Sleep(50 * time.Millisecond)
	base := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/chat/completions", strings.NewReader(chatBody(true, "")))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("x-mock-step", "row16")
	req.Header.Set("x-mock-chunks", "5")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readEvent(t, bufio.NewReader(resp.Body))
	cancel()
	resp.Body.Close()
	tr.CloseIdleConnections()
	select {
	case <-up.CancelledCh():
	case <-time.After(10 * time.Second):
		t.Fatal("upstream request was not cancelled")
	}
	eventually(t, 10*time.Second, "access log of the cancelled stream", func() bool {
		return strings.Contains(g.logs.String(), `"client_cancelled":true`)
	})
	logs := g.logs.String()
	if !strings.Contains(logs, `"output_tokens":1,`) {
		t.Errorf("partial usage not recorded: %s", logs)
	}
	eventually(t, 10*time.Second, "goroutines back to baseline", func() bool {
		return runtime.NumGoroutine() <= base+2
	})
}
