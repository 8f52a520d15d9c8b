package proxy

import (
	"encoding/json"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/guardrail"
)

// streamGuard restores placeholders in a canonical chat stream: each
// choice's content and each tool call's arguments is one piecewise text
// (guardrail.Stream), held back at its end at most a placeholder's
// length while that could be the start of one, and sent whole at the
// choice's finish_reason (or before the stream ends).
type streamGuard struct {
	r     *guardrail.Restorer
	texts map[string]*guardrail.Stream
	order []string
	last  map[string]any // the last chunk rewritten: a template for flush
}

func newStreamGuard(g *callGuard) *streamGuard {
	if g == nil || g.restorer == nil {
		return nil
	}
	return &streamGuard{r: g.restorer, texts: map[string]*guardrail.Stream{}}
}

func (sg *streamGuard) text(key string, esc func(string) string) *guardrail.Stream {
	st := sg.texts[key]
	if st == nil {
		st = sg.r.Stream(esc)
		sg.texts[key] = st
		sg.order = append(sg.order, key)
	}
	return st
}

// chunk returns the chunk to send for data (data itself when nothing
// changes).
func (sg *streamGuard) chunk(data []byte) []byte {
	if sg == nil {
		return data
	}
	v, err := decodeJSON(data)
	obj, _ := v.(map[string]any)
	if err != nil || obj == nil {
		return data
	}
	choices, _ := obj["choices"].([]any)
	changed := false
	for _, cv := range choices {
		ch, _ := cv.(map[string]any)
		if ch == nil {
			continue
		}
		idx := jsonIndex(ch["index"])
		delta, _ := ch["delta"].(map[string]any)
		finished := ch["finish_reason"] != nil
		if delta == nil {
			if !finished {
				continue
			}
			delta = map[string]any{}
		}
		ckey := "c" + idx
		if s, ok := delta["content"].(string); ok || (finished && sg.texts[ckey] != nil) {
			st := sg.text(ckey, nil)
			out := st.Push(s)
			if finished {
				out += st.Flush()
			}
			if out != s || !ok {
				changed = true
				if out == "" {
					delete(delta, "content")
				} else {
					delta["content"] = out
				}
			}
		}
		calls, _ := delta["tool_calls"].([]any)
		seen := map[string]bool{}
		for _, tv := range calls {
			tc, _ := tv.(map[string]any)
			fn := toolFunction(tv)
			if tc == nil || fn == nil {
				continue
			}
			tkey := "t" + idx + ":" + jsonIndex(tc["index"])
			seen[tkey] = true
			a, _ := fn["arguments"].(string)
			st := sg.text(tkey, jsonInString)
			out := st.Push(a)
			if finished {
				out += st.Flush()
			}
			if out != a {
				changed = true
				fn["arguments"] = out
			}
		}
		if finished {
			for _, k := range sg.order {
				st := sg.texts[k]
				if seen[k] || k[0] != 't' || !st.Held() || !sameChoice(k, idx) {
					continue
				}
				calls = append(calls, map[string]any{"index": json.Number(k[len(idx)+2:]),
					"function": map[string]any{"arguments": st.Flush()}})
				changed = true
			}
			if len(calls) > 0 {
				delta["tool_calls"] = calls
			}
		}
		if changed {
			ch["delta"] = delta
		}
	}
	if !changed {
		return data
	}
	sg.last = obj
	b, err := encodeJSON(obj)
	if err != nil {
		return data
	}
	return b
}

func sameChoice(key, idx string) bool {
	return len(key) > len(idx)+1 && key[1:len(idx)+1] == idx && key[len(idx)+1] == ':'
}

// flush returns a chunk carrying the texts still held, or nil.
func (sg *streamGuard) flush() []byte {
	if sg == nil || sg.last == nil {
		return nil
	}
	var choices []any
	byChoice := map[string]map[string]any{}
	for _, k := range sg.order {
		st := sg.texts[k]
		if !st.Held() {
			continue
		}
		var idx string
		if k[0] == 'c' {
			idx = k[1:]
		} else {
			for i := 1; i < len(k); i++ {
				if k[i] == ':' {
					idx = k[1:i]
					break
				}
			}
		}
		d := byChoice[idx]
		if d == nil {
			d = map[string]any{}
			byChoice[idx] = d
			choices = append(choices, map[string]any{"index": json.Number(idx), "delta": d, "finish_reason": nil})
		}
		if k[0] == 'c' {
			d["content"] = st.Flush()
			continue
		}
		calls, _ := d["tool_calls"].([]any)
		d["tool_calls"] = append(calls, map[string]any{"index": json.Number(k[len(idx)+2:]),
			"function": map[string]any{"arguments": st.Flush()}})
	}
	if len(choices) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, f := range []string{"id", "object", "created", "model"} {
		if v, ok := sg.last[f]; ok {
			out[f] = v
		}
	}
	out["choices"] = choices
	b, err := encodeJSON(out)
	if err != nil {
		return nil
	}
	return b
}

// jsonIndex spells a JSON index (0 when absent or not a number).
func jsonIndex(v any) string {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.Atoi(string(n)); err == nil && i >= 0 {
			return strconv.Itoa(i)
		}
	}
	return "0"
}
