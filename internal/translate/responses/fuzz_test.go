package responses

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

// FuzzRequest translates arbitrary Responses bodies: errors are fine,
// panics are not, and whatever translates encodes as a chat request.
func FuzzRequest(f *testing.F) {
	providertest.FuzzRequest(f, func(t *testing.T, in []byte) {
		out, req, err := Request(in, nil)
		if err == nil && (req == nil || len(out) == 0) {
			t.Fatal("translated without a request or a body")
		}
		_, _ = Response(in, Answer{ID: "resp_f", Model: "m", Request: req})
	})
}

// FuzzStream feeds arbitrary chunk lines to the stream writer: whatever
// it writes must be a well-formed event sequence ending in a final event.
func FuzzStream(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.jsonl"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b, false)
			f.Add(b, true)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, fail bool) {
		s := NewStream(Answer{ID: "resp_f", Model: "m"})
		out := providertest.FeedLines(s, in)
		if fail {
			out.Write(s.Error(502, "broken"))
		} else {
			out.Write(s.Finish())
		}
		if !s.Done() {
			t.Fatal("stream not done")
		}
		if err := CheckEvents(out.Bytes()); err != nil {
			t.Fatalf("%v:\n%s", err, out.Bytes())
		}
	})
}
