package guardrail

import (
	"strings"
	"testing"
)

// FuzzFind: no detector panics or returns an out-of-range or overlapping
// match, whatever the text.
func FuzzFind(f *testing.F) {
	for _, s := range []string{"", "4111 1111 1111 1111", "a@b.io", "GB82 WEST 1234 5698 7654 32",
		"::1", "1.2.3.4", "+1 (415) 555-0132", "AKIAIOSFODNN7EXAMPLE", "\xff\xfe", "EMP-123456 zephyr"} {
		f.Add(s)
	}
	set, err := Compile([]Rule{{Type: Email}, {Type: Phone}, {Type: CreditCard}, {Type: IBAN}, {Type: IPAddress},
		{Type: Secret}, {Type: Keywords, Keywords: []string{"zephyr"}}, {Type: Regex, Pattern: `EMP-\d+`}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		end := 0
		for _, m := range set.Find(s) {
			if m.Start < end || m.End <= m.Start || m.End > len(s) {
				t.Fatalf("bad match %d..%d after %d in %q", m.Start, m.End, end, s)
			}
			end = m.End
		}
	})
}

// FuzzStream: masking then restoring round-trips, and a stream of the
// masked text cut at any two points restores the same as the whole.
func FuzzStream(f *testing.F) {
	f.Add("pay 4111 1111 1111 1111 now, mail jane@example.com", 3, 17)
	f.Add("[CARD_ [card_0123456789 CARD_", 1, 2)
	f.Add("4111111111111111", 0, 16)
	set, err := Compile([]Rule{{Type: Email}, {Type: CreditCard}, {Type: IPAddress}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, i, j int) {
		m := NewMasker(set, []byte("k"))
		masked := m.Text(s)
		r := m.Restorer()
		if r == nil {
			if masked != s {
				t.Fatalf("changed without masking: %q", masked)
			}
			return
		}
		whole := r.String(masked, nil)
		if !strings.Contains(s, "_") && whole != s {
			// A text that itself looks like a placeholder may restore
			// differently; one with no "_" cannot.
			t.Fatalf("round trip %q -> %q -> %q", s, masked, whole)
		}
		i, j = clamp(i, len(masked)), clamp(j, len(masked))
		if i > j {
			i, j = j, i
		}
		st := r.Stream(nil)
		got := st.Push(masked[:i]) + st.Push(masked[i:j]) + st.Push(masked[j:]) + st.Flush()
		if got != whole {
			t.Fatalf("stream %q != whole %q (cuts %d %d of %q)", got, whole, i, j, masked)
		}
	})
}

func clamp(n, hi int) int {
	if n < 0 {
		n = -n
	}
	if hi == 0 {
		return 0
	}
	return n % (hi + 1)
}

// FuzzScan: an answer stream cut at any two points is redacted as the
// whole text is, and a blocking value's bytes are never sent.
func FuzzScan(f *testing.F) {
	f.Add("pay 4111 1111 1111 1111 now, mail jane@example.com", 3, 17)
	f.Add("host 10.0.0.1 zephyr", 5, 9)
	set, err := Compile([]Rule{{Type: Email}, {Type: CreditCard}, {Type: IPAddress}, {Type: Keywords, Keywords: []string{"zephyr"}, Action: Block}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, i, j int) {
		if len(s) > MaxStreamMatch {
			return // a longer match is checked in pieces, by design
		}
		whole := NewRedactor(set)
		want := whole.Text(s)
		i, j = clamp(i, len(s)), clamp(j, len(s))
		if i > j {
			i, j = j, i
		}
		sc := NewRedactor(set).Scan()
		var got strings.Builder
		blocked := false
		for _, p := range []string{s[:i], s[i:j], s[j:]} {
			out, b := sc.Push(p)
			got.WriteString(out)
			if blocked = b; b {
				break
			}
		}
		if !blocked {
			out, b := sc.Flush()
			got.WriteString(out)
			blocked = b
		}
		if blocked != (whole.Blocked() != "") {
			t.Fatalf("blocked %v, whole %q", blocked, whole.Blocked())
		}
		if !blocked && got.String() != want {
			t.Fatalf("stream %q != whole %q (cuts %d %d)", got.String(), want, i, j)
		}
		if blocked && !strings.HasPrefix(want, got.String()) {
			t.Fatalf("blocked stream sent %q, not a start of %q", got.String(), want)
		}
	})
}
