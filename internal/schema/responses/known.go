package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// names caches the JSON member names each struct type declares.
var names sync.Map // reflect.Type -> map[string]bool

func jsonNames(t reflect.Type) map[string]bool {
	if v, ok := names.Load(t); ok {
		return v.(map[string]bool)
	}
	out := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	names.Store(t, out)
	return out
}

// decodeKnown decodes b into v (a pointer to an alias struct without
// methods) and puts the members v does not name into *extra.
func decodeKnown(b []byte, v any, extra *map[string]json.RawMessage) error {
	if err := json.Unmarshal(b, v); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	known := jsonNames(reflect.TypeOf(v).Elem())
	for k := range all {
		if known[k] {
			delete(all, k)
		}
	}
	*extra = nil
	if len(all) > 0 {
		*extra = all
	}
	return nil
}

// encodeKnown encodes v (an alias struct) followed by the extra members.
func encodeKnown(v any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	return appendMembers(b, extra, jsonNames(reflect.TypeOf(v)))
}

// appendMembers adds extra's members, in sorted order, to the object b.
func appendMembers(b []byte, extra map[string]json.RawMessage, known map[string]bool) ([]byte, error) {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if known[k] {
			return nil, fmt.Errorf("extra member %q shadows a named field", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	first := len(bytes.TrimSpace(b)) <= 2
	for _, k := range keys {
		if !first {
			buf.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		if len(extra[k]) == 0 {
			buf.WriteString("null")
		} else {
			buf.Write(extra[k])
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// ExtraNames returns the sorted names of extra's members.
func ExtraNames(extra map[string]json.RawMessage) []string {
	out := make([]string, 0, len(extra))
	for k := range extra {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
