package proxy

import "testing"

// BenchmarkRenameModel is the per-chunk cost of naming the public model in
// a chat stream chunk (sseCodec.chunk): a chunk that already names it (a
// route whose upstream model is the public one) and one that does not.
//
//	go test -run '^$' -bench RenameModel -benchmem ./internal/proxy/
func BenchmarkRenameModel(b *testing.B) {
	chunk := []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}`)
	for _, c := range []struct{ name, model string }{{"same", "gpt-4o-2024-08-06"}, {"renamed", "gpt-4o"}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = renameModel(chunk, c.model)
			}
		})
	}
}
