package chatstream

import (
	"fmt"
	"strings"
	"testing"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// recorder is a Target that writes each hook call as one event.
type recorder struct {
	out Events
	d   Driver
}

func newRecorder() *recorder {
	r := &recorder{}
	r.d = NewDriver(Target{
		Start: func(id string) { r.out.Add("start", []byte(id)) },
		Choice: func(ch oa.ChunkChoice) {
			text := ""
			if ch.Delta.Content != nil {
				text = *ch.Delta.Content
			}
			r.out.Add("choice", []byte(fmt.Sprintf("%d %s", ch.Index, text)))
		},
		End: func(finish string, u *oa.Usage) {
			total := "none"
			if u != nil {
				total = fmt.Sprint(u.TotalTokens)
			}
			r.out.Add("end", []byte(finish+" "+total))
		},
		Fail: func(status int, message string, started bool, u *oa.Usage) {
			r.out.Add("fail", []byte(fmt.Sprintf("%d %s %t %v", status, message, started, u != nil)))
		},
	}, &r.out)
	return r
}

func (r *recorder) chunk(t *testing.T, data string) string {
	t.Helper()
	b, err := r.d.Chunk([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDriverEndsOnceFinishAndUsageCame(t *testing.T) {
	r := newRecorder()
	got := r.chunk(t, `{"id":"c1","choices":[{"index":0,"delta":{"content":"hi"}},{"index":1,"delta":{"content":"other"}}]}`)
	if want := "event: start\ndata: c1\n\nevent: choice\ndata: 0 hi\n\n"; got != want {
		t.Fatalf("first chunk wrote %q, want %q", got, want)
	}
	got = r.chunk(t, `{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}`)
	if want := "event: choice\ndata: 0 \n\n"; got != want || r.d.Done() {
		t.Fatalf("finish without usage wrote %q (done %t), want %q and not done", got, r.d.Done(), want)
	}
	got = r.chunk(t, `{"id":"c1","choices":[],"usage":{"total_tokens":7}}`)
	if want := "event: end\ndata: length 7\n\n"; got != want || !r.d.Done() {
		t.Fatalf("usage chunk wrote %q (done %t), want %q and done", got, r.d.Done(), want)
	}
	if got := r.chunk(t, `{"id":"c1","choices":[{"index":0,"delta":{"content":"late"}}]}`); got != "" {
		t.Errorf("chunk after the end wrote %q", got)
	}
	if got := r.d.Finish(); got != nil {
		t.Errorf("Finish after the end wrote %q", got)
	}
	if got := r.d.Error(502, "x"); got != nil {
		t.Errorf("Error after the end wrote %q", got)
	}
}

func TestDriverFinishWithoutFinishReasonStops(t *testing.T) {
	r := newRecorder()
	r.chunk(t, `{"id":"c1","choices":[],"usage":{"total_tokens":3}}`)
	if got, want := string(r.d.Finish()), "event: end\ndata: stop 3\n\n"; got != want || !r.d.Done() {
		t.Fatalf("Finish wrote %q, want %q", got, want)
	}
}

func TestDriverFinishOfAnEmptyStreamStarts(t *testing.T) {
	r := newRecorder()
	got := string(r.d.Finish())
	if !strings.HasPrefix(got, "event: start\ndata: \n\n") || !strings.HasSuffix(got, "event: end\ndata: stop none\n\n") {
		t.Fatalf("Finish of an empty stream wrote %q", got)
	}
}

func TestDriverError(t *testing.T) {
	r := newRecorder()
	if got, want := string(r.d.Error(429, "slow")), "event: fail\ndata: 429 slow false false\n\n"; got != want || !r.d.Done() {
		t.Fatalf("Error before any chunk wrote %q, want %q", got, want)
	}
	r = newRecorder()
	r.chunk(t, `{"id":"c1","choices":[],"usage":{"total_tokens":3}}`)
	if got, want := string(r.d.Error(502, "gone")), "event: fail\ndata: 502 gone true true\n\n"; got != want {
		t.Fatalf("Error after a chunk wrote %q, want %q", got, want)
	}
	if got := r.d.Finish(); got != nil {
		t.Errorf("Finish after the failure wrote %q", got)
	}
}

func TestDriverRefusesABadChunk(t *testing.T) {
	r := newRecorder()
	if _, err := r.d.Chunk([]byte("{")); err == nil || !strings.Contains(err.Error(), "decoding chat completion chunk") {
		t.Fatalf("got %v, want a decoding error", err)
	}
	if r.d.Done() {
		t.Error("a refused chunk ended the stream")
	}
}
