// Package jsonguard validates a JSON document strictly in one iterative
// pass: the grammar of RFC 8259 (as encoding/json.Valid), UTF-8, a nesting
// bound, and no object with two members of one name at any depth.
//
// Duplicate members are refused because JSON parsers disagree about them:
// the gateway reads one occurrence and an upstream may read another (most
// read the last), so a body with duplicates could pass a limit the
// gateway checked and then ask the vendor for something else. The gateway
// relays bodies byte for byte, so it refuses them rather than rewriting.
package jsonguard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of objects and arrays accepted.
const MaxDepth = 512

// smallObject is how many members an object holds before its names are
// kept in a map: below it a linear scan is cheaper than hashing, and most
// objects of a chat request have two to five members.
const smallObject = 16

// Error is a document Check refuses.
type Error struct {
	// Offset is the byte offset of the fault.
	Offset int
	// Path is where it is, as in messages[2].content ("" at the top).
	Path string
	// Duplicate is the member name that repeats, when that is the fault.
	Duplicate string
	msg       string
}

func (e *Error) Error() string {
	if e.Duplicate != "" {
		return fmt.Sprintf("duplicate member %q at %s", e.Duplicate, e.Path)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s at offset %d (in %s)", e.msg, e.Offset, e.Path)
	}
	return fmt.Sprintf("%s at offset %d", e.msg, e.Offset)
}

type frame struct {
	obj   bool
	index int    // array: the element being read
	key   []byte // object: the member being read (decoded name)
	keys0 int    // object: where its names start in checker.keys
	set   map[string]struct{}
}

type checker struct {
	b     []byte
	stack []frame
	keys  [][]byte
	dup   *Error // the first duplicate member
}

