package bedrock

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Stream decodes ConverseStream's AWS event-stream frames (binary
// messages with :message-type, :event-type and a JSON payload) into chunks.
type Stream struct {
	r   *bufio.Reader
	dec *eventstream.Decoder
	buf []byte
	out vendorkit.Chunks

	tools   map[int]int // content block index → tool call index
	stopped bool
}

// NewStream decodes body; Converse does not name the model, model does.
func NewStream(body io.Reader, model string, now time.Time) *Stream {
	return &Stream{r: bufio.NewReaderSize(body, 16<<10), dec: eventstream.NewDecoder(),
		out: vendorkit.Chunks{Vendor: "bedrock", ID: chatID(now), Model: model, Created: now.Unix()}, tools: map[int]int{}}
}

// Next returns the next chunk; io.EOF after messageStop (and metadata).
func (s *Stream) Next() (providers.Chunk, error) { return s.out.Next(s.read) }

// read handles the next frame.
func (s *Stream) read() error {
	if err := s.checkFrame(); err != nil {
		return err
	}
	msg, err := s.dec.Decode(s.r, s.buf[:0])
	if errors.Is(err, io.EOF) {
		if !s.stopped {
			return errors.New("bedrock: stream ended before messageStop")
		}
		s.out.End()
		return nil
	}
	if err != nil {
		return fmt.Errorf("bedrock: reading event stream: %w", err)
	}
	s.buf = msg.Payload
	return s.handle(msg)
}

// MaxFrameBytes bounds one event-stream message: a larger (or
// inconsistent) prelude breaks the stream instead of buffering it.
const MaxFrameBytes = 8 << 20

// checkFrame validates the next prelude (total and headers length) before
// the decoder reads the frame.
func (s *Stream) checkFrame() error {
	p, err := s.r.Peek(8)
	if err != nil {
		return nil // short or empty: the decoder reports EOF or the truncation
	}
	total, headers := binary.BigEndian.Uint32(p[:4]), binary.BigEndian.Uint32(p[4:])
	if total > MaxFrameBytes || uint64(headers)+16 > uint64(total) {
		return fmt.Errorf("bedrock: event-stream frame of %d bytes (%d of headers) is malformed or over %d bytes", total, headers, MaxFrameBytes)
	}
	return nil
}

func header(m eventstream.Message, name string) string {
	if v := m.Headers.Get(name); v != nil {
		return v.String()
	}
	return ""
}

func (s *Stream) handle(m eventstream.Message) error {
	switch header(m, ":message-type") {
	case "exception":
		var body struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(m.Payload, &body)
		return fromErrorType(0, header(m, ":exception-type"), body.Message, 0)
	case "error":
		return fromErrorType(0, header(m, ":error-code"), header(m, ":error-message"), 0)
	case "event":
	default:
		return fmt.Errorf("bedrock: unknown :message-type %q", header(m, ":message-type"))
	}
	name := header(m, ":event-type")
	switch name {
	case "messageStart":
		return s.out.Emit(oa.Delta{Role: oa.RoleAssistant, Content: oa.Ptr("")}, nil)
	case "contentBlockStart":
		var ev contentBlockStart
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return fmt.Errorf("bedrock: decoding contentBlockStart: %w", err)
		}
		if tu := ev.Start.ToolUse; tu != nil {
			n := len(s.tools)
			s.tools[ev.ContentBlockIndex] = n
			return s.out.Emit(oa.Delta{ToolCalls: []oa.ToolCallDelta{{Index: n, ID: tu.ToolUseID, Type: "function",
				Function: oa.FunctionCallDelta{Name: tu.Name}}}}, nil)
		}
		return nil
	case "contentBlockDelta":
		return s.delta(m.Payload)
	case "messageStop":
		var ev messageStop
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return fmt.Errorf("bedrock: decoding messageStop: %w", err)
		}
		s.stopped = true
		fr := finishReason(ev.StopReason)
		return s.out.Emit(oa.Delta{}, &fr)
	case "metadata":
		var ev metadata
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			return fmt.Errorf("bedrock: decoding metadata: %w", err)
		}
		if ev.Usage == nil {
			return nil
		}
		return s.out.EmitUsage(toUsage(ev.Usage))
	default: // contentBlockStop and later additions
		return nil
	}
}

func (s *Stream) delta(payload []byte) error {
	var ev contentBlockDelta
	if err := json.Unmarshal(payload, &ev); err != nil {
		return fmt.Errorf("bedrock: decoding contentBlockDelta: %w", err)
	}
	d := ev.Delta
	switch {
	case d.Text != nil:
		return s.out.Emit(oa.Delta{Content: d.Text}, nil)
	case d.ToolUse != nil:
		n, ok := s.tools[ev.ContentBlockIndex]
		if !ok {
			return fmt.Errorf("bedrock: toolUse delta for block %d, which is not a tool use", ev.ContentBlockIndex)
		}
		if d.ToolUse.Input == "" {
			return nil
		}
		return s.out.Emit(oa.Delta{ToolCalls: []oa.ToolCallDelta{{Index: n, Function: oa.FunctionCallDelta{Arguments: d.ToolUse.Input}}}}, nil)
	case d.ReasoningContent != nil && d.ReasoningContent.Text != "":
		return s.out.Emit(oa.Delta{ReasoningContent: oa.Ptr(d.ReasoningContent.Text)}, nil)
	}
	return nil
}
