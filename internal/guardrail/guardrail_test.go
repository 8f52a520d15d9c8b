package guardrail

import (
	"strings"
	"testing"
)

func all(t *testing.T, action Action) *Set {
	t.Helper()
	var rules []Rule
	for _, d := range []string{Email, Phone, CreditCard, IBAN, IPAddress, Secret} {
		rules = append(rules, Rule{Type: d, Action: action})
	}
	rules = append(rules, Rule{Type: Keywords, Name: "project", Keywords: []string{"Project Zephyr"}, Action: action},
		Rule{Type: Regex, Name: "employee", Pattern: `EMP-\d{6}`, Action: action})
	s, err := Compile(rules)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDetectors(t *testing.T) {
	s := all(t, Mask)
	cases := []struct {
		text, label, value string
	}{
		{"write to jane.doe@example.co.uk today", "email", "jane.doe@example.co.uk"},
		{"call +1 415-555-0132 now", "phone", "+1 415-555-0132"},
		{"card 4111 1111 1111 1111 exp", "card", "4111 1111 1111 1111"},
		{"card 4111-1111-1111-1111.", "card", "4111-1111-1111-1111"},
		{"iban GB82 WEST 1234 5698 7654 32 ok", "iban", "GB82 WEST 1234 5698 7654 32"},
		{"iban DE89370400440532013000 ok", "iban", "DE89370400440532013000"},
		{"host 10.20.30.40 down", "ip", "10.20.30.40"},
		{"host 2001:db8::8a2e:370:7334 down", "ip", "2001:db8::8a2e:370:7334"},
		{"key AKIAIOSFODNN7EXAMPLE leaked", "secret", "AKIAIOSFODNN7EXAMPLE"},
		{"key sk-proj-abcdefghijklmnopqrstuvwx1234 leaked", "secret", "sk-proj-abcdefghijklmnopqrstuvwx1234"},
		{"about project zephyr, quietly", "project", "project zephyr"},
		{"badge EMP-123456 here", "employee", "EMP-123456"},
	}
	for _, c := range cases {
		ms := s.Find(c.text)
		if len(ms) != 1 || ms[0].Label() != c.label || c.text[ms[0].Start:ms[0].End] != c.value {
			var got []string
			for _, m := range ms {
				got = append(got, m.Label()+"="+c.text[m.Start:m.End])
			}
			t.Errorf("%q: got %v, want %s=%s", c.text, got, c.label, c.value)
		}
	}
	for _, clean := range []string{
		"card 4111 1111 1111 1112 fails Luhn",
		"iban GB82 WEST 1234 5698 7654 33 fails mod 97",
		"version 1.2.3.4000 is no address",
		"just some words and 42 numbers",
	} {
		for _, m := range s.Find(clean) {
			if m.Label() == "card" || m.Label() == "iban" || m.Label() == "ip" || m.Label() == "email" {
				t.Errorf("%q: found %s %q", clean, m.Label(), clean[m.Start:m.End])
			}
		}
	}
}

func TestCompileErrors(t *testing.T) {
	for _, r := range []Rule{
		{Type: "Ssn"},
		{Type: Regex},
		{Type: Regex, Pattern: "("},
		{Type: Keywords},
		{Type: Email, Action: "Drop"},
		{Type: Email, Name: "--"},
	} {
		if _, err := Compile([]Rule{r}); err == nil {
			t.Errorf("%+v compiled", r)
		}
	}
}

func TestMaskRestore(t *testing.T) {
	s := all(t, Mask)
	m := NewMasker(s, []byte("k"))
	in := "pay with 4111 1111 1111 1111 and mail jane@example.com"
	out := m.Text(in)
	if strings.Contains(out, "4111") || strings.Contains(out, "jane@") {
		t.Fatalf("not masked: %q", out)
	}
	// Deterministic: the next turn masks the same value the same way.
	if again := NewMasker(s, []byte("k")).Text(in); again != out {
		t.Fatalf("placeholders differ across turns: %q vs %q", out, again)
	}
	if other := NewMasker(s, []byte("other")).Text(in); other == out {
		t.Fatalf("another key gave the same placeholders")
	}
	r := m.Restorer()
	if got := r.String(out, nil); got != in {
		t.Fatalf("restored %q", got)
	}
	// Altered: lower case, brackets gone.
	ph := out[len("pay with "):strings.Index(out, " and")]
	altered := "it was " + strings.ToLower(strings.Trim(ph, "[]")) + "."
	if got := r.String(altered, nil); got != "it was 4111 1111 1111 1111." {
		t.Fatalf("altered restored as %q", got)
	}
	if h := m.Hits(); len(h) != 2 || h[0].Label != "card" || h[1].Label != "email" {
		t.Fatalf("hits %+v", h)
	}
}

func TestBlockAndLog(t *testing.T) {
	s, err := Compile([]Rule{{Type: Secret, Action: Block}, {Type: Email, Action: Log}})
	if err != nil {
		t.Fatal(err)
	}
	m := NewMasker(s, nil)
	in := "mail a@b.io key AKIAIOSFODNN7EXAMPLE"
	if out := m.Text(in); out != in {
		t.Fatalf("block/log changed the text: %q", out)
	}
	if m.Blocked() != "secret" || m.Masked() {
		t.Fatalf("blocked %q masked %v", m.Blocked(), m.Masked())
	}
}

// TestStreamEveryBoundary splits an answer repeating a placeholder,
// altered, at every pair of byte boundaries and checks the restored
// stream is the whole restored text and holds back no more than a
// placeholder's length.
func TestStreamEveryBoundary(t *testing.T) {
	// Many keys, so some ids end in letters that could start a kind
	// ("...c" as in "card_", "...e" as in "email_").
	for k := range 40 {
		streamEveryBoundary(t, []byte{'k', byte(k)})
	}
}

func streamEveryBoundary(t *testing.T, key []byte) {
	t.Helper()
	s := all(t, Mask)
	m := NewMasker(s, key)
	masked := m.Text("card 4111 1111 1111 1111")
	ph := masked[len("card "):]
	answer := "Charged " + ph + " and " + strings.ToLower(strings.Trim(ph, "[]")) + "! [x"
	want := "Charged 4111 1111 1111 1111 and 4111 1111 1111 1111! [x"
	r := m.Restorer()
	for i := 0; i <= len(answer); i++ {
		for j := i; j <= len(answer); j++ {
			st := r.Stream(nil)
			var got strings.Builder
			for _, piece := range []string{answer[:i], answer[i:j], answer[j:]} {
				got.WriteString(st.Push(piece))
				if len(st.held) > r.maxLen {
					t.Fatalf("held %d bytes", len(st.held))
				}
			}
			got.WriteString(st.Flush())
			if got.String() != want {
				t.Fatalf("key %q split %d/%d: %q", key, i, j, got.String())
			}
		}
	}
}

func TestLongest(t *testing.T) {
	cases := []struct {
		rule Rule
		want int
	}{
		{Rule{Type: CreditCard}, 37},
		{Rule{Type: IPAddress}, 39},
		{Rule{Type: Regex, Pattern: `EMP-\d{6}`}, 10},
		{Rule{Type: Regex, Pattern: `x+`}, MaxStreamMatch},
		{Rule{Type: Email}, MaxStreamMatch},
	}
	for _, c := range cases {
		s, err := Compile([]Rule{c.rule})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.longest(); got != c.want {
			t.Errorf("%s %q: longest %d, want %d", c.rule.Type, c.rule.Pattern, got, c.want)
		}
	}
}

// TestScanSplit: an answer stream split at every byte is masked as the
// whole text is, holds back no more than the longest match, and a
// blocking value is never sent, not even its first bytes.
func TestScanSplit(t *testing.T) {
	set, err := Compile([]Rule{{Type: CreditCard, Action: Mask}, {Type: Keywords, Keywords: []string{"zephyr"}, Action: Block}})
	if err != nil {
		t.Fatal(err)
	}
	text := "pay 4111 1111 1111 1111 today, then 5500 0000 0000 0004."
	want := NewRedactor(set).Text(text)
	for i := 0; i <= len(text); i++ {
		for j := i; j <= len(text); j++ {
			sc := NewRedactor(set).Scan()
			var got strings.Builder
			for _, p := range []string{text[:i], text[i:j], text[j:]} {
				out, blocked := sc.Push(p)
				if blocked {
					t.Fatal("blocked")
				}
				if len(sc.held) > sc.hold+37 {
					t.Fatalf("held %d bytes", len(sc.held))
				}
				got.WriteString(out)
			}
			out, _ := sc.Flush()
			got.WriteString(out)
			if got.String() != want {
				t.Fatalf("cuts %d %d: %q, want %q", i, j, got.String(), want)
			}
		}
	}
	blockText := "the code name is Zephyr, keep it"
	for i := 0; i <= len(blockText); i++ {
		sc := NewRedactor(set).Scan()
		a, b1 := sc.Push(blockText[:i])
		b, b2 := "", false
		if !b1 {
			b, b2 = sc.Push(blockText[i:])
		}
		c, b3 := "", false
		if !b1 && !b2 {
			c, b3 = sc.Flush()
		}
		sent := a + b + c
		if !(b1 || b2 || b3) || strings.Contains(strings.ToLower(sent), "zep") || sent != "the code name is "[:len(sent)] {
			t.Fatalf("cut %d: sent %q, blocked %v %v %v", i, sent, b1, b2, b3)
		}
	}
}
