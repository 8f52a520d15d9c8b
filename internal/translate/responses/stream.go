package responses

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
	"github.com/tollgate-dev/tollgate/internal/translate/chatstream"
)

// Stream converts canonical chat.completion.chunk payloads, in order, into
// Responses stream events: response.created and response.in_progress
// first, then for each output item output_item.added, its parts and
// deltas, and output_item.done, and last response.completed (or
// response.incomplete). Feed every chunk to Chunk, then call Finish at the
// end of the upstream stream, or Error when it failed. Each call returns
// the bytes to write ("event:" lines included). Every event carries a
// sequence_number counting from 0. A Stream is used by one goroutine.
type Stream struct {
	chatstream.Driver
	a    Answer
	resp *rs.Response
	seq  int64

	// reasoning and message are the open items of those kinds (nil when
	// none); calls maps a chat tool-call index to its item.
	reasoning, message *streamItem
	calls              map[int]*streamItem
	items              []*streamItem

	out chatstream.Events
}

// streamItem is one output item being streamed.
type streamItem struct {
	index  int // in resp.Output
	id     string
	closed bool
	// parts are a message's open content parts, in content order.
	parts []*streamPart
	// args collects a function call's arguments; text a reasoning item's.
	args, text strings.Builder
	encrypted  strings.Builder
}

// streamPart is one content part of a message: output_text or refusal.
type streamPart struct {
	kind string
	text strings.Builder
}

// NewStream converts one stream; a is as for Response. Done is true once
// the final event (response.completed, .incomplete, .failed or error) was
// written.
func NewStream(a Answer) *Stream {
	s := &Stream{a: a, resp: a.Skeleton(), calls: map[int]*streamItem{}}
	s.Driver = chatstream.NewDriver(chatstream.Target{Start: s.start, Choice: s.choice, End: s.end, Fail: s.fail}, &s.out)
	return s
}

// Result is the final response (every output item, encrypted reasoning
// included) once the stream completed; nil before and after a failure.
func (s *Stream) Result() *rs.Response {
	if !s.Done() || s.resp.Status == rs.ResponseFailed || s.resp.Status == rs.ResponseInProgress {
		return nil
	}
	return s.resp
}

func (s *Stream) choice(ch oa.ChunkChoice) {
	d := ch.Delta
	if d.ReasoningContent != nil && *d.ReasoningContent != "" {
		s.reasoningDelta(*d.ReasoningContent)
	}
	if d.ReasoningEncryptedContent != nil && *d.ReasoningEncryptedContent != "" {
		s.openReasoning().encrypted.WriteString(*d.ReasoningEncryptedContent)
	}
	if d.Content != nil && *d.Content != "" {
		s.textDelta(rs.PartOutputText, *d.Content)
	}
	if d.Refusal != nil && *d.Refusal != "" {
		s.textDelta(rs.PartRefusal, *d.Refusal)
	}
	for _, tc := range d.ToolCalls {
		s.toolDelta(tc)
	}
}

// fail ends the stream with a failure: response.failed (the response so
// far, status failed, with the error) once the response was announced,
// else an error event.
func (s *Stream) fail(status int, message string, started bool, last *oa.Usage) {
	code := errorCode(status)
	if !started {
		s.event(rs.EventError, &event{Code: &code, Message: &message, Param: new(json.RawMessage)})
		return
	}
	s.resp.Status = rs.ResponseFailed
	s.resp.Error = &rs.Error{Code: code, Message: message}
	s.resp.Usage = usage(last)
	s.resp.OutputText = OutputText(s.resp.Output)
	s.event(rs.EventFailed, &event{Response: ForClient(s.resp, s.a.Request)})
}

// errorCode is the Responses error code for an HTTP status.
func errorCode(status int) string {
	if status == http.StatusTooManyRequests {
		return "rate_limit_exceeded"
	}
	return "server_error"
}

