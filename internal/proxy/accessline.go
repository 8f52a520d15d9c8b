package proxy

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
)

// syncWriter serializes writes to w: the JSON handler's records and the
// access lines encoded directly (see writeAccessLine) share it, each line
// one Write.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// accessBufs holds the buffers access lines are encoded into.
var accessBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// writeAccessLine writes the access log line itself when the server has
// the writer of its logger's JSON handler (Options.AccessLog), as that
// handler would write it: slog's JSON handler was ~9% of the handler's CPU
// (generic attribute handling, and a json.Encoder per float). It returns
// false when the line must go through the logger instead: no writer, or
// an attribute this encoder does not write byte for byte as slog does.
func (s *Server) writeAccessLine(ctx context.Context, level slog.Level, attrs []slog.Attr) bool {
	if s.accessLog == nil {
		return false
	}
	if !s.log.Enabled(ctx, level) {
		return true // dropped, as the logger would
	}
	bp := accessBufs.Get().(*[]byte)
	line, ok := appendAccessLine((*bp)[:0], time.Now(), level, "request", attrs)
	if ok {
		_, _ = s.accessLog.Write(line) // slog drops a write error too
	}
	if cap(line) <= 64<<10 {
		*bp = line[:0]
		accessBufs.Put(bp)
	}
	return ok
}

// appendAccessLine appends the line slog.NewJSONHandler (no option but a
// level) writes for a record of t, level, msg and attrs. ok is false when
// an attribute needs what only slog does: a key or string with a byte to
// escape, a float that is not finite, a kind other than string, int64,
// bool and float64.
func appendAccessLine(b []byte, t time.Time, level slog.Level, msg string, attrs []slog.Attr) ([]byte, bool) {
	b = append(b, `{"time":"`...)
	b = t.Round(0).AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"`...)
	b = append(b, level.String()...)
	b = append(b, `","msg":`...)
	var ok bool
	if b, ok = appendPlain(b, msg); !ok {
		return b, false
	}
	for _, a := range attrs {
		b = append(b, ',')
		if b, ok = appendPlain(b, a.Key); !ok {
			return b, false
		}
		b = append(b, ':')
		v := a.Value
		switch v.Kind() {
		case slog.KindString:
			if b, ok = appendPlain(b, v.String()); !ok {
				return b, false
			}
		case slog.KindInt64:
			b = strconv.AppendInt(b, v.Int64(), 10)
		case slog.KindBool:
			b = strconv.AppendBool(b, v.Bool())
		case slog.KindFloat64:
			if b, ok = appendJSONFloat(b, v.Float64()); !ok {
				return b, false
			}
		default:
			return b, false
		}
	}
	return append(b, '}', '\n'), true
}

// appendPlain appends s quoted when no byte of it needs an escape
// (printable ASCII but '"' and '\\'), where slog's JSON and this agree.
func appendPlain(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return b, false
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), true
}

// appendJSONFloat appends f as encoding/json writes a float64 (slog's JSON
// handler marshals floats with it): the shortest form, in exponent form
// below 1e-6 or from 1e21, "e-07" written "e-7".
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, true
}

// NewLogWriter wraps w so that a JSON handler over it and the access lines
// of Options.AccessLog never interleave.
func NewLogWriter(w io.Writer) io.Writer { return &syncWriter{w: w} }
