package vendorkit

import (
	"reflect"
	"testing"
)

func TestAppendTurn(t *testing.T) {
	type turn struct {
		role  string
		parts []string
	}
	fields := func(t *turn) (*string, *[]string) { return &t.role, &t.parts }
	var ts []turn
	ts = AppendTurn(ts, "user", []string{"a"}, fields)
	ts = AppendTurn(ts, "user", []string{"b", "c"}, fields) // merged
	ts = AppendTurn(ts, "model", nil, fields)               // no parts, no turn
	ts = AppendTurn(ts, "model", []string{"d"}, fields)
	ts = AppendTurn(ts, "user", []string{"e"}, fields)
	want := []turn{{"user", []string{"a", "b", "c"}}, {"model", []string{"d"}}, {"user", []string{"e"}}}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("turns %+v, want %+v", ts, want)
	}
}
