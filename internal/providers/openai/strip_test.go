package openai

import (
	"encoding/json"
	"testing"
)

func TestStrip(t *testing.T) {
	tests := map[string]struct {
		in, want string
		found    map[string]string
	}{
		"none":              {`{"model":"m","messages":[]}`, `{"model":"m","messages":[]}`, nil},
		"middle":            {`{"model":"m","provider":{"only":["a"]},"messages":[]}`, `{"model":"m","messages":[]}`, map[string]string{"provider": `{"only":["a"]}`}},
		"first":             {`{ "provider" : {"sort":"price"} , "model":"m"}`, `{  "model":"m"}`, map[string]string{"provider": `{"sort":"price"}`}},
		"last and many":     {`{"model":"m","models":["x"],"usage":{"include":true}}`, `{"model":"m"}`, map[string]string{"models": `["x"]`, "usage": `{"include":true}`}},
		"only member":       {`{"provider":{}}`, `{}`, map[string]string{"provider": `{}`}},
		"nested names stay": {`{"model":"m","messages":[{"provider":1}]}`, `{"model":"m","messages":[{"provider":1}]}`, nil},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			out, found, err := Strip([]byte(tc.in), "provider", "models", "usage")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tc.want || !json.Valid(out) {
				t.Errorf("got %s, want %s", out, tc.want)
			}
			if len(found) != len(tc.found) {
				t.Errorf("found %v", found)
			}
			for k, v := range tc.found {
				if string(found[k]) != v {
					t.Errorf("%s = %s, want %s", k, found[k], v)
				}
			}
		})
	}
	for _, bad := range []string{``, `[]`, `{"a":`, `{"a" 1}`, `{"a":1 "b":2}`} {
		if _, _, err := Strip([]byte(bad), "a"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
