package openai

import (
	"errors"
	"fmt"
)

// SetMember returns a JSON object with its top-level member name set to
// value (raw JSON): an existing one is removed, the new one goes last. The
// rest of the object is kept byte for byte.
func SetMember(b []byte, name string, value []byte) ([]byte, error) {
	return appendSetMember(make([]byte, 0, len(b)+len(name)+len(value)+4), b, name, value)
}

// appendSetMember appends to dst the object b with member name set to
// value, as SetMember returns it.
func appendSetMember(dst, b []byte, name string, value []byte) ([]byte, error) {
	out, _, err := Strip(b, name)
	if err != nil {
		return nil, err
	}
	end := len(out) - 1
	for end >= 0 && isWS(out[end]) {
		end--
	}
	if end < 0 || out[end] != '}' {
		return nil, ErrNotObject
	}
	empty := skipWS(out, skipWS(out, 0)+1) == end
	dst = append(dst, out[:end]...)
	if !empty {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	dst = append(dst, value...)
	return append(dst, out[end:]...), nil
}

// SetNested sets member name to value inside the top-level member outer,
// itself an object ({"usage":{...,"cost":1}}); an outer that is absent or
// null becomes {name: value}. It fails when outer is not an object.
func SetNested(b []byte, outer, name string, value []byte) ([]byte, error) {
	from, to, err := memberValue(b, outer)
	if err != nil {
		return nil, err
	}
	if from < 0 || string(b[from:to]) == "null" {
		obj := make([]byte, 0, len(name)+len(value)+5)
		obj = append(append(append(append(obj, `{"`...), name...), `":`...), value...)
		return SetMember(b, outer, append(obj, '}'))
	}
	res := make([]byte, 0, len(b)+len(name)+len(value)+4)
	res = append(res, b[:from]...)
	if res, err = appendSetMember(res, b[from:to], name, value); err != nil {
		return nil, fmt.Errorf("member %s: %w", outer, err)
	}
	return append(res, b[to:]...), nil
}

// memberValue returns the offsets of the value of the last top-level
// member name, -1 when there is none.
func memberValue(b []byte, name string) (int, int, error) {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, 0, ErrNotObject
	}
	i++
	from, to := -1, -1
	for members := 0; ; members++ {
		i = skipWS(b, i)
		if i >= len(b) {
			return 0, 0, errors.New("unexpected end of JSON object")
		}
		if b[i] == '}' {
			return from, to, nil
		}
		if members > 0 {
			if b[i] != ',' {
				return 0, 0, fmt.Errorf("expected ',' at offset %d", i)
			}
			i = skipWS(b, i+1)
		}
		key, next, err := readKeyBytes(b, i)
		if err != nil {
			return 0, 0, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return 0, 0, fmt.Errorf("expected ':' at offset %d", i)
		}
		i = skipWS(b, i+1)
		end, err := skipValue(b, i)
		if err != nil {
			return 0, 0, err
		}
		if string(key) == name {
			from, to = i, end
		}
		i = end
	}
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// Member returns the raw value of the last top-level member name of a
// JSON object, nil when it has none.
func Member(b []byte, name string) ([]byte, error) {
	from, to, err := memberValue(b, name)
	if err != nil || from < 0 {
		return nil, err
	}
	return b[from:to], nil
}

// SetPath sets member name inside the object at the top-level member
// outer's member inner ({"response":{"usage":{...,"cost":1}}}), keeping
// the rest byte for byte; an inner that is absent or null becomes
// {name: value}. It fails when outer is absent or not an object.
func SetPath(b []byte, outer, inner, name string, value []byte) ([]byte, error) {
	from, to, err := memberValue(b, outer)
	if err != nil {
		return nil, err
	}
	if from < 0 {
		return nil, fmt.Errorf("no member %s", outer)
	}
	obj, err := SetNested(b[from:to], inner, name, value)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", outer, err)
	}
	res := make([]byte, 0, len(b)+len(name)+len(value)+4)
	res = append(append(append(res, b[:from]...), obj...), b[to:]...)
	return res, nil
}
