// Package guardrail finds sensitive values in text (built-in detectors for
// emails, phone numbers, card numbers, IBANs, IP addresses and API-key-like
// secrets, plus custom regular expressions and keyword lists) and masks
// them with deterministic placeholders that can be restored in an answer,
// whole or streamed. It knows nothing of HTTP or of vendor APIs.
package guardrail

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// Action is what a rule does with what it finds.
type Action string

const (
	// Mask replaces the value with a placeholder the answer gets back.
	Mask Action = "Mask"
	// Block refuses the request (or the answer).
	Block Action = "Block"
	// Log only counts and logs the hit (never the value).
	Log Action = "Log"
)

// Detector types.
const (
	Email      = "Email"
	Phone      = "Phone"
	CreditCard = "CreditCard"
	IBAN       = "IBAN"
	IPAddress  = "IPAddress"
	Secret     = "Secret"
	Regex      = "Regex"
	Keywords   = "Keywords"
)

// Detectors are the detector types a rule may name.
var Detectors = []string{Email, Phone, CreditCard, IBAN, IPAddress, Secret, Regex, Keywords}

// Rule is one detector with its action.
type Rule struct {
	// Type is one of Detectors.
	Type string
	// Name labels the rule in placeholders, metrics and logs; defaults to
	// the type's own label (email, phone, card, iban, ip, secret).
	Name string
	// Pattern is the regular expression of a Regex rule (RE2 syntax).
	Pattern string
	// Keywords are the words of a Keywords rule, matched case-insensitively.
	Keywords []string
	Action   Action
	// Group names the guardrail the rule belongs to (for metrics and logs).
	Group string
}

// Match is one value found in a text.
type Match struct {
	Start, End int
	Rule       *compiled
}

// Label is the rule's name (for metrics and logs; never the value).
func (m Match) Label() string { return m.Rule.label }

// Action is the rule's action.
func (m Match) Action() Action { return m.Rule.action }

type compiled struct {
	group  string
	label  string
	kind   string // placeholder kind: upper-case label
	action Action
	find   func(s string) [][2]int
	// maxLen is the longest match in bytes (at most MaxStreamMatch).
	maxLen int
}

// Set is a compiled list of rules, safe for concurrent use.
type Set struct {
	rules []*compiled
}

