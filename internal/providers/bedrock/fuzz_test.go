package bedrock

import (
	"bytes"
	"io"
	"path/filepath"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

// FuzzStream feeds arbitrary bytes to the event-stream decoder: it may
// fail, never panic or loop. Seeds are the encoded golden stream inputs.
func FuzzStream(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.json"))
	for _, s := range seeds {
		if filepath.Ext(s) == ".json" && !bytes.Contains([]byte(s), []byte(".golden")) {
			f.Add(encodeFrames(f, s))
		}
	}
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	providertest.FuzzStream(f, func(body io.Reader) providers.Stream { return NewStream(body, "m", providertest.Now) })
}

// FuzzRequest translates arbitrary bodies: errors are fine, panics not.
func FuzzRequest(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":"none"}`))
	f.Add([]byte(`{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"a","name":"b"}}]}},"usage":{}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = toConverse(in)
		_, _, _ = FromConverse(in, "m", providertest.Now)
	})
}
