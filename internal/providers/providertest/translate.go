package providertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// GoldenName is the golden file of input in (testdata/dir/x<ext>), relative
// to testdata and without its extension: dir/x.golden.
func GoldenName(in, ext string) string {
	return strings.TrimPrefix(strings.TrimSuffix(in, ext), "testdata/") + ".golden"
}

// RequestGolden translates each testdata/request/*.json with translate and
// compares the indented JSON of the result with its .golden.json.
func RequestGolden(t *testing.T, translate func(body []byte) (any, error)) {
	EachInput(t, "request", ".json", func(t *testing.T, in string, body []byte) {
		v, err := translate(body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		Golden(t, GoldenName(in, ".json")+".json", Indent(t, got))
	})
}

// ResponseGolden translates each testdata/response/*.json with translate
// and compares the indented answer followed by its usage with its
// .golden.json.
func ResponseGolden(t *testing.T, translate func(body []byte) ([]byte, providers.Usage, error)) {
	EachInput(t, "response", ".json", func(t *testing.T, in string, body []byte) {
		out, usage, err := translate(body)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := json.Marshal(usage)
		Golden(t, GoldenName(in, ".json")+".json", append(Indent(t, out), Indent(t, u)...))
	})
}

// StreamGolden decodes each testdata/stream/*<ext> with the stream open
// returns for it and compares its Transcript with its .golden.txt.
func StreamGolden(t *testing.T, ext string, open func(t *testing.T, in string) providers.Stream) {
	for _, in := range Inputs(t, "stream", ext) {
		t.Run(in, func(t *testing.T) {
			Golden(t, GoldenName(in, ext)+".txt", Transcript(open(t, in)))
		})
	}
}

// SSEGolden is StreamGolden over the testdata/stream/*.sse files, each
// read by the stream decode returns.
func SSEGolden(t *testing.T, decode func(body io.Reader) providers.Stream) {
	StreamGolden(t, ".sse", func(t *testing.T, in string) providers.Stream {
		f, err := os.Open(in)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return decode(f)
	})
}

// BadRequestCase is a request body a translator must refuse, and a part of
// the message it must refuse it with. It is an alias of an unnamed struct
// so that tables may use positional literals (vet's composites check
// objects only to imported named types).
type BadRequestCase = struct{ Body, Want string }

// WantBadRequests checks that translate refuses each body with a 400,
// ClassFatal *providers.Error whose message holds the case's Want.
func WantBadRequests(t *testing.T, cases map[string]BadRequestCase, translate func(body []byte) error) {
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := translate([]byte(c.Body))
			var pe *providers.Error
			if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || pe.Class != providers.ClassFatal {
				t.Fatalf("want a 400 *providers.Error, got %#v", err)
			}
			if !strings.Contains(pe.Message, c.Want) {
				t.Errorf("message %q does not contain %q", pe.Message, c.Want)
			}
		})
	}
}

// ErrorCase is a vendor's error answer and what it must map to; an alias
// of an unnamed struct, as BadRequestCase.
type ErrorCase = struct {
	Status     int
	Header     http.Header
	Body       string
	WantStatus int
	WantClass  providers.ErrorClass
	WantCode   string
	WantRetry  time.Duration
}

// WantErrorMapping checks mapError against each case (a nil Header is an
// empty one).
func WantErrorMapping(t *testing.T, cases map[string]ErrorCase, mapError func(status int, h http.Header, body []byte) *providers.Error) {
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := c.Header
			if h == nil {
				h = http.Header{}
			}
			e := mapError(c.Status, h, []byte(c.Body))
			if e.Status != c.WantStatus || e.Class != c.WantClass || e.Code != c.WantCode || e.RetryAfter != c.WantRetry {
				t.Errorf("got status=%d class=%d code=%s retry=%v, want %d %d %s %v", e.Status, e.Class, e.Code, e.RetryAfter, c.WantStatus, c.WantClass, c.WantCode, c.WantRetry)
			}
		})
	}
}

// AddSeeds adds every testdata/<dir>/*<ext> file to the fuzz corpus.
func AddSeeds(f *testing.F, dir, ext string) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", dir, "*"+ext))
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// Translator is a stream that turns OpenAI chunks into another API's
// events (internal/translate/messages and responses).
type Translator interface {
	Chunk(data []byte) ([]byte, error)
	Finish() []byte
	Error(status int, message string) []byte
}

// RunScript feeds a .jsonl script to s: a line per chunk, "FINISH" to end
// the stream, "ERROR status message" to fail it. It returns what s wrote.
func RunScript(t *testing.T, s Translator, script []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(script))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "FINISH":
			out.Write(s.Finish())
		case strings.HasPrefix(line, "ERROR "):
			f := strings.SplitN(line, " ", 3)
			status, _ := strconv.Atoi(f[1])
			out.Write(s.Error(status, f[2]))
		default:
			b, err := s.Chunk([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			out.Write(b)
		}
	}
	return out.Bytes()
}

// FuzzSSEStream is FuzzStream for an SSE decoder, seeded with the golden
// stream inputs (testdata/stream/*.sse) and three events an SSE decoder
// must survive: a delta of a type it does not expect, a start without its
// message, an error without its detail.
func FuzzSSEStream(f *testing.F, open func(body io.Reader) providers.Stream) {
	AddSeeds(f, "stream", ".sse")
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\"}}\n\n"))
	f.Add([]byte("data: {\"type\":\"message_start\"}\n\n"))
	f.Add([]byte("data: {\"type\":\"error\"}\n\n"))
	FuzzStream(f, open)
}