// Check validates b; the error is an *Error.
func Check(b []byte) error {
	if !utf8.Valid(b) {
		i := 0
		for i < len(b) {
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return &Error{Offset: i, msg: "invalid UTF-8"}
	}
	c := checker{b: b, stack: make([]frame, 0, 16), keys: make([][]byte, 0, 32)}
	return c.run()
}

func (c *checker) fail(i int, format string, a ...any) error {
	return &Error{Offset: i, Path: c.path(), msg: fmt.Sprintf(format, a...)}
}

func (c *checker) run() error {
	b := c.b
	i := 0
	for {
		// A value starts at i.
		i = skipWS(b, i)
		if i >= len(b) {
			return c.fail(i, "unexpected end of JSON input")
		}
		switch ch := b[i]; ch {
		case '{', '[':
			if len(c.stack) >= MaxDepth {
				return c.fail(i, "nesting deeper than %d levels", MaxDepth)
			}
			c.stack = append(c.stack, frame{obj: ch == '{', keys0: len(c.keys)})
			i = skipWS(b, i+1)
			if i < len(b) && b[i] == ch+2 { // '}' is '{'+2, ']' is '['+2
				c.pop()
				i++
				break
			}
			if ch == '{' {
				var err error
				if i, err = c.member(i); err != nil {
					return err
				}
			}
			continue
		case '"':
			end, _, err := c.str(i)
			if err != nil {
				return err
			}
			i = end
		case 't':
			if i = literal(b, i, "true"); i < 0 {
				return c.fail(-i-1, "invalid literal")
			}
		case 'f':
			if i = literal(b, i, "false"); i < 0 {
				return c.fail(-i-1, "invalid literal")
			}
		case 'n':
			if i = literal(b, i, "null"); i < 0 {
				return c.fail(-i-1, "invalid literal")
			}
		default:
			end := number(b, i)
			if end < 0 {
				return c.fail(i, "invalid character %s looking for a value", quoteByte(ch))
			}
			i = end
		}
		// A value ended at i: close containers, or move to the next
		// element or member.
		for {
			i = skipWS(b, i)
			if len(c.stack) == 0 {
				if i != len(b) {
					return c.fail(i, "unexpected data after the top-level value")
				}
				if c.dup != nil {
					return c.dup
				}
				return nil
			}
			if i >= len(b) {
				return c.fail(i, "unexpected end of JSON input")
			}
			top := &c.stack[len(c.stack)-1]
			ch := b[i]
			if (top.obj && ch == '}') || (!top.obj && ch == ']') {
				c.pop()
				i++
				continue
			}
			if ch != ',' {
				return c.fail(i, "invalid character %s after a value", quoteByte(ch))
			}
			i++
			if top.obj {
				var err error
				if i, err = c.member(skipWS(b, i)); err != nil {
					return err
				}
			} else {
				top.index++
			}
			break
		}
	}
}

func (c *checker) pop() {
	top := c.stack[len(c.stack)-1]
	if top.obj {
		c.keys = c.keys[:top.keys0]
	}
	c.stack = c.stack[:len(c.stack)-1]
}

// member reads a member name and its colon at b[i] into the innermost
// object, refusing a name it already has.
func (c *checker) member(i int) (int, error) {
	b := c.b
	if i >= len(b) || b[i] != '"' {
		return i, c.fail(i, "expected a member name")
	}
	end, name, err := c.str(i)
	if err != nil {
		return i, err
	}
	top := &c.stack[len(c.stack)-1]
	top.key = name
	if c.seen(top, name) && c.dup == nil {
		// Reported once the whole document is known to be valid JSON, so
		// a syntax error is named as such.
		c.dup = &Error{Offset: i, Path: c.path(), Duplicate: printable(name)}
	}
	end = skipWS(b, end)
	if end >= len(b) || b[end] != ':' {
		return end, c.fail(end, "expected ':' after a member name")
	}
	return end + 1, nil
}

// seen records name in the object and reports whether it was there.
func (c *checker) seen(top *frame, name []byte) bool {
	if top.set != nil {
		if _, ok := top.set[string(name)]; ok {
			return true
		}
		top.set[string(name)] = struct{}{}
		return false
	}
	names := c.keys[top.keys0:]
	for _, k := range names {
		if bytes.Equal(k, name) {
			return true
		}
	}
	if len(names) < smallObject {
		c.keys = append(c.keys, name)
		return false
	}
	top.set = make(map[string]struct{}, 2*smallObject)
	for _, k := range names {
		top.set[string(k)] = struct{}{}
	}
	top.set[string(name)] = struct{}{}
	c.keys = c.keys[:top.keys0]
	return false
}

// str validates the string at b[i] and returns the offset past it and its
// decoded content (a sub-slice of b when it has no escapes).
func (c *checker) str(i int) (int, []byte, error) {
	b := c.b
	escaped := false
	for j := i + 1; j < len(b); j++ {
		switch ch := b[j]; {
		case ch == '"':
			if !escaped {
				return j + 1, b[i+1 : j], nil
			}
			var s string
			if err := json.Unmarshal(b[i:j+1], &s); err != nil {
				return j, nil, c.fail(i, "invalid string")
			}
			return j + 1, []byte(s), nil
		case ch == '\\':
			escaped = true
			j++
			if j >= len(b) {
				return j, nil, c.fail(j, "unterminated string")
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) || !isHex(b[j+1]) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) {
					return j, nil, c.fail(j, `invalid \u escape`)
				}
				j += 4
			default:
				return j, nil, c.fail(j, "invalid escape %s in a string", quoteByte(b[j]))
			}
		case ch < 0x20:
			return j, nil, c.fail(j, "control character %s in a string", quoteByte(ch))
		}
	}
	return len(b), nil, c.fail(len(b), "unterminated string")
}

// path renders the stack as messages[2].content, bounded in length.
func (c *checker) path() string {
	var sb strings.Builder
	for _, f := range c.stack {
		if sb.Len() > 256 {
			sb.WriteString("...")
			break
		}
		if !f.obj {
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(f.index))
			sb.WriteByte(']')
			continue
		}
		if f.key == nil {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(printable(f.key))
	}
	return sb.String()
}

// printable bounds a member name for messages.
func printable(name []byte) string {
	if len(name) > 64 {
		name = name[:64]
		for len(name) > 0 && !utf8.Valid(name) {
			name = name[:len(name)-1]
		}
		return string(name) + "..."
	}
	return string(name)
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// literal matches lit at b[i]; it returns the offset past it, or -(i+1).
func literal(b []byte, i int, lit string) int {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit)
	}
	return -i - 1
}

// number returns the offset past the JSON number at b[i], or -1:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(b []byte, i int) int {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j < len(b) && b[j] == '0':
		j++
	case j < len(b) && b[j] >= '1' && b[j] <= '9':
		j = digits(b, j)
	default:
		return -1
	}
	if j < len(b) && b[j] == '.' {
		k := digits(b, j+1)
		if k == j+1 {
			return -1
		}
		j = k
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(b, j)
		if k == j {
			return -1
		}
		j = k
	}
	return j
}

func digits(b []byte, j int) int {
	for j < len(b) && b[j] >= '0' && b[j] <= '9' {
		j++
	}
	return j
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func quoteByte(c byte) string { return strconv.QuoteRune(rune(c)) }