func (s *Stream) start(string) {
	s.event(rs.EventCreated, &event{Response: ForClient(s.resp, s.a.Request)})
	s.event(rs.EventInProgress, &event{Response: ForClient(s.resp, s.a.Request)})
}

// add appends an item to the output and announces it. Reasoning and
// message items end when another item starts; function calls stay open
// to the end (their deltas may interleave).
func (s *Stream) add(it rs.Item) *streamItem {
	for _, open := range []*streamItem{s.reasoning, s.message} {
		if open != nil {
			s.closeItem(open)
		}
	}
	s.reasoning, s.message = nil, nil
	si := &streamItem{index: len(s.resp.Output), id: it.ID}
	if si.index > 0 {
		// A kind's second item (text after a tool call) needs its own id.
		for _, other := range s.resp.Output {
			if other.ID == it.ID {
				si.id = it.ID + "_" + strconv.Itoa(si.index)
				it.ID = si.id
			}
		}
	}
	s.resp.Output = append(s.resp.Output, it)
	s.items = append(s.items, si)
	s.event(rs.EventOutputItemAdded, &event{OutputIndex: &si.index, Item: s.clientItem(it)})
	return si
}

func (s *Stream) openReasoning() *streamItem {
	if s.reasoning == nil {
		it := s.a.reasoningItem("", "")
		s.reasoning = s.add(it)
	}
	return s.reasoning
}

func (s *Stream) reasoningDelta(d string) {
	si := s.openReasoning()
	if si.text.Len() == 0 {
		zero := 0
		s.event(rs.EventContentPartAdded, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &zero,
			Part: &rs.Part{Type: rs.PartReasoningText}})
	}
	si.text.WriteString(d)
	zero := 0
	s.event(rs.EventReasoningTextDelta, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &zero, Delta: &d})
}

// textDelta adds output text or refusal text to the open message.
func (s *Stream) textDelta(kind, d string) {
	if s.message == nil {
		s.message = s.add(s.a.messageItem(nil, rs.StatusInProgress))
	}
	si := s.message
	var p *streamPart
	idx := 0
	for i, q := range si.parts {
		if q.kind == kind {
			p, idx = q, i
		}
	}
	if p == nil {
		p, idx = &streamPart{kind: kind}, len(si.parts)
		si.parts = append(si.parts, p)
		s.event(rs.EventContentPartAdded, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx,
			Part: p.part()})
	}
	p.text.WriteString(d)
	if kind == rs.PartRefusal {
		s.event(rs.EventRefusalDelta, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx, Delta: &d})
		return
	}
	s.event(rs.EventOutputTextDelta, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx, Delta: &d,
		Logprobs: &[]struct{}{}})
}

func (p *streamPart) part() *rs.Part {
	if p.kind == rs.PartRefusal {
		return &rs.Part{Type: rs.PartRefusal, Refusal: p.text.String()}
	}
	return &rs.Part{Type: rs.PartOutputText, Text: p.text.String()}
}

func (s *Stream) toolDelta(tc oa.ToolCallDelta) {
	si, known := s.calls[tc.Index]
	if !known {
		it := s.a.callItem(len(s.calls), tc.ID, tc.Function.Name, "", rs.StatusInProgress)
		si = s.add(it)
		s.calls[tc.Index] = si
	}
	if tc.Function.Arguments == "" {
		return
	}
	si.args.WriteString(tc.Function.Arguments)
	d := tc.Function.Arguments
	s.event(rs.EventFunctionCallArgsDelta, &event{ItemID: si.id, OutputIndex: &si.index, Delta: &d})
}

