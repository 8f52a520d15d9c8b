package openai

import (
	"errors"
	"fmt"
)

// Strip removes the top-level members named in names from a JSON object
// and returns the body without them and their raw values by name. The
// rest of the body is kept byte for byte, so what is judged after is
// exactly what an upstream reads. A body with none of them is returned
// as is.
func Strip(b []byte, names ...string) ([]byte, map[string][]byte, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, nil, ErrNotObject
	}
	i++
	type span struct{ from, to int }
	var cut []span
	var found map[string][]byte
	members := 0
	prevEnd := i // end of the previous member (or just after '{')
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return nil, nil, errors.New("unexpected end of JSON object")
		}
		if b[i] == '}' {
			break
		}
		if members > 0 {
			if b[i] != ',' {
				return nil, nil, fmt.Errorf("expected ',' at offset %d", i)
			}
			i = skipWS(b, i+1)
		}
		key, next, err := readKey(b, i)
		if err != nil {
			return nil, nil, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return nil, nil, fmt.Errorf("expected ':' at offset %d", i)
		}
		i = skipWS(b, i+1)
		start := i
		end, err := skipValue(b, i)
		if err != nil {
			return nil, nil, err
		}
		for _, n := range names {
			if n == key {
				if found == nil {
					found = map[string][]byte{}
				}
				found[key] = b[start:end]
				// Cut from the end of the previous member: its comma (or,
				// for the first member, the space after '{') goes too.
				cut = append(cut, span{prevEnd, end})
			}
		}
		prevEnd, i = end, end
		members++
	}
	if len(cut) == 0 {
		return b, nil, nil
	}
	out := make([]byte, 0, len(b))
	at := 0
	for _, c := range cut {
		out = append(out, b[at:c.from]...)
		at = c.to
	}
	out = append(out, b[at:]...)
	// A removed first member leaves the next one's comma just after '{'.
	return fixLeadingComma(out), found, nil
}

// fixLeadingComma drops a comma that directly follows the object's '{'
// (after whitespace).
func fixLeadingComma(b []byte) []byte {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return b
	}
	j := skipWS(b, i+1)
	if j < len(b) && b[j] == ',' {
		return append(b[:j:j], b[j+1:]...)
	}
	return b
}
