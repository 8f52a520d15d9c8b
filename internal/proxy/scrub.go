package proxy

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
)

// Every upstream byte that reaches a client passes through here first: a
// vendor (or a model told to) may echo the credential the gateway sent it,
// in an error message, an answer body or a stream, so each provider's
// secrets are replaced by redactedMark wherever they appear.

const redactedMark = "[redacted]"

// secretForms are the spellings of a secret in upstream JSON: as is, and
// with "/" escaped as "\/" (legal JSON, and what some encoders write); the
// second is "" when the secret has no "/". An array, so that scrubbing
// every answer allocates nothing for it.
func secretForms(sec string) [2]string {
	if strings.Contains(sec, "/") {
		return [2]string{sec, strings.ReplaceAll(sec, "/", `\/`)}
	}
	return [2]string{sec}
}

// redact replaces each secret in s.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range secretForms(sec) {
			if f != "" && strings.Contains(s, f) {
				s = strings.ReplaceAll(s, f, redactedMark)
			}
		}
	}
	return s
}

// redactBytes replaces each secret in b, in place when none occurs.
func redactBytes(b []byte, secrets []string) []byte {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, f := range secretForms(sec) {
			if f != "" && bytes.Contains(b, []byte(f)) {
				b = bytes.ReplaceAll(b, []byte(f), []byte(redactedMark))
			}
		}
	}
	return b
}

// longestSecret is the length of the longest spelling of any secret.
func longestSecret(secrets []string) int {
	n := 0
	for _, sec := range secrets {
		for _, f := range secretForms(sec) {
			n = max(n, len(f))
		}
	}
	return n
}

// scrubWriter redacts secrets from a byte stream written in pieces: it holds
// back the last longest-1 bytes of what it was given, so a secret split
// across two writes is still found whole. Close writes what is held.
type scrubWriter struct {
	w       io.Writer
	secrets []string
	hold    int
	buf     []byte
}

func newScrubWriter(w io.Writer, secrets []string) *scrubWriter {
	return &scrubWriter{w: w, secrets: secrets, hold: max(longestSecret(secrets)-1, 0)}
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	s.buf = redactBytes(append(s.buf, p...), s.secrets)
	if n := len(s.buf) - s.hold; n > 0 {
		if _, err := s.w.Write(s.buf[:n]); err != nil {
			return 0, err
		}
		s.buf = append(s.buf[:0], s.buf[n:]...)
	}
	return len(p), nil
}

// Close writes the bytes held back.
func (s *scrubWriter) Close() error {
	if len(s.buf) == 0 {
		return nil
	}
	_, err := s.w.Write(s.buf)
	s.buf = s.buf[:0]
	return err
}

// contentScrubber finds secrets split across the text deltas of a
// canonical stream (each chunk alone is redacted by redactBytes): it holds
// back the end of the text while it could be the start of a secret, and
// sends it with the next chunk, or alone before the stream ends.
type contentScrubber struct {
	secrets []string
	held    string
	last    map[string]any // the last chunk rewritten, a template for flush
}

type deltaText struct {
	Choices []struct {
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
}

// chunk returns the chunk to send in place of data (data itself when
// nothing changes).
func (cs *contentScrubber) chunk(data []byte) []byte {
	var d deltaText
	if json.Unmarshal(data, &d) != nil || len(d.Choices) != 1 {
		return data // not one choice's text: redactBytes alone applies
	}
	content := ""
	if c := d.Choices[0].Delta.Content; c != nil {
		content = *c
	}
	if cs.held == "" && content == "" {
		return data
	}
	text := redact(cs.held+content, cs.secrets)
	k := 0
	if d.Choices[0].FinishReason == nil {
		k = cs.prefixSuffix(text) // the last text of a choice is never held
	}
	send := text[:len(text)-k]
	cs.held = text[len(text)-k:]
	if send == content {
		return data
	}
	var v map[string]any
	if json.Unmarshal(data, &v) != nil {
		return data
	}
	setContent(v, send)
	cs.last = v
	b, err := json.Marshal(v)
	if err != nil {
		return data
	}
	return b
}

// flush returns a chunk carrying the text still held, or nil.
func (cs *contentScrubber) flush() []byte {
	if cs == nil || cs.held == "" || cs.last == nil {
		return nil
	}
	setContent(cs.last, cs.held)
	if choices, _ := cs.last["choices"].([]any); len(choices) == 1 {
		if ch, _ := choices[0].(map[string]any); ch != nil {
			ch["finish_reason"] = nil
		}
	}
	cs.held = ""
	b, err := json.Marshal(cs.last)
	if err != nil {
		return nil
	}
	return b
}

// prefixSuffix is the length of the longest end of text that is a proper
// start of some secret's spelling.
func (cs *contentScrubber) prefixSuffix(text string) int {
	best := 0
	for _, sec := range cs.secrets {
		for _, f := range secretForms(sec) {
			for k := min(len(f)-1, len(text)); k > best; k-- {
				if strings.HasSuffix(text, f[:k]) {
					best = k
					break
				}
			}
		}
	}
	return best
}

func setContent(v map[string]any, text string) {
	choices, _ := v["choices"].([]any)
	if len(choices) != 1 {
		return
	}
	ch, _ := choices[0].(map[string]any)
	if ch == nil {
		return
	}
	delta, _ := ch["delta"].(map[string]any)
	if delta == nil {
		delta = map[string]any{}
		ch["delta"] = delta
	}
	delta["content"] = text
	if text == "" {
		delete(delta, "content")
	}
}
