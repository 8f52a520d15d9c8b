package messages

import (
	"bytes"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

// FuzzRequest translates arbitrary Messages bodies: errors are fine,
// panics are not.
func FuzzRequest(f *testing.F) {
	providertest.FuzzRequest(f, func(t *testing.T, in []byte) {
		_, _, _ = Request(in)
		_, _ = Response(in, "m")
	})
}

// FuzzStream feeds arbitrary chunk lines to the stream converter; whatever
// it writes must end with message_stop or an error event after Finish.
func FuzzStream(f *testing.F) {
	providertest.AddSeeds(f, "stream", ".jsonl")
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewStream("m")
		out := providertest.FeedLines(s, in)
		out.Write(s.Finish())
		if !s.Done() || !bytes.HasSuffix(out.Bytes(), []byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")) {
			t.Fatalf("stream did not end with message_stop:\n%s", out.Bytes())
		}
	})
}