// closeItem writes the done events of an item and records its final form.
func (s *Stream) closeItem(si *streamItem) {
	if si.closed {
		return
	}
	si.closed = true
	it := &s.resp.Output[si.index]
	switch it.Type {
	case rs.ItemReasoning:
		if si.text.Len() > 0 {
			text := si.text.String()
			zero := 0
			s.event(rs.EventReasoningTextDone, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &zero, Text: &text})
			part := rs.Part{Type: rs.PartReasoningText, Text: text}
			s.event(rs.EventContentPartDone, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &zero, Part: &part})
			it.Content = &rs.Content{Parts: []rs.Part{part}}
		}
		if si.encrypted.Len() > 0 {
			enc := si.encrypted.String()
			it.EncryptedContent = &enc
		}
	case rs.ItemMessage:
		parts := make([]rs.Part, 0, len(si.parts))
		for i, p := range si.parts {
			idx := i
			text := p.text.String()
			if p.kind == rs.PartRefusal {
				s.event(rs.EventRefusalDone, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx, Refusal: &text})
			} else {
				s.event(rs.EventOutputTextDone, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx, Text: &text,
					Logprobs: &[]struct{}{}})
			}
			s.event(rs.EventContentPartDone, &event{ItemID: si.id, OutputIndex: &si.index, ContentIndex: &idx, Part: p.part()})
			parts = append(parts, *p.part())
		}
		it.Content = &rs.Content{Parts: parts}
		it.Status = rs.StatusCompleted
	case rs.ItemFunctionCall:
		args := si.args.String()
		s.event(rs.EventFunctionCallArgsDone, &event{ItemID: si.id, OutputIndex: &si.index, Arguments: &args})
		it.Arguments = &args
		it.Status = rs.StatusCompleted
	}
	s.event(rs.EventOutputItemDone, &event{OutputIndex: &si.index, Item: s.clientItem(*it)})
}

// end closes every open item and writes response.completed (or
// response.incomplete when the output was cut short).
func (s *Stream) end(finish string, last *oa.Usage) {
	for _, si := range s.items {
		s.closeItem(si)
	}
	s.reasoning, s.message = nil, nil
	s.a.finish(s.resp, finish, last)
	name := rs.EventCompleted
	if s.resp.Status == rs.ResponseIncomplete {
		name = rs.EventIncomplete
	}
	s.event(name, &event{Response: ForClient(s.resp, s.a.Request)})
}

// clientItem is an item as the client sees it (see ForClient).
func (s *Stream) clientItem(it rs.Item) *rs.Item {
	if it.Type == rs.ItemReasoning && (s.a.Request == nil || !s.a.Request.Includes(rs.IncludeReasoningEncrypted)) {
		it.EncryptedContent = nil
	}
	return &it
}

// event is every stream event's payload; each type sets its members.
type event struct {
	Type           string           `json:"type"`
	SequenceNumber int64            `json:"sequence_number"`
	Response       *rs.Response     `json:"response,omitempty"`
	OutputIndex    *int             `json:"output_index,omitempty"`
	ItemID         string           `json:"item_id,omitempty"`
	ContentIndex   *int             `json:"content_index,omitempty"`
	Item           *rs.Item         `json:"item,omitempty"`
	Part           *rs.Part         `json:"part,omitempty"`
	Delta          *string          `json:"delta,omitempty"`
	Text           *string          `json:"text,omitempty"`
	Refusal        *string          `json:"refusal,omitempty"`
	Arguments      *string          `json:"arguments,omitempty"`
	Logprobs       *[]struct{}      `json:"logprobs,omitempty"`
	Code           *string          `json:"code,omitempty"`
	Message        *string          `json:"message,omitempty"`
	Param          *json.RawMessage `json:"param,omitempty"`
}

func (s *Stream) event(name string, e *event) {
	e.Type, e.SequenceNumber = name, s.seq
	s.seq++
	b, err := json.Marshal(e)
	if err != nil { // only values built here are encoded
		b = []byte(`{"type":"error","code":"server_error","message":"encoding event failed","param":null,"sequence_number":` +
			strconv.FormatInt(e.SequenceNumber, 10) + `}`)
		name = rs.EventError
	}
	s.out.Add(name, b)
}
