// Package tokenize counts tokens offline with the BPE vocabularies of
// github.com/tiktoken-go/tokenizer, which are compiled into the binary
// (nothing is downloaded at run time): o200k_base for OpenAI's current
// models, cl100k_base for GPT-4/3.5 and the text-embedding models. Models
// with no public tokenizer (Claude, Gemini, the rest) are counted with the
// closest vocabulary, and the count says it is an estimate.
package tokenize

import (
	"fmt"
	"strings"
	"sync"

	"github.com/tiktoken-go/tokenizer"
)

// Encodings.
const (
	O200k  = string(tokenizer.O200kBase)
	Cl100k = string(tokenizer.Cl100kBase)
)

// Family is the vocabulary a model is counted with, and whether that is
// the model's own (Exact) or the closest public one.
type Family struct {
	Encoding string
	Exact    bool
}

// exact are the model name prefixes whose tokenizer is public.
var exact = []struct {
	prefix, encoding string
}{
	{"gpt-4o", O200k}, {"gpt-4.1", O200k}, {"gpt-4.5", O200k}, {"gpt-5", O200k}, {"gpt-oss", O200k},
	{"chatgpt-4o", O200k}, {"o1", O200k}, {"o3", O200k}, {"o4", O200k}, {"codex-", O200k},
	{"gpt-4", Cl100k}, {"gpt-3.5", Cl100k}, {"gpt-35", Cl100k}, {"text-embedding-", Cl100k},
}

// ForModel is the family of an (upstream) model name. Claude models are
// counted with cl100k_base, the others with o200k_base, as estimates.
func ForModel(model string) Family {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:] // "openai/gpt-4o", "models/gemini-2.0-flash"
	}
	for _, e := range exact {
		if strings.HasPrefix(m, e.prefix) {
			return Family{Encoding: e.encoding, Exact: true}
		}
	}
	if strings.Contains(m, "claude") {
		return Family{Encoding: Cl100k}
	}
	return Family{Encoding: O200k}
}

var (
	mu     sync.Mutex
	codecs = map[string]tokenizer.Codec{}
)

// codec returns the shared codec of an encoding, built on first use (the
// vocabulary is decoded once per process).
func codec(encoding string) (tokenizer.Codec, error) {
	mu.Lock()
	defer mu.Unlock()
	if c, ok := codecs[encoding]; ok {
		return c, nil
	}
	c, err := tokenizer.Get(tokenizer.Encoding(encoding))
	if err != nil {
		return nil, fmt.Errorf("tokenizer %q: %w", encoding, err)
	}
	c.SetErrorMode(tokenizer.ErrorModeReplace)
	codecs[encoding] = c
	return c, nil
}

// Count is the number of tokens of text in an encoding. Special-token
// text ("<|endoftext|>") counts as the ordinary text it is.
func Count(encoding, text string) (int, error) {
	if text == "" {
		return 0, nil
	}
	c, err := codec(encoding)
	if err != nil {
		return 0, err
	}
	n, err := c.Count(text)
	if err != nil {
		return 0, fmt.Errorf("counting tokens: %w", err)
	}
	return n, nil
}
