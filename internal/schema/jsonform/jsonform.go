// Package jsonform decodes the JSON members of the wire schemas that take
// more than one form.
package jsonform

import (
	"bytes"
	"encoding/json"
)

// OneOrMany decodes b, a JSON string or an array of T; a string s reads as
// the one element one(s). The error is json's, for the caller to name the
// member in.
func OneOrMany[T any](b []byte, one func(s string) T) ([]T, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		return []T{one(s)}, nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, err
	}
	return many, nil
}

// StringOr decodes b, a JSON string into *s or any other value into
// other, and says whether it was the string. The error is json's.
func StringOr(b []byte, s *string, other any) (bool, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return true, json.Unmarshal(b, s)
	}
	return false, json.Unmarshal(b, other)
}

// TextOrList decodes b, a JSON string into *text or an array into *list
// (an empty array as an empty list, not nil), and says whether it was the
// string. Any other value is refused with refusal.
func TextOrList[T any](b []byte, text *string, list *[]T, refusal error) (bool, error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		return true, json.Unmarshal(b, text)
	case len(b) > 0 && b[0] == '[':
		*list = []T{}
		return false, json.Unmarshal(b, list)
	default:
		return false, refusal
	}
}

// EncodeTextOrList is the encoding TextOrList reads: text as a string when
// isText, else list as an array ([] for a nil list).
func EncodeTextOrList[T any](isText bool, text string, list []T) ([]byte, error) {
	switch {
	case isText:
		return json.Marshal(text)
	case list == nil:
		return []byte("[]"), nil
	default:
		return json.Marshal(list)
	}
}
