package guardrail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
	"strings"
)

// idLen is the number of hex digits of a placeholder's id.
const idLen = 10

// Hit is one rule's finding, counted (never the value).
type Hit struct {
	Group  string
	Label  string
	Action Action
	Count  int
}

// Masker masks the texts of one request and remembers the values behind
// its placeholders, to restore them in the answer. A placeholder is
// [KIND_id], id the first idLen hex digits of HMAC-SHA256(key, kind and
// value): the same value gets the same placeholder on every turn of a
// conversation (so a vendor's prompt cache keeps hitting), and a vendor
// that sees it cannot reverse it without the key. Not safe for
// concurrent use.
type Masker struct {
	set    *Set
	key    []byte
	values map[string]string  // id -> value
	hits   map[[2]string]*Hit // group, label -> hit
	redact bool
	scrub  bool      // Block rules' values are replaced too (NewScrubber)
	seen   []string  // the texts given, kept by a Masker with no rules
	block  [2]string // group and label of the first blocking rule hit
}

// NewMasker masks with set's rules and placeholder key key.
func NewMasker(set *Set, key []byte) *Masker {
	return &Masker{set: set, key: key, values: map[string]string{}, hits: map[[2]string]*Hit{}}
}

// NewRedactor is a Masker that replaces values with [KIND] for good (for
// answers: nothing is restored after them).
func NewRedactor(set *Set) *Masker {
	m := NewMasker(set, nil)
	m.redact = true
	return m
}

// NewScrubber is a Masker for text kept at rest (the activity log's
// captured bodies): Mask rules' values get the placeholders a NewMasker
// with key gives them, and Block rules' values are replaced by [KIND] as
// well (a refused request's value is not kept either). Log rules change
// nothing.
func NewScrubber(set *Set, key []byte) *Masker {
	m := NewMasker(set, key)
	m.scrub = true
	return m
}

// Text returns text with masking rules' values replaced by placeholders,
// and counts every rule's hits.
func (m *Masker) Text(text string) string {
	if m == nil {
		return text
	}
	if m.seen != nil || m.set == nil {
		m.seen = append(m.seen, text)
	}
	ms := m.set.Find(text)
	m.count(ms)
	return m.replace(text, ms)
}

// count counts the hits of ms and notes the first blocking one.
func (m *Masker) count(ms []Match) {
	for _, x := range ms {
		k := [2]string{x.Rule.group, x.Rule.label}
		h := m.hits[k]
		if h == nil {
			h = &Hit{Group: x.Rule.group, Label: x.Rule.label, Action: x.Rule.action}
			m.hits[k] = h
		}
		h.Count++
		if x.Rule.action == Block && m.block[1] == "" {
			m.block = [2]string{x.Rule.group, x.Rule.label}
		}
	}
}

