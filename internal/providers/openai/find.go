package openai

import (
	"errors"
	"fmt"
)

// eachMember walks the top-level members of a JSON object, calling fn with
// each key, the span of its raw value and the end of the member before it
// (or of the '{'). It never recurses, so hostile input cannot exhaust the
// stack; callers have validated the JSON. It returns the offset of the
// closing '}'.
func eachMember(b []byte, fn func(key []byte, start, end, prevEnd int)) (int, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, ErrNotObject
	}
	i++
	prevEnd := i
	for members := 0; ; members++ {
		i = skipWS(b, i)
		if i >= len(b) {
			return 0, errors.New("unexpected end of JSON object")
		}
		if b[i] == '}' {
			return i, nil
		}
		if members > 0 {
			if b[i] != ',' {
				return 0, fmt.Errorf("expected ',' at offset %d", i)
			}
			i = skipWS(b, i+1)
		}
		key, next, err := readKeyBytes(b, i)
		if err != nil {
			return 0, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return 0, fmt.Errorf("expected ':' at offset %d", i)
		}
		i = skipWS(b, i+1)
		end, err := skipValue(b, i)
		if err != nil {
			return 0, err
		}
		fn(key, i, end, prevEnd)
		prevEnd, i = end, end
	}
}

// Find returns the raw values of the top-level members of a JSON object
// named in names (the first of each name), without copying or decoding the
// rest.
func Find(b []byte, names ...string) (map[string][]byte, error) {
	var found map[string][]byte
	_, err := eachMember(b, func(key []byte, start, end, _ int) {
		for _, n := range names {
			if n == string(key) && found[n] == nil {
				if found == nil {
					found = make(map[string][]byte, len(names))
				}
				found[n] = b[start:end]
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}
