package jsonform

import (
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
