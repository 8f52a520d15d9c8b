package limits

import "bytes"

// Token estimate heuristic (no tokenizer is available offline):
//
//   - text: one token per 4 bytes, rounded up — close to BPE tokenizers on
//     English and code, and an over-estimate for JSON punctuation, which is
//     the safe side: admission reserves it and settlement returns the rest;
//   - each chat message costs 4 tokens of framing (role, separators) and
//     every request 3 more for the assistant's priming, as OpenAI documents;
//   - an inline base64 image counts as imageTokens instead of its bytes,
//     since images are billed by tiles, not by size.
const (
	bytesPerToken   = 4
	messageOverhead = 4
	requestOverhead = 3
	imageTokens     = 765 // a 512×512 high-detail tile plus base cost
)

var (
	roleKey   = []byte(`"role"`)
	base64Tag = []byte(";base64,")
)

// EstimateTokens estimates the input tokens of an OpenAI-shaped JSON request
// body (chat completions or embeddings) in one pass without parsing it.
func EstimateTokens(body []byte) int64 {
	var images, imageBytes int64
	rest := body
	for {
		i := bytes.Index(rest, base64Tag)
		if i < 0 {
			break
		}
		rest = rest[i+len(base64Tag):]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			end = len(rest)
		}
		images++
		imageBytes += int64(end)
		rest = rest[end:]
	}
	messages := int64(bytes.Count(body, roleKey))
	return EstimateText(int64(len(body))-imageBytes, messages) + images*imageTokens
}

// EstimateText estimates the tokens of textBytes of text spread over
// messages chat messages.
func EstimateText(textBytes, messages int64) int64 {
	if textBytes < 0 {
		textBytes = 0
	}
	if messages < 0 {
		messages = 0
	}
	return (textBytes+bytesPerToken-1)/bytesPerToken + messages*messageOverhead + requestOverhead
}
