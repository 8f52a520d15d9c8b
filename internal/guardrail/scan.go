package guardrail

import (
	"regexp"
	"regexp/syntax"
	"unicode"
	"unicode/utf8"
)

// MaxStreamMatch bounds what an answer stream holds back for its rules:
// a rule whose matches have no upper length (an email's domain, a
// custom pattern with * or +) is checked in a stream on matches of at
// most this many bytes. A longer value is seen in pieces.
const MaxStreamMatch = 256

// patternMax is the longest match of re in bytes, at most MaxStreamMatch
// (which it is when re has no bound).
func patternMax(re *regexp.Regexp) int {
	p, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return MaxStreamMatch
	}
	return min(widest(p.Simplify()), MaxStreamMatch)
}

// widest is the longest match of r in bytes, MaxStreamMatch or more when
// unbounded.
func widest(r *syntax.Regexp) int {
	switch r.Op {
	case syntax.OpLiteral:
		n := 0
		for _, c := range r.Rune {
			w := utf8.RuneLen(c)
			if r.Flags&syntax.FoldCase != 0 {
				// A case-folded letter may match a longer spelling
				// (k matches the three-byte Kelvin sign).
				for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
					w = max(w, utf8.RuneLen(f))
				}
			}
			n += w
		}
		return n
	case syntax.OpCharClass:
		hi := rune(0)
		for i := 1; i < len(r.Rune); i += 2 {
			hi = max(hi, r.Rune[i])
		}
		return max(utf8.RuneLen(min(hi, utf8.MaxRune)), 1)
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return utf8.UTFMax
	case syntax.OpCapture:
		return widest(r.Sub[0])
	case syntax.OpQuest:
		return widest(r.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		return MaxStreamMatch
	case syntax.OpRepeat:
		if r.Max < 0 {
			return MaxStreamMatch
		}
		return min(r.Max*widest(r.Sub[0]), MaxStreamMatch)
	case syntax.OpConcat:
		n := 0
		for _, s := range r.Sub {
			n = min(n+widest(s), MaxStreamMatch)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, s := range r.Sub {
			n = max(n, widest(s))
		}
		return n
	}
	return 0 // empty-width assertions, empty match
}

// longest is the longest match of any of the set's rules (bounded by
// MaxStreamMatch): what a stream checked by them holds back.
func (s *Set) longest() int {
	n := 0
	for _, r := range s.rules {
		n = max(n, r.maxLen)
	}
	return n
}

// Scan checks a text sent in pieces (one stream's content, or one tool
// call's arguments) with a set's rules, as Masker.Text does a whole one:
// it holds back the last longest-match bytes (the longest match any of
// its rules can make, see MaxStreamMatch) so a value split across pieces
// is seen whole before any of it is sent, and never more.
type Scan struct {
	m    *Masker
	hold int
	// prev is the end of what was sent, kept as context (so a \b at the
	// start of what is held sees the byte before it).
	prev string
	held string
}

// Scan starts checking one piecewise text with m's rules; m counts the
// hits and (a redactor) replaces masked values.
func (m *Masker) Scan() *Scan {
	return &Scan{m: m, hold: m.set.longest()}
}

// Push returns the text to send now for piece; blocked is true when a
// blocking rule hit (nothing more of the text should be sent; what is
// returned then is only what came before the value, which the gateway
// drops too, ending the stream with an error).
func (sc *Scan) Push(piece string) (out string, blocked bool) {
	text := sc.held + piece
	cut := len(text) - sc.hold
	if cut <= 0 {
		sc.held = text
		return "", false
	}
	return sc.emit(text, cut)
}

// Flush returns the text still held, checked.
func (sc *Scan) Flush() (out string, blocked bool) {
	text := sc.held
	if text == "" {
		return "", false
	}
	return sc.emit(text, len(text))
}

// emit sends text up to cut (or up to the end of a match that starts
// before it), masked, and holds the rest.
func (sc *Scan) emit(text string, cut int) (string, bool) {
	full := sc.prev + text
	var ms []Match
	for _, x := range sc.m.set.Find(full) {
		x.Start -= len(sc.prev)
		x.End -= len(sc.prev)
		if x.Start < 0 {
			continue // seen with what was sent before
		}
		if x.Start >= cut {
			break
		}
		ms = append(ms, x)
		cut = max(cut, x.End)
	}
	sc.m.count(ms)
	for i, x := range ms {
		if x.Rule.action == Block {
			// Only what precedes the blocking value is sent.
			sc.held = ""
			return sc.m.replace(text[:x.Start], ms[:i]), true
		}
	}
	send := text[:cut]
	sc.held = text[cut:]
	if send != "" {
		sc.prev = send[len(send)-1:]
	}
	return sc.m.replace(send, ms), false
}

// Held reports whether text is held back.
func (sc *Scan) Held() bool { return sc.held != "" }
