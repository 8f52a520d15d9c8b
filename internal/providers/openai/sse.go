package openai

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxEventBytes bounds one server-sent event; a longer event is an error,
// not unbounded memory.
const MaxEventBytes = 8 << 20

// ErrEventTooLarge is returned for an event over MaxEventBytes.
var ErrEventTooLarge = errors.New("server-sent event exceeds 8 MiB")

// Event is one server-sent event.
type Event struct {
	// Name is the "event:" field; empty for the default "message".
	Name string
	// Data is the "data:" lines joined with "\n". It is a fresh slice the
	// caller may keep.
	Data []byte
}

// SSEDecoder reads server-sent events (text/event-stream) as they arrive,
// one event per Next call, with no read-ahead beyond the current line.
type SSEDecoder struct {
	r    *bufio.Reader
	data []byte
	name string
	line []byte
}

// NewSSEDecoder decodes events from r.
func NewSSEDecoder(r io.Reader) *SSEDecoder {
	return &SSEDecoder{r: bufio.NewReaderSize(r, 16<<10)}
}

// NextBefore is Next for a stream that must end with a terminal event:
// the end of input is an error ("<vendor>: stream ended before
// <terminal>"), and so is a broken read, wrapped with the vendor's name.
func (d *SSEDecoder) NextBefore(vendor, terminal string) (Event, error) {
	ev, err := d.Next()
	if errors.Is(err, io.EOF) {
		return Event{}, fmt.Errorf("%s: stream ended before %s", vendor, terminal)
	}
	if err != nil {
		return Event{}, fmt.Errorf("%s: reading stream: %w", vendor, err)
	}
	return ev, nil
}

// Next returns the next event with data. It returns io.EOF at a clean end
// of input (a trailing event without its blank line is still returned), and
// the reader's error otherwise.
func (d *SSEDecoder) Next() (Event, error) {
	d.data = d.data[:0]
	d.name = ""
	hasData := false
	for {
		line, err := d.readLine()
		if err != nil {
			if err == io.EOF && hasData {
				return d.event(), nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if hasData {
				return d.event(), nil
			}
			d.name = ""
			continue
		}
		if line[0] == ':' {
			continue // comment / keep-alive
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				d.data = append(d.data, '\n')
			}
			if len(d.data)+len(value) > MaxEventBytes {
				return Event{}, ErrEventTooLarge
			}
			d.data = append(d.data, value...)
			hasData = true
		case "event":
			d.name = string(value)
		}
	}
}

func (d *SSEDecoder) event() Event {
	out := make([]byte, len(d.data))
	copy(out, d.data)
	return Event{Name: d.name, Data: out}
}

// readLine returns one line without its terminator (\n, \r\n). The slice is
// valid until the next call.
func (d *SSEDecoder) readLine() ([]byte, error) {
	d.line = d.line[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		if len(d.line)+len(chunk) > MaxEventBytes {
			return nil, ErrEventTooLarge
		}
		switch {
		case err == nil:
			var line []byte
			if len(d.line) == 0 {
				line = chunk
			} else {
				d.line = append(d.line, chunk...)
				line = d.line
			}
			line = line[:len(line)-1]
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			d.line = append(d.line, chunk...)
		case err == io.EOF:
			d.line = append(d.line, chunk...)
			if len(d.line) == 0 {
				return nil, io.EOF
			}
			// A last line without a newline: return it, then EOF.
			line := bytes.TrimSuffix(d.line, []byte("\r"))
			return line, nil
		default:
			return nil, fmt.Errorf("reading event stream: %w", err)
		}
	}
}