// FuzzRequest fuzzes translate with the golden request bodies
// (testdata/request/*.json) as seeds; translate may refuse any input but
// must not panic, and may fail t for what it checks of its own.
func FuzzRequest(f *testing.F, translate func(t *testing.T, in []byte)) {
	AddSeeds(f, "request", ".json")
	f.Fuzz(translate)
}

// FeedLines feeds each line of in to s as a chunk, passing over the lines
// s refuses, and returns what s wrote.
func FeedLines(s Translator, in []byte) *bytes.Buffer {
	var out bytes.Buffer
	for _, line := range bytes.Split(in, []byte("\n")) {
		b, err := s.Chunk(line)
		if err != nil {
			continue
		}
		out.Write(b)
	}
	return &out
}

// FuzzStream feeds the corpus (add the seeds first) to a stream decoder,
// open: it may fail on any input, never panic, loop or return more chunks
// than it was given bytes.
func FuzzStream(f *testing.F, open func(body io.Reader) providers.Stream) {
	f.Fuzz(func(t *testing.T, in []byte) {
		s := open(bytes.NewReader(in))
		for i := 0; ; i++ {
			if i > len(in)+2 {
				t.Fatalf("stream returned %d chunks from %d bytes", i, len(in))
			}
			if _, err := s.Next(); err != nil {
				return
			}
		}
	})
}

// RandomConversation builds a valid OpenAI conversation with a system
// prompt, tools, text turns, tool calls (numbered call_0, call_1...) and
// their results.
func RandomConversation(r *rand.Rand) *oa.ChatRequest {
	word := func() string { return fmt.Sprintf("w%d", r.IntN(1000)) }
	req := &oa.ChatRequest{Model: "m", MaxTokens: oa.Ptr(int64(1 + r.IntN(4000)))}
	req.Messages = append(req.Messages, oa.Message{Role: oa.RoleSystem, Content: oa.Text("sys " + word())})
	for i := range 1 + r.IntN(3) {
		req.Tools = append(req.Tools, oa.Tool{Type: "function", Function: oa.FunctionDef{Name: fmt.Sprintf("tool_%d", i), Description: word(),
			Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}}}`)}})
	}
	call := 0
	for range 1 + r.IntN(4) {
		req.Messages = append(req.Messages, oa.Message{Role: oa.RoleUser, Content: oa.Text("user " + word())})
		a := oa.Message{Role: oa.RoleAssistant}
		if r.IntN(2) == 0 {
			a.Content = oa.Text("answer " + word())
		}
		for range r.IntN(3) {
			a.ToolCalls = append(a.ToolCalls, oa.ToolCall{ID: fmt.Sprintf("call_%d", call), Type: "function",
				Function: oa.FunctionCall{Name: req.Tools[r.IntN(len(req.Tools))].Function.Name, Arguments: fmt.Sprintf(`{"q":"%s"}`, word())}})
			call++
		}
		if a.Content.IsEmpty() && len(a.ToolCalls) == 0 {
			a.Content = oa.Text("fallback")
		}
		req.Messages = append(req.Messages, a)
		for _, tc := range a.ToolCalls {
			req.Messages = append(req.Messages, oa.Message{Role: oa.RoleTool, ToolCallID: tc.ID, Content: oa.Text("result " + word())})
		}
	}
	return req
}

// WantSameConversation fails case i when the messages and tools read back
// from a vendor request differ from the conversation in.
func WantSameConversation(t *testing.T, i int, in *oa.ChatRequest, msgs []oa.Message, tools []oa.Tool) {
	t.Helper()
	if !reflect.DeepEqual(msgs, in.Messages) || !reflect.DeepEqual(tools, in.Tools) {
		a, _ := json.Marshal(in.Messages)
		b, _ := json.Marshal(msgs)
		t.Fatalf("case %d: changed\n in: %s\nout: %s", i, a, b)
	}
}

// RoundTrip checks 300 random conversations (RandomConversation, from a
// source seeded with seed and seed+1) through a vendor's request and
// back: translate reads a conversation's body into the request, back
// reads the request's messages and tools, which must be the
// conversation's. check then runs the vendor's own checks of case i on
// the same source.
func RoundTrip[V any](t *testing.T, seed uint64, translate func(body []byte) (V, error), back func(V) ([]oa.Message, []oa.Tool), check func(i int, r *rand.Rand, in *oa.ChatRequest, v V)) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range 300 {
		in := RandomConversation(r)
		body, err := json.Marshal(in)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		v, err := translate(body)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		msgs, tools := back(v)
		WantSameConversation(t, i, in, msgs, tools)
		check(i, r, in, v)
	}
}

// AppendTurn appends one vendor turn read back as OpenAI's user message
// and assistant message, each left out when it is empty.
func AppendTurn(msgs []oa.Message, user, model oa.Message) []oa.Message {
	if !user.Content.IsEmpty() {
		msgs = append(msgs, user)
	}
	if !model.Content.IsEmpty() || len(model.ToolCalls) > 0 {
		msgs = append(msgs, model)
	}
	return msgs
}

// ChatAnswer decodes an OpenAI chat answer.
func ChatAnswer(t *testing.T, out []byte) oa.ChatResponse {
	t.Helper()
	var cr oa.ChatResponse
	if err := json.Unmarshal(out, &cr); err != nil {
		t.Fatal(err)
	}
	return cr
}
