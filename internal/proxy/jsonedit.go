package proxy

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// jsonEdits are changes to a JSON document made in its own bytes, so what
// an edit does not touch keeps the upstream's member order, spacing and
// spelling: set replaces the value at a path with a JSON string, add
// appends a member to the object (or an element to the array) at a path.
// A path is the member names and array positions from the root, joined
// by NUL (jsonPath).
type jsonEdits struct {
	set map[string]string
	add map[string][][]byte // path -> encoded members ("k":v) or elements
}

func jsonPath(parts ...any) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(0)
		}
		switch v := p.(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		}
	}
	return b.String()
}

func (e *jsonEdits) setString(path, v string) {
	if e.set == nil {
		e.set = map[string]string{}
	}
	e.set[path] = v
}

// addMember appends "key": v to the object at path.
func (e *jsonEdits) addMember(path, key string, v any) {
	k, _ := encodeJSON(key)
	b, err := encodeJSON(v)
	if err != nil {
		return
	}
	e.addRaw(path, append(append(k, ':'), b...))
}

// addElement appends v to the array at path.
func (e *jsonEdits) addElement(path string, v any) {
	if b, err := encodeJSON(v); err == nil {
		e.addRaw(path, b)
	}
}

func (e *jsonEdits) addRaw(path string, b []byte) {
	if e.add == nil {
		e.add = map[string][][]byte{}
	}
	e.add[path] = append(e.add[path], b)
}

func (e *jsonEdits) empty() bool { return len(e.set) == 0 && len(e.add) == 0 }

// rewrite returns doc with the edits made in place (apply), else obj (the
// document decoded, and edited) encoded, else doc as it came: what
// decoded re-encodes, so a guarded answer or chunk keeps its
// placeholders only if it somehow does not.
func (e *jsonEdits) rewrite(doc []byte, obj any) []byte {
	if out, ok := e.apply(doc); ok {
		return out
	}
	out, err := encodeJSON(obj)
	if err != nil {
		return doc
	}
	return out
}

// apply returns doc with the edits made; false when a path is not in doc
// (or doc is not one JSON value), and the caller encodes the document
// itself.
func (e *jsonEdits) apply(doc []byte) ([]byte, bool) {
	if e.empty() {
		return doc, true
	}
	ix := &jsonSpans{b: doc, want: e, spans: map[string][2]int{}}
	end, ok := ix.value(0, "", true)
	if !ok || len(bytes.TrimSpace(doc[end:])) != 0 {
		return nil, false
	}
	type splice struct {
		at, end int
		with    []byte
	}
	var sp []splice
	for p, v := range e.set {
		s, ok := ix.spans[p]
		if !ok {
			return nil, false
		}
		b, err := encodeJSON(v)
		if err != nil {
			return nil, false
		}
		sp = append(sp, splice{s[0], s[1], b})
	}
	for p, items := range e.add {
		s, ok := ix.spans[p]
		if !ok || (doc[s[0]] != '{' && doc[s[0]] != '[') {
			return nil, false
		}
		var b []byte
		for i, it := range items {
			if i > 0 || !ix.emptyAt[s[0]] {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
		close := s[1] - 1 // the closing bracket
		sp = append(sp, splice{close, close, b})
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].at < sp[j].at })
	out := make([]byte, 0, len(doc)+64)
	last := 0
	for _, s := range sp {
		if s.at < last {
			return nil, false // nested edits: not made in place
		}
		out = append(append(out, doc[last:s.at]...), s.with...)
		last = s.end
	}
	return append(out, doc[last:]...), true
}

// jsonSpans finds the byte spans of the values an edit names in one
// pass over a document.
type jsonSpans struct {
	b       []byte
	want    *jsonEdits
	spans   map[string][2]int
	emptyAt map[int]bool // containers with no member, by start
}

func (ix *jsonSpans) wanted(p string) bool {
	if _, ok := ix.want.set[p]; ok {
		return true
	}
	_, ok := ix.want.add[p]
	return ok
}

func (ix *jsonSpans) ws(i int) int {
	for i < len(ix.b) && (ix.b[i] == ' ' || ix.b[i] == '\t' || ix.b[i] == '\n' || ix.b[i] == '\r') {
		i++
	}
	return i
}

// value scans the value at i (path p; root when top) and returns where it
// ends.
func (ix *jsonSpans) value(i int, p string, top bool) (int, bool) {
	i = ix.ws(i)
	if i >= len(ix.b) {
		return 0, false
	}
	start := i
	var ok bool
	switch ix.b[i] {
	case '{':
		i, ok = ix.container(i, p, top, '}')
	case '[':
		i, ok = ix.container(i, p, top, ']')
	case '"':
		i, ok = ix.str(i)
	default:
		for i < len(ix.b) && !strings.ContainsRune(",}] \t\r\n", rune(ix.b[i])) {
			i++
		}
		ok = i > start
	}
	if ok && ix.wanted(p) {
		ix.spans[p] = [2]int{start, i}
	}
	return i, ok
}

func (ix *jsonSpans) container(i int, p string, top bool, closer byte) (int, bool) {
	start := i
	i = ix.ws(i + 1)
	if i < len(ix.b) && ix.b[i] == closer {
		if ix.emptyAt == nil {
			ix.emptyAt = map[int]bool{}
		}
		ix.emptyAt[start] = true
		return i + 1, true
	}
	for n := 0; ; n++ {
		child := strconv.Itoa(n)
		if closer == '}' {
			i = ix.ws(i)
			end, ok := ix.str(i)
			if !ok {
				return 0, false
			}
			var key string
			if json.Unmarshal(ix.b[i:end], &key) != nil || strings.IndexByte(key, 0) >= 0 {
				return 0, false
			}
			child = key
			i = ix.ws(end)
			if i >= len(ix.b) || ix.b[i] != ':' {
				return 0, false
			}
			i++
		}
		cp := child
		if !top {
			cp = p + "\x00" + child
		}
		end, ok := ix.value(i, cp, false)
		if !ok {
			return 0, false
		}
		i = ix.ws(end)
		if i >= len(ix.b) {
			return 0, false
		}
		switch ix.b[i] {
		case ',':
			i++
		case closer:
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// str scans the string at i and returns where it ends.
func (ix *jsonSpans) str(i int) (int, bool) {
	if i >= len(ix.b) || ix.b[i] != '"' {
		return 0, false
	}
	for i++; i < len(ix.b); i++ {
		switch ix.b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}
