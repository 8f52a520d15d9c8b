package jsonguard

import (
	"encoding/json"
	"strings"
	"testing"
)

// chatBody is a typical multi-turn chat request of about 8 KiB.
var chatBody = func() []byte {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"max_tokens":512,"messages":[`)
	for i := range 20 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"role":"user","content":[{"type":"text","text":"` + strings.Repeat("lorem ipsum dolor sit amet ", 12) + `"}]}`)
	}
	sb.WriteString(`],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}}}]}`)
	return []byte(sb.String())
}()

func BenchmarkCheck(b *testing.B) {
	b.SetBytes(int64(len(chatBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(chatBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONValid is the encoding/json check Check replaces.
func BenchmarkJSONValid(b *testing.B) {
	b.SetBytes(int64(len(chatBody)))
	b.ReportAllocs()
	for b.Loop() {
		if !json.Valid(chatBody) {
			b.Fatal("invalid")
		}
	}
}
