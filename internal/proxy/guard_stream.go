package proxy

import (
	"encoding/json"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/guardrail"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// streamGuard guards a canonical chat stream: each choice's content and
// each tool call's arguments is one piecewise text, whose request
// placeholders are restored (guardrail.Stream) and which the answer rules
// then check (guardrail.Scan). Each holds back at its end at most what
// could still be completed by what follows (a placeholder's length, the
// answer rules' longest match) and sends it whole at the choice's
// finish_reason (or before the stream ends). A chunk that changes is
// rewritten in its own bytes (jsonEdits).
type streamGuard struct {
	r     *guardrail.Restorer
	red   *guardrail.Masker // the answer rules' redactor; nil without them
	texts map[string]*guardText
	order []string
	last  map[string]any // the last chunk rewritten: a template for flush
}

// guardText is one piecewise text of a stream.
type guardText struct {
	restore *guardrail.Stream
	scan    *guardrail.Scan
	held    bool
}

func (t *guardText) push(piece string) (string, bool) {
	if t.restore != nil {
		piece = t.restore.Push(piece)
	}
	if t.scan == nil {
		t.held = t.restore.Held()
		return piece, false
	}
	out, blocked := t.scan.Push(piece)
	t.held = t.scan.Held() || (t.restore != nil && t.restore.Held())
	return out, blocked
}

func (t *guardText) flush() (string, bool) {
	piece := ""
	if t.restore != nil {
		piece = t.restore.Flush()
	}
	t.held = false
	if t.scan == nil {
		return piece, false
	}
	out, blocked := t.scan.Push(piece)
	if blocked {
		return out, true
	}
	rest, blocked := t.scan.Flush()
	return out + rest, blocked
}

func newStreamGuard(g *callGuard) *streamGuard {
	if g == nil || (g.restorer == nil && g.answers == nil) {
		return nil
	}
	sg := &streamGuard{r: g.restorer, texts: map[string]*guardText{}}
	if g.answers != nil {
		sg.red = guardrail.NewRedactor(g.answers)
		g.streamRed = sg.red
	}
	return sg
}

func (sg *streamGuard) text(key string, esc func(string) string) *guardText {
	t := sg.texts[key]
	if t == nil {
		t = &guardText{}
		if sg.r != nil {
			t.restore = sg.r.Stream(esc)
		}
		if sg.red != nil {
			t.scan = sg.red.Scan()
		}
		sg.texts[key] = t
		sg.order = append(sg.order, key)
	}
	return t
}

// chunk returns the chunk to send for data (data itself when nothing
// changes), or the error that ends the stream when an answer rule blocks.
func (sg *streamGuard) chunk(data []byte) ([]byte, *providers.Error) {
	if sg == nil {
		return data, nil
	}
	v, err := decodeJSON(data)
	obj, _ := v.(map[string]any)
	if err != nil || obj == nil {
		return data, nil //nolint:nilerr // not a JSON object: the codec after this says so
	}
	choices, _ := obj["choices"].([]any)
	var ed jsonEdits
	changed, blocked := false, false
	push := func(t *guardText, piece string, finished bool) string {
		out, b := t.push(piece)
		if !b && finished {
			var rest string
			rest, b = t.flush()
			out += rest
		}
		blocked = blocked || b
		return out
	}
	for i, cv := range choices {
		ch, _ := cv.(map[string]any)
		if ch == nil {
			continue
		}
		idx := jsonIndex(ch["index"])
		delta, _ := ch["delta"].(map[string]any)
		hasDelta := delta != nil
		finished := ch["finish_reason"] != nil
		if delta == nil {
			if !finished {
				continue
			}
			delta = map[string]any{}
		}
		ckey := "c" + idx
		if s, ok := delta["content"].(string); ok || (finished && sg.texts[ckey] != nil) {
			out := push(sg.text(ckey, nil), s, finished)
			if out != s {
				changed = true
				delta["content"] = out
				switch {
				case ok:
					ed.setString(jsonPath("choices", i, "delta", "content"), out)
				case hasDelta:
					ed.addMember(jsonPath("choices", i, "delta"), "content", out)
				default:
					ed.addMember(jsonPath("choices", i), "delta", map[string]any{"content": out})
				}
			}
		}
		calls, _ := delta["tool_calls"].([]any)
		hadCalls := calls != nil
		seen := map[string]bool{}
		for j, tv := range calls {
			tc, _ := tv.(map[string]any)
			fn := toolFunction(tv)
			if tc == nil || fn == nil {
				continue
			}
			tkey := "t" + idx + ":" + jsonIndex(tc["index"])
			seen[tkey] = true
			a, ok := fn["arguments"].(string)
			out := push(sg.text(tkey, jsonInString), a, finished)
			if out != a {
				changed = true
				fn["arguments"] = out
				if ok {
					ed.setString(jsonPath("choices", i, "delta", "tool_calls", j, "function", "arguments"), out)
				} else {
					ed.addMember(jsonPath("choices", i, "delta", "tool_calls", j, "function"), "arguments", out)
				}
			}
		}
		if finished {
			for _, k := range sg.order {
				t := sg.texts[k]
				if seen[k] || k[0] != 't' || !t.held || !sameChoice(k, idx) {
					continue
				}
				out, b := t.flush()
				blocked = blocked || b
				tc := map[string]any{"index": json.Number(k[len(idx)+2:]), "function": map[string]any{"arguments": out}}
				calls = append(calls, tc)
				changed = true
				switch {
				case hadCalls:
					ed.addElement(jsonPath("choices", i, "delta", "tool_calls"), tc)
				case hasDelta:
					ed.addMember(jsonPath("choices", i, "delta"), "tool_calls", []any{tc})
					hadCalls = true
				default:
					ed.addMember(jsonPath("choices", i), "delta", map[string]any{"tool_calls": []any{tc}})
					hasDelta, hadCalls = true, true
				}
			}
			if len(calls) > 0 {
				delta["tool_calls"] = calls
			}
		}
		if changed {
			ch["delta"] = delta
		}
	}
	if blocked {
		grp, label := sg.red.BlockedBy()
		return nil, answerBlocked(grp, label)
	}
	if !changed {
		return data, nil
	}
	sg.last = obj
	return ed.rewrite(data, obj), nil
}

func sameChoice(key, idx string) bool {
	return len(key) > len(idx)+1 && key[1:len(idx)+1] == idx && key[len(idx)+1] == ':'
}

// flush returns a chunk carrying the texts still held, or nil; or the
// error that ends the stream when an answer rule blocks.
func (sg *streamGuard) flush() ([]byte, *providers.Error) {
	if sg == nil || sg.last == nil && !sg.anyHeld() {
		return nil, nil
	}
	var choices []any
	byChoice := map[string]map[string]any{}
	for _, k := range sg.order {
		t := sg.texts[k]
		if !t.held {
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
		out, blocked := t.flush()
		if blocked {
			grp, label := sg.red.BlockedBy()
			return nil, answerBlocked(grp, label)
		}
		d := byChoice[idx]
		if d == nil {
			d = map[string]any{}
			byChoice[idx] = d
			choices = append(choices, map[string]any{"index": json.Number(idx), "delta": d, "finish_reason": nil})
		}
		if k[0] == 'c' {
			d["content"] = out
			continue
		}
		calls, _ := d["tool_calls"].([]any)
		d["tool_calls"] = append(calls, map[string]any{"index": json.Number(k[len(idx)+2:]),
			"function": map[string]any{"arguments": out}})
	}
	if len(choices) == 0 {
		return nil, nil
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
		return nil, nil //nolint:nilerr // plain values re-encode; nothing is held otherwise
	}
	return b, nil
}

func (sg *streamGuard) anyHeld() bool {
	for _, t := range sg.texts {
		if t.held {
			return true
		}
	}
	return false
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
