package gemini

import (
	"bytes"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	"os"
	"path/filepath"
	"testing"
)

// FuzzStream feeds arbitrary bytes to the SSE stream decoder: it may fail,
// never panic or loop. Seeds are the golden stream inputs.
func FuzzStream(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\"}}\n\n"))
	f.Add([]byte("data: {\"type\":\"message_start\"}\n\n"))
	f.Add([]byte("data: {\"type\":\"error\"}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewStream(bytes.NewReader(in), "m", providertest.Now)
		for i := 0; ; i++ {
			if i > len(in)+2 {
				t.Fatalf("stream returned %d chunks from %d bytes", i, len(in))
			}
			if _, err := s.Next(); err != nil {
				return
			}
		}
	})
}

// FuzzRequest translates arbitrary request bodies: errors are fine, panics
// are not.
func FuzzRequest(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "request", "*.json"))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = toGenerate(in)
		_, _, _ = FromGenerate(in, "m", providertest.Now)
	})
}
