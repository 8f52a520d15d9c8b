package openai

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestSSEDecoder(t *testing.T) {
	tests := map[string]struct {
		in   string
		want []string
	}{
		"two events":       {"data: a\n\ndata: b\n\n", []string{"a", "b"}},
		"crlf":             {"data: a\r\n\r\ndata: b\r\n\r\n", []string{"a", "b"}},
		"multi-line data":  {"data: a\ndata: b\n\n", []string{"a\nb"}},
		"comments, fields": {": ping\nevent: x\nid: 1\ndata:no-space\n\n", []string{"no-space"}},
		"no final blank":   {"data: a\n\ndata: tail", []string{"a", "tail"}},
		"empty lines only": {"\n\n\n", nil},
		"long line":        {"data: " + strings.Repeat("x", 100000) + "\n\n", []string{strings.Repeat("x", 100000)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
				d := NewSSEDecoder(r)
				var got []string
				for {
					ev, err := d.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, string(ev.Data))
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Errorf("got %q want %q", got, tc.want)
				}
			}
		})
	}
}

func TestStreamEndsWithoutDoneIsUnexpected(t *testing.T) {
	a, _ := NewAdapter("http://x/v1", "k", nil)
	s := a.Stream(nil, strings.NewReader("data: {\"choices\":[]}\n\n"))
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want ErrUnexpectedEOF", err)
	}
}

// FuzzSSEDecoder: any input decodes without panic and in bounded memory,
// and the adapter's stream over it never panics either.
func FuzzSSEDecoder(f *testing.F) {
	for _, s := range []string{
		"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n",
		"data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n",
		"event: error\ndata: {}\n\n",
		"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n",
		": keep-alive\r\n\r\ndata: x\r\n",
		"data", "\r\r\n\n", "data: {\"usage\":", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewSSEDecoder(strings.NewReader(string(in)))
		for i := 0; i < len(in)+2; i++ {
			if _, err := d.Next(); err != nil {
				break
			}
		}
		a, _ := NewAdapter("http://x/v1", "k", nil)
		s := a.Stream(nil, strings.NewReader(string(in)))
		for i := 0; i < len(in)+2; i++ {
			c, err := s.Next()
			if err != nil {
				break
			}
			if c.Data == nil {
				t.Fatal("chunk without data")
			}
		}
	})
}

func TestSSEDecoderNextBefore(t *testing.T) {
	d := NewSSEDecoder(strings.NewReader("event: x\ndata: a\n\n"))
	if ev, err := d.NextBefore("v", "the end"); err != nil || string(ev.Data) != "a" || ev.Name != "x" {
		t.Fatalf("first event: %+v, %v", ev, err)
	}
	if _, err := d.NextBefore("v", "the end"); err == nil || err.Error() != "v: stream ended before the end" {
		t.Fatalf("end of input: got %v", err)
	}
	broken := errors.New("connection reset")
	d = NewSSEDecoder(iotest.ErrReader(broken))
	if _, err := d.NextBefore("v", "the end"); !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), "v: reading stream: ") {
		t.Fatalf("broken read: got %v", err)
	}
}
