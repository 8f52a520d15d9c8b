package proxy

import (
	"bytes"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// usageMeta is what the gateway adds to the usage object of a stream's
// final usage-bearing event: the cost (a JSON number) and whether the
// consumer's own key served.
type usageMeta struct {
	cost []byte
	byok bool
}

// costEvent says where the usage object of a client API's final
// usage-bearing stream event is: Messages' message_delta carries it at
// its top level (outer ""), Responses' response.completed and
// response.incomplete in their response object.
func costEvent(api providers.API, event string) (string, bool) {
	switch {
	case api == providers.APIMessages && event == "message_delta":
		return "", true
	case api == providers.APIResponses && (event == rs.EventCompleted || event == rs.EventIncomplete):
		return "response", true
	}
	return "", false
}

// withUsageMeta returns an event's data with m in its usage object (see
// costEvent); data it cannot edit is returned as is.
func withUsageMeta(data []byte, outer string, m usageMeta) []byte {
	set := func(b []byte, name string, value []byte) ([]byte, error) {
		if outer == "" {
			return openai.SetNested(b, "usage", name, value)
		}
		return openai.SetPath(b, outer, "usage", name, value)
	}
	out, err := set(data, "cost", m.cost)
	if err != nil {
		return data
	}
	if m.byok {
		if out, err = set(out, "is_byok", []byte("true")); err != nil {
			return data
		}
	}
	return out
}

// chunkMeta reads the cost and byok flag the gateway put in a canonical
// chunk's usage (withAnswerMeta); ok is false when it carries none.
func chunkMeta(data []byte) (usageMeta, bool) {
	if !bytes.Contains(data, []byte(`"cost":`)) {
		return usageMeta{}, false
	}
	u, err := openai.Member(data, "usage")
	if err != nil || len(u) == 0 || u[0] != '{' {
		return usageMeta{}, false
	}
	cost, err := openai.Member(u, "cost")
	if err != nil || len(cost) == 0 {
		return usageMeta{}, false
	}
	byok, _ := openai.Member(u, "is_byok")
	return usageMeta{cost: cost, byok: string(byok) == "true"}, true
}

// sseWithUsageMeta puts m in the usage of the named events among the SSE
// events of out ("event: name\ndata: {...}\n\n", one data line each, as
// the translating codecs write them).
func sseWithUsageMeta(out []byte, api providers.API, m usageMeta) []byte {
	var res []byte
	rest := out
	for len(rest) > 0 {
		end := bytes.Index(rest, sseEnd)
		if end < 0 {
			end = len(rest)
		} else {
			end += len(sseEnd)
		}
		ev := rest[:end]
		rest = rest[end:]
		name, data, ok := splitSSE(ev)
		if outer, want := costEvent(api, name); ok && want {
			ev = sseEvent(name, withUsageMeta(data, outer, m))
		}
		res = append(res, ev...)
	}
	return res
}

// splitSSE reads one event of a single data line.
func splitSSE(ev []byte) (string, []byte, bool) {
	head, body, ok := bytes.Cut(ev, []byte("\n"))
	name, isEvent := bytes.CutPrefix(head, []byte("event: "))
	if !ok || !isEvent {
		return "", nil, false
	}
	data, isData := bytes.CutPrefix(bytes.TrimRight(body, "\n"), sseData)
	if !isData || bytes.IndexByte(data, '\n') >= 0 {
		return "", nil, false
	}
	return string(name), data, true
}