// replace returns text with the values of ms's masking rules replaced by
// placeholders.
func (m *Masker) replace(text string, ms []Match) string {
	var b strings.Builder
	last := 0
	for _, x := range ms {
		switch {
		case x.Rule.action == Mask:
			b.WriteString(text[last:x.Start])
			b.WriteString(m.placeholder(x.Rule.kind, text[x.Start:x.End]))
		case x.Rule.action == Block && m.scrub:
			b.WriteString(text[last:x.Start])
			b.WriteString("[" + x.Rule.kind + "]")
		default:
			continue
		}
		last = x.End
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func (m *Masker) placeholder(kind, value string) string {
	if m.redact {
		return "[" + kind + "]"
	}
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	id := hex.EncodeToString(mac.Sum(nil))[:idLen]
	m.values[id] = value
	return "[" + kind + "_" + id + "]"
}

// Seen are the texts a Masker with no rules was given, in order.
func (m *Masker) Seen() []string { return m.seen }

// Blocked is the label of the first blocking rule that hit, or "".
func (m *Masker) Blocked() string {
	if m == nil {
		return ""
	}
	return m.block[1]
}

// BlockedBy is the group and label of the first blocking rule that hit.
func (m *Masker) BlockedBy() (group, label string) {
	if m == nil {
		return "", ""
	}
	return m.block[0], m.block[1]
}

// Hits are the rules that hit, by label.
func (m *Masker) Hits() []Hit {
	if m == nil {
		return nil
	}
	out := make([]Hit, 0, len(m.hits))
	for _, h := range m.hits {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Label < out[j].Label
	})
	return out
}

// Masked reports whether any value was replaced.
func (m *Masker) Masked() bool { return m != nil && len(m.values) > 0 }

// Restorer returns what puts the masked values back into answer text, or
// nil when nothing was masked.
func (m *Masker) Restorer() *Restorer {
	if !m.Masked() {
		return nil
	}
	kinds := m.set.Kinds()
	quoted := make([]string, len(kinds))
	maxKind := 0
	for i, k := range kinds {
		quoted[i] = regexp.QuoteMeta(k)
		maxKind = max(maxKind, len(k))
	}
	// Models alter what they repeat: the brackets may go, the case may
	// change. The id alone names the value.
	re := regexp.MustCompile(`(?i)\[?\b(?:` + strings.Join(quoted, "|") + `)_([0-9a-f]{` + itoa(idLen) + `})\b\]?`)
	return &Restorer{re: re, values: m.values, kinds: kinds, maxLen: maxKind + idLen + 3}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Restorer puts masked values back into answer text.
type Restorer struct {
	re     *regexp.Regexp
	values map[string]string
	kinds  []string
	// maxLen bounds a placeholder's length: what a stream holds back.
	maxLen int
}

// String restores every placeholder (of this request's values) in s; esc
// spells a value for where it goes (nil for plain text).
func (r *Restorer) String(s string, esc func(string) string) string {
	if r == nil || len(s) < idLen {
		return s
	}
	return r.re.ReplaceAllStringFunc(s, func(ph string) string {
		sub := r.re.FindStringSubmatch(ph)
		v, ok := r.values[strings.ToLower(sub[1])]
		if !ok {
			return ph
		}
		if esc != nil {
			return esc(v)
		}
		return v
	})
}

// hold is how many bytes at the end of s could be the start of a
// placeholder still to be completed by what follows.
func (r *Restorer) hold(s string) int {
	lo := max(0, len(s)-r.maxLen)
	// Never cut into a whole placeholder: its id may end in letters that
	// could start another ("...5c" could be "card_"). Scan only after the
	// last one that reaches into the window, unless it ends the text with
	// an opening bracket and no closing one (the "]" may follow).
	w := max(0, len(s)-2*r.maxLen)
	for _, m := range r.re.FindAllStringIndex(s[w:], -1) {
		start, end := w+m[0], w+m[1]
		if end <= lo {
			continue
		}
		if end == len(s) && s[start] == '[' && s[end-1] != ']' {
			return len(s) - start
		}
		lo = end
	}
	for p := lo; p < len(s); p++ {
		if r.couldStart(s[p:]) {
			return len(s) - p
		}
	}
	return 0
}

// couldStart reports whether t is a proper start of a placeholder, or one
// whole but for its closing bracket.
func (r *Restorer) couldStart(t string) bool {
	bracket := strings.HasPrefix(t, "[")
	if bracket {
		t = t[1:]
		if t == "" {
			return true
		}
	}
	for _, k := range r.kinds {
		n := min(len(t), len(k))
		if !strings.EqualFold(t[:n], k[:n]) {
			continue
		}
		rest := t[n:]
		if n < len(k) {
			return true // t ends within the kind
		}
		if rest == "" {
			return true
		}
		if rest[0] != '_' {
			continue
		}
		hexPart := rest[1:]
		if len(hexPart) > idLen || !isHex(hexPart) {
			continue
		}
		if len(hexPart) < idLen {
			return true
		}
		return bracket // whole: wait for "]" only when it opened with "["
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return false
		}
	}
	return true
}

// Stream restores placeholders in a text sent in pieces (one stream's
// content, or one tool call's arguments): it holds back at most the
// length of a placeholder at the end of what it was given, while it could
// be the start of one, and never more.
type Stream struct {
	r    *Restorer
	esc  func(string) string
	held string
}

// Stream starts restoring one piecewise text; esc as for String.
func (r *Restorer) Stream(esc func(string) string) *Stream {
	return &Stream{r: r, esc: esc}
}

// Push returns the text to send now for piece.
func (s *Stream) Push(piece string) string {
	text := s.held + piece
	k := s.r.hold(text)
	s.held = text[len(text)-k:]
	return s.r.String(text[:len(text)-k], s.esc)
}

// Flush returns the text still held, restored.
func (s *Stream) Flush() string {
	t := s.r.String(s.held, s.esc)
	s.held = ""
	return t
}

// Held reports whether text is held back.
func (s *Stream) Held() bool { return s.held != "" }
