package openai

import (
	"encoding/base64"
	"strings"
)

// DataURL is a decoded-header data: URL (the payload stays base64).
type DataURL struct {
	MediaType string
	// Base64 is the payload, still base64-encoded.
	Base64 string
}

// ParseDataURL splits "data:image/png;base64,AAAA". ok is false for any
// other URL and for data URLs that are not base64 or whose payload is not
// valid standard base64.
func ParseDataURL(u string) (DataURL, bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return DataURL{}, false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found {
		return DataURL{}, false
	}
	mediaType, enc, found := strings.Cut(meta, ";")
	if !found || !strings.EqualFold(enc, "base64") || mediaType == "" {
		return DataURL{}, false
	}
	if _, err := base64.StdEncoding.DecodeString(payload); err != nil {
		return DataURL{}, false
	}
	return DataURL{MediaType: strings.ToLower(mediaType), Base64: payload}, true
}

// NewUsage builds OpenAI usage from vendor-neutral figures: input includes
// cached and cache-write tokens, output includes reasoning tokens.
func NewUsage(input, output, cached, cacheWrite, reasoning int64) *Usage {
	u := &Usage{
		PromptTokens:             input,
		CompletionTokens:         output,
		TotalTokens:              input + output,
		PromptTokensDetails:      &PromptTokensDetails{CachedTokens: cached},
		CompletionTokensDetails:  &CompletionTokensDetails{ReasoningTokens: reasoning},
		CacheCreationInputTokens: cacheWrite,
	}
	return u
}
