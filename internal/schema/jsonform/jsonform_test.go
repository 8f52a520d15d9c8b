package jsonform

import (
	"errors"
	"reflect"
	"testing"
)

func TestOneOrMany(t *testing.T) {
	wrap := func(s string) []string { return []string{"<" + s + ">"} }
	for name, c := range map[string]struct {
		in      string
		want    [][]string
		wantErr bool
	}{
		"a string is one element":    {in: ` "a\u00e9" `, want: [][]string{{"<a\u00e9>"}}},
		"an array is read as is":     {in: `[["x"],["y","z"]]`, want: [][]string{{"x"}, {"y", "z"}}},
		"an empty array stays empty": {in: `[]`, want: [][]string{}},
		"null is no elements":        {in: `null`, want: nil},
		"a number is refused":        {in: `1`, wantErr: true},
		"an object is refused":       {in: `{"a":1}`, wantErr: true},
		"a broken string is refused": {in: `"a`, wantErr: true},
		"elements of another type":   {in: `[1]`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := OneOrMany([]byte(c.in), wrap)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want an error: %t", err, c.wantErr)
			}
			if !c.wantErr && !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestStringOr(t *testing.T) {
	type obj struct {
		A int `json:"a"`
	}
	var s string
	var o obj
	if isString, err := StringOr([]byte(` "auto"`), &s, &o); err != nil || !isString || s != "auto" || o != (obj{}) {
		t.Fatalf("string: %t %v %q %+v", isString, err, s, o)
	}
	s = ""
	if isString, err := StringOr([]byte(`{"a":2}`), &s, &o); err != nil || isString || s != "" || o.A != 2 {
		t.Fatalf("object: %t %v %q %+v", isString, err, s, o)
	}
	if _, err := StringOr([]byte(`[1]`), &s, &o); err == nil {
		t.Fatal("an array read as the object")
	}
}

func TestTextOrList(t *testing.T) {
	refusal := errors.New("refused")
	for name, c := range map[string]struct {
		in       string
		isText   bool
		text     string
		list     []int
		wantErr  error
		anyError bool
	}{
		"a string":       {in: ` "hi" `, isText: true, text: "hi"},
		"an array":       {in: `[1,2]`, list: []int{1, 2}},
		"an empty array": {in: `[]`, list: []int{}},
		"an object":      {in: `{}`, wantErr: refusal},
		"null":           {in: `null`, wantErr: refusal},
		"nothing":        {in: ``, wantErr: refusal},
		"a bad element":  {in: `["x"]`, anyError: true},
	} {
		t.Run(name, func(t *testing.T) {
			var text string
			var list []int
			isText, err := TextOrList([]byte(c.in), &text, &list, refusal)
			switch {
			case c.anyError:
				if err == nil || errors.Is(err, refusal) {
					t.Fatalf("got %v, want json's error", err)
				}
				return
			case !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil):
				t.Fatalf("got %v, want %v", err, c.wantErr)
			}
			if c.wantErr == nil && (isText != c.isText || text != c.text || !reflect.DeepEqual(list, c.list)) {
				t.Fatalf("got %t %q %#v", isText, text, list)
			}
		})
	}
}

func TestEncodeTextOrList(t *testing.T) {
	for want, c := range map[string]struct {
		isText bool
		text   string
		list   []int
	}{
		`"hi"`:  {isText: true, text: "hi", list: []int{1}},
		`[]`:    {},
		`[1,2]`: {list: []int{1, 2}},
	} {
		got, err := EncodeTextOrList(c.isText, c.text, c.list)
		if err != nil || string(got) != want {
			t.Errorf("%+v encoded %s (%v), want %s", c, got, err, want)
		}
		var text string
		var list []int
		if isText, err := TextOrList(got, &text, &list, errors.New("refused")); err != nil || isText != c.isText {
			t.Errorf("%s read back as text %t (%v)", got, isText, err)
		}
	}
}
