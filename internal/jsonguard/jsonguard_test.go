package jsonguard

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckAccepts(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, `0`, `-0`, `1e400`, `-1.5E-3`, `"x"`, `true`, `null`, ` {"a":1} `,
		`{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":"hi"}]}`,
		`{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}`,
		`{"a\"b":1,"a":2,"\u00e9":3,"é\u0301":4}`,
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k18":18}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth),
	} {
		if err := Check([]byte(s)); err != nil {
			t.Errorf("Check(%.60q) = %v, want nil", s, err)
		}
	}
}

func TestCheckRefusesDuplicates(t *testing.T) {
	for s, want := range map[string]struct{ path, name string }{
		`{"max_tokens":1,"max_tokens":5000}`:                                                         {"max_tokens", "max_tokens"},
		`{"max_tokens":1,"max\u005ftokens":5000}`:                                                    {"max_tokens", "max_tokens"},
		`{"thinking":{"type":"enabled","budget_tokens":1,"budget_tokens":9}}`:                        {"thinking.budget_tokens", "budget_tokens"},
		`{"stream_options":{"include_usage":true,"include_usage":false}}`:                            {"stream_options.include_usage", "include_usage"},
		`{"messages":[{"role":"user"},{"role":"user"},{"role":"user","content":"a","content":"b"}]}`: {"messages[2].content", "content"},
		`[[{"a":[1,{"b":1,"b":2}]}]]`:                                                                {"[0][0].a[1].b", "b"},
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k3":18}`:  {"k3", "k3"},
		`{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k17":18}`: {"k17", "k17"},
	} {
		err := Check([]byte(s))
		var e *Error
		if !errors.As(err, &e) || e.Duplicate != want.name || e.Path != want.path {
			t.Errorf("Check(%q) = %#v, want duplicate %q at %q", s, err, want.name, want.path)
		}
	}
}

func TestCheckRefusesInvalid(t *testing.T) {
	for _, s := range []string{
		``, ` `, `{`, `}`, `[`, `[1,]`, `{"a":1,}`, `{"a"}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`,
		`01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `NaN`, `Infinity`, `tru`, `nul`, `"\x"`, `"\u12"`, `"a` + "\x01" + `"`,
		`"unterminated`, `{"a":1} x`, `[1][2]`, "\"\xff\"", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		err := Check([]byte(s))
		var e *Error
		if !errors.As(err, &e) || e.Duplicate != "" {
			t.Errorf("Check(%.60q) = %v, want a syntax error", s, err)
		}
		if json.Valid([]byte(s)) && !strings.Contains(err.Error(), "nesting") && !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("Check(%.60q) refused what encoding/json accepts: %v", s, err)
		}
	}
}

func TestErrorMessageNamesPath(t *testing.T) {
	err := Check([]byte(`{"messages":[{"content":"a","content":"b"}]}`))
	if err == nil || err.Error() != `duplicate member "content" at messages[0].content` {
		t.Errorf("message %v", err)
	}
	long := strings.Repeat("k", 200)
	err = Check([]byte(`{"` + long + `":1,"` + long + `":2}`))
	var e *Error
	if !errors.As(err, &e) || len(e.Duplicate) > 70 || len(e.Path) > 80 {
		t.Errorf("a long name is not bounded: %v", err)
	}
}

// FuzzCheck: Check never panics, accepts only what encoding/json accepts,
// and refuses what encoding/json accepts only for a duplicate member, the
// depth bound or invalid UTF-8; a duplicate it reports is real.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":1,"max_tokens":5000}`,
		`{"max_tokens":9223372036854775807}`, `{"max_tokens":1e400}`, `{"max_tokens":-0}`, `{"max_tokens":-1}`,
		`{"max_tokens":1.5e3,"max_completion_tokens":1E+2}`, `{"a":{"b":{"b":1,"\u0062":2}}}`,
		`{"thinking":{"type":"enabled","budget_tokens":1,"budget_tokens":99999}}`, `[{"a":1},{"a":1}]`,
		strings.Repeat(`{"a":`, 600) + `1` + strings.Repeat(`}`, 600), "\"\xed\xa0\x80\"", `"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Check(b)
		valid := json.Valid(b)
		if err == nil {
			if !valid {
				t.Fatalf("accepted invalid JSON %q", b)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error of type %T", err)
		}
		if valid && e.Duplicate == "" && !strings.Contains(e.msg, "nesting") && !strings.Contains(e.msg, "UTF-8") {
			t.Fatalf("refused valid JSON %q: %v", b, err)
		}
		if e.Duplicate != "" && !valid {
			t.Fatalf("duplicate reported in invalid JSON %q", b)
		}
	})
}
