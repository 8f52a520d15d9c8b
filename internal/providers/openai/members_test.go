package openai

import (
	"encoding/json"
	"testing"
)

func TestSetMemberAndNested(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{"id":"x","usage":{"total_tokens":3}}`, `{"id":"x","usage":{"total_tokens":3,"cost":0.5},"provider":"p"}`},
		{`{"id":"x","provider":"old","usage":{ "total_tokens":3 } }`, `{"id":"x","usage":{ "total_tokens":3 ,"cost":0.5} ,"provider":"p"}`},
		{`{"id":"x"}`, `{"id":"x","usage":{"cost":0.5},"provider":"p"}`},
		{`{"usage":null}`, `{"usage":{"cost":0.5},"provider":"p"}`},
		{`{}`, `{"usage":{"cost":0.5},"provider":"p"}`},
		{` { "usage" : {} } `, ` { "usage" : {"cost":0.5} ,"provider":"p"} `},
	} {
		out, err := SetNested([]byte(c.in), "usage", "cost", []byte("0.5"))
		if err == nil {
			out, err = SetMember(out, "provider", []byte(`"p"`))
		}
		if err != nil || string(out) != c.want || !json.Valid(out) {
			t.Errorf("%s: got %s (%v), want %s", c.in, out, err, c.want)
		}
	}
	for _, bad := range []string{`[]`, `{"usage":[1]}`, `{"usage":{`, `nope`} {
		if out, err := SetNested([]byte(bad), "usage", "cost", []byte("1")); err == nil {
			t.Errorf("%s: no error, got %s", bad, out)
		}
	}
}