var (
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}`)
	// Phone numbers: an optional +country code, then 7 to 15 digits in
	// groups separated by single spaces, dots or dashes (or parentheses
	// around an area code). Digit counts are checked after the match.
	rePhone = regexp.MustCompile(`(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){1,4}`)
	reCard  = regexp.MustCompile(`\b\d(?:[ \-]?\d){12,18}\b`)
	reIBAN  = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b`)
	reIPv4  = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	reIPv6  = regexp.MustCompile(`(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}`)
	// Secrets: cloud and API keys of well-known shapes.
	reSecret = regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b` +
		`|\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}` +
		`|\bgh[pousr]_[A-Za-z0-9]{36,}\b` +
		`|\bxox[abprs]-[A-Za-z0-9\-]{10,}` +
		`|\bAIza[0-9A-Za-z_\-]{35}\b` +
		`|\bglpat-[A-Za-z0-9_\-]{20,}` +
		`|-----BEGIN [A-Z ]*PRIVATE KEY-----`)
)

// Compile checks and compiles rules; the error names the rule.
func Compile(rules []Rule) (*Set, error) {
	s := &Set{}
	for i, r := range rules {
		c, err := compileRule(r)
		if err != nil {
			return nil, fmt.Errorf("rule %d (%s): %w", i, r.Type, err)
		}
		s.rules = append(s.rules, c)
	}
	return s, nil
}

func compileRule(r Rule) (*compiled, error) {
	switch r.Action {
	case Mask, Block, Log:
	case "":
		r.Action = Mask
	default:
		return nil, fmt.Errorf("unknown action %q", r.Action)
	}
	c := &compiled{group: r.Group, label: r.Name, action: r.Action}
	var def string
	switch r.Type {
	case Email:
		def, c.find, c.maxLen = "email", regexFinder(reEmail, nil), patternMax(reEmail)
	case Phone:
		def, c.find, c.maxLen = "phone", regexFinder(rePhone, phoneOK), patternMax(rePhone)
	case CreditCard:
		def, c.find, c.maxLen = "card", regexFinder(reCard, luhnOK), patternMax(reCard)
	case IBAN:
		def, c.find, c.maxLen = "iban", regexFinder(reIBAN, ibanOK), patternMax(reIBAN)
	case IPAddress:
		def, c.find, c.maxLen = "ip", ipFinder, max(patternMax(reIPv4), patternMax(reIPv6))
	case Secret:
		def, c.find, c.maxLen = "secret", regexFinder(reSecret, nil), patternMax(reSecret)
	case Regex:
		if r.Pattern == "" {
			return nil, fmt.Errorf("a Regex rule needs a pattern")
		}
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		def, c.find, c.maxLen = "custom", regexFinder(re, nil), patternMax(re)
	case Keywords:
		if len(r.Keywords) == 0 {
			return nil, fmt.Errorf("a Keywords rule needs keywords")
		}
		quoted := make([]string, 0, len(r.Keywords))
		for _, k := range r.Keywords {
			if k = strings.TrimSpace(k); k != "" {
				quoted = append(quoted, regexp.QuoteMeta(k))
			}
		}
		if len(quoted) == 0 {
			return nil, fmt.Errorf("a Keywords rule needs keywords")
		}
		// Longest first, so a keyword that contains another wins.
		sort.Slice(quoted, func(i, j int) bool { return len(quoted[i]) > len(quoted[j]) })
		re := regexp.MustCompile(`(?i)\b(?:` + strings.Join(quoted, "|") + `)\b`)
		def, c.find, c.maxLen = "keyword", regexFinder(re, nil), patternMax(re)
	default:
		return nil, fmt.Errorf("unknown detector type %q", r.Type)
	}
	if c.label == "" {
		c.label = def
	}
	c.kind = Kind(c.label)
	if c.kind == "" {
		return nil, fmt.Errorf("name %q has no letter or digit", r.Name)
	}
	return c, nil
}

// Kind is the placeholder kind of a rule name: its letters and digits,
// upper-cased, at most 16.
func Kind(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			if b.Len() == 16 {
				break
			}
		}
	}
	return b.String()
}

func regexFinder(re *regexp.Regexp, ok func(string) bool) func(string) [][2]int {
	return func(s string) [][2]int {
		var out [][2]int
		for _, m := range re.FindAllStringIndex(s, -1) {
			if ok == nil || ok(s[m[0]:m[1]]) {
				out = append(out, [2]int{m[0], m[1]})
			}
		}
		return out
	}
}

func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func phoneOK(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return false // an IPv4 address is the ip detector's
	}
	n := len(digits(s))
	// A long digit run with no separator is more likely an id than a
	// number someone would write; a card number is the card detector's.
	return n >= 7 && n <= 15 && (strings.ContainsAny(s, " .-()+") || n <= 12)
}

// luhnOK is the Luhn checksum of a 13-19 digit card number.
func luhnOK(s string) bool {
	d := digits(s)
	if len(d) < 13 || len(d) > 19 {
		return false
	}
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// ibanOK is the ISO 13616 mod-97 check.
func ibanOK(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	r := s[4:] + s[:4]
	mod := 0
	for i := 0; i < len(r); i++ {
		ch := r[i]
		switch {
		case ch >= '0' && ch <= '9':
			mod = (mod*10 + int(ch-'0')) % 97
		case ch >= 'A' && ch <= 'Z':
			mod = (mod*100 + int(ch-'A'+10)) % 97
		default:
			return false
		}
	}
	return mod == 1
}

func ipFinder(s string) [][2]int {
	var out [][2]int
	for _, m := range reIPv4.FindAllStringIndex(s, -1) {
		if a, err := netip.ParseAddr(s[m[0]:m[1]]); err == nil && a.Is4() {
			out = append(out, [2]int{m[0], m[1]})
		}
	}
	for _, m := range reIPv6.FindAllStringIndex(s, -1) {
		v := s[m[0]:m[1]]
		if strings.Count(v, ":") < 2 {
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil && a.Is6() {
			out = append(out, [2]int{m[0], m[1]})
		}
	}
	return out
}

// Find returns the non-overlapping matches of every rule in s, leftmost
// first (the earlier rule wins a tie, then the longer match).
func (s *Set) Find(text string) []Match {
	if s == nil || text == "" {
		return nil
	}
	var all []Match
	for _, r := range s.rules {
		for _, m := range r.find(text) {
			if m[1] > m[0] {
				all = append(all, Match{Start: m[0], End: m[1], Rule: r})
			}
		}
	}
	if len(all) < 2 {
		return all
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Start != all[j].Start {
			return all[i].Start < all[j].Start
		}
		return all[i].End > all[j].End
	})
	out := all[:0]
	end := -1
	for _, m := range all {
		if m.Start >= end {
			out = append(out, m)
			end = m.End
		}
	}
	return out
}

// Kinds are the placeholder kinds of the set's masking rules.
func (s *Set) Kinds() []string {
	if s == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range s.rules {
		if r.action == Mask && !seen[r.kind] {
			seen[r.kind] = true
			out = append(out, r.kind)
		}
	}
	return out
}

// Join is one set of the rules of sets, in order.
func Join(sets ...*Set) *Set {
	out := &Set{}
	for _, s := range sets {
		if s != nil {
			out.rules = append(out.rules, s.rules...)
		}
	}
	return out
}

// Empty reports whether the set has no rule.
func (s *Set) Empty() bool { return s == nil || len(s.rules) == 0 }
