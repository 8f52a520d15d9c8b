package apikey

import (
	"strings"
	"testing"
)

func TestGenerateIsRecognisedAndUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(k, Prefix) {
			t.Fatalf("key %q lacks prefix", k)
		}
		id := ID(k)
		if len(id) != 8 || strings.HasPrefix(id, "h") && len(id) == 17 {
			t.Fatalf("generated key id %q is not the 8-character id part", id)
		}
		if seen[k] || seen[id] {
			t.Fatalf("duplicate key or id after %d keys", len(seen))
		}
		seen[k], seen[id] = true, true
		if !Equal(k, Hash(k)) {
			t.Fatal("a key does not match its own hash")
		}
		if DisplayPrefix(k) != Prefix+id || strings.Contains(DisplayPrefix(k), k[len(Prefix)+9:]) {
			t.Fatalf("display prefix %q reveals more than the id", DisplayPrefix(k))
		}
	}
}

func TestID(t *testing.T) {
	for name, tc := range map[string]struct{ key, want string }{
		"generated":          {"tg-abcdefgh_secret", "abcdefgh"},
		"foreign key":        {"sk-123", "h" + Hash("sk-123")[:16]},
		"prefix without sep": {"tg-abcdefgh", "h" + Hash("tg-abcdefgh")[:16]},
		"empty secret":       {"tg-abc_", "h" + Hash("tg-abc_")[:16]},
		"empty":              {"", "h" + Hash("")[:16]},
	} {
		t.Run(name, func(t *testing.T) {
			if got := ID(tc.key); got != tc.want {
				t.Fatalf("ID(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestEqualRejects(t *testing.T) {
	h := Hash("tg-abcdefgh_secret")
	for name, tc := range map[string]struct{ key, hash string }{
		"wrong key":     {"tg-abcdefgh_secreT", h},
		"bad hex":       {"tg-abcdefgh_secret", "zz"},
		"short hash":    {"tg-abcdefgh_secret", h[:62]},
		"empty key":     {"", h},
		"empty hash":    {"tg-abcdefgh_secret", ""},
		"uppercase hex": {"tg-abcdefgh_secreX", strings.ToUpper(h)},
	} {
		t.Run(name, func(t *testing.T) {
			if Equal(tc.key, tc.hash) {
				t.Fatal("Equal accepted a key that does not match")
			}
		})
	}
}
