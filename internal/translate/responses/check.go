package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// CheckEvents verifies a Responses event stream's grammar: every event
// is "event: NAME" then "data: JSON" whose type is NAME; sequence numbers
// count from 0; response.created comes first (or a lone error event);
// items are added before their deltas and done once; the stream ends with
// response.completed, .incomplete, .failed or error. Tests of every
// Responses producer use it.
func CheckEvents(sse []byte) error {
	var names []string
	open := map[int]bool{}
	for i, ev := range bytes.Split(bytes.TrimSpace(sse), []byte("\n\n")) {
		lines := strings.SplitN(string(ev), "\n", 2)
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			return fmt.Errorf("malformed event %q", ev)
		}
		name := strings.TrimPrefix(lines[0], "event: ")
		var data struct {
			Type           string `json:"type"`
			SequenceNumber *int   `json:"sequence_number"`
			OutputIndex    *int   `json:"output_index"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &data); err != nil {
			return fmt.Errorf("event %s: reading its data: %w", name, err)
		}
		if data.Type != name {
			return fmt.Errorf("event %s has data type %q", name, data.Type)
		}
		if data.SequenceNumber == nil || *data.SequenceNumber != i {
			return fmt.Errorf("event %d (%s) has sequence_number %v", i, name, data.SequenceNumber)
		}
		switch {
		case name == rs.EventOutputItemAdded:
			if data.OutputIndex == nil || open[*data.OutputIndex] {
				return fmt.Errorf("item %v added twice or without output_index", data.OutputIndex)
			}
			open[*data.OutputIndex] = true
		case name == rs.EventOutputItemDone:
			if data.OutputIndex == nil || !open[*data.OutputIndex] {
				return fmt.Errorf("done for item %v that is not open", data.OutputIndex)
			}
			delete(open, *data.OutputIndex)
		case data.OutputIndex != nil && !open[*data.OutputIndex]:
			return fmt.Errorf("%s for item %d that is not open", name, *data.OutputIndex)
		case name == rs.EventCompleted || name == rs.EventIncomplete:
			if len(open) > 0 {
				return fmt.Errorf("%s with open items %v", name, open)
			}
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return fmt.Errorf("no events")
	}
	if names[0] != rs.EventCreated && (names[0] != rs.EventError || len(names) != 1) {
		return fmt.Errorf("first event is %s", names[0])
	}
	switch last := names[len(names)-1]; last {
	case rs.EventCompleted, rs.EventIncomplete, rs.EventFailed, rs.EventError:
	default:
		return fmt.Errorf("last event is %s", last)
	}
	return nil
}
