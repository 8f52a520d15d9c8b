// Package chatstream drives the translators that write the canonical
// chat.completion.chunk stream out as another API's SSE events
// (internal/translate/messages and internal/translate/responses): it
// decodes each chunk, hands choice 0 to the target, keeps the finish
// reason and the usage, ends the answer once both came (or when the
// upstream stream ends) and frames the events the target writes.
package chatstream

import (
	"encoding/json"
	"fmt"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Target is what a client API does at each step of the stream. Each hook
// writes its events with Events.Add.
type Target struct {
	// Start writes the events that open the answer, before anything else;
	// id is the first chunk's id ("" when the stream ended without one).
	Start func(id string)
	// Choice writes what choice 0 of one chunk adds.
	Choice func(ch oa.ChunkChoice)
	// End writes the closing events: finish is choice 0's finish reason
	// (oa.FinishStop when none came), usage the last usage seen (nil when
	// none came).
	End func(finish string, usage *oa.Usage)
	// Fail writes the events of a failed stream; started says whether
	// Start ran, usage is as for End.
	Fail func(status int, message string, started bool, usage *oa.Usage)
}

// Driver feeds one stream to a Target; it is used by one goroutine.
type Driver struct {
	t   Target
	out *Events

	started, finished bool
	sawFinish         bool
	finish            string
	usage             *oa.Usage
}

// NewDriver drives t, whose hooks write to out.
func NewDriver(t Target, out *Events) Driver {
	return Driver{t: t, out: out}
}

// Done is true once the final event (the end or the failure) was written.
func (d *Driver) Done() bool { return d.finished }

// Chunk converts one chunk payload (the JSON of a data: line) and returns
// the bytes to write.
func (d *Driver) Chunk(data []byte) ([]byte, error) {
	var c oa.Chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decoding chat completion chunk: %w", err)
	}
	d.out.reset()
	if d.finished {
		return nil, nil
	}
	d.start(c.ID)
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue
		}
		d.t.Choice(ch)
		if ch.FinishReason != nil {
			d.sawFinish, d.finish = true, *ch.FinishReason
		}
	}
	if c.Usage != nil {
		d.usage = c.Usage
	}
	if d.sawFinish && d.usage != nil {
		d.end()
	}
	return d.out.take(), nil
}

// Finish ends the answer after the upstream stream ended normally; it
// writes nothing when the answer already ended.
func (d *Driver) Finish() []byte {
	d.out.reset()
	if d.finished {
		return nil
	}
	d.start("")
	d.end()
	return d.out.take()
}

// Error ends the stream with a failure (nothing when it already ended).
func (d *Driver) Error(status int, message string) []byte {
	d.out.reset()
	if d.finished {
		return nil
	}
	d.finished = true
	d.t.Fail(status, message, d.started, d.usage)
	return d.out.take()
}

func (d *Driver) start(id string) {
	if d.started {
		return
	}
	d.started = true
	d.t.Start(id)
}

func (d *Driver) end() {
	d.finished = true
	finish := d.finish
	if !d.sawFinish {
		finish = oa.FinishStop
	}
	d.t.End(finish, d.usage)
}

// Events collects the SSE events of one call.
type Events struct{ b []byte }

// Add appends the event name with its JSON data: "event: name\ndata: ...\n\n".
func (e *Events) Add(name string, data []byte) {
	e.b = append(e.b, "event: "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, "\ndata: "...)
	e.b = append(e.b, data...)
	e.b = append(e.b, "\n\n"...)
}

func (e *Events) reset() { e.b = nil }

func (e *Events) take() []byte {
	b := e.b
	e.b = nil
	return b
}
