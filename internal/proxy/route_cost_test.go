package proxy

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// mockUsage makes the mock upstream report 1000 input and 500 output
// tokens: 0.02 USD on a (10 and 20 per million), 0.002 on b (1 and 2).
var mockUsage = map[string]string{"x-mock-usage": `{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}`}

type costed struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	Usage    *struct {
		Cost *float64 `json:"cost"`
	} `json:"usage"`
}

func (v costed) cost() float64 {
	if v.Usage == nil || v.Usage.Cost == nil {
		return -1
	}
	return *v.Usage.Cost
}

// Every answer says what it cost and which provider served: usage.cost and
// provider in the body, X-Tollgate-Cost as a header (a trailer on a
// stream), as charged.
func TestCostInEveryAnswer(t *testing.T) {
	t.Run("a whole chat answer", func(t *testing.T) {
		tr := newTrio(t, nil)
		for _, c := range []struct {
			extra, provider string
			cost            float64
		}{{"", "a", 0.02}, {`,"provider":{"only":["b"]}`, "b", 0.002}} {
			body := chatBody(false, c.extra)
			resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, mockUsage)
			var v costed
			out := okJSON(t, resp, &v)
			if v.cost() != c.cost || v.Provider != c.provider || resp.Header.Get(HeaderCost) != formatCost(c.cost) {
				t.Errorf("%q: cost %v provider %q header %q: %s", c.extra, v.cost(), v.Provider, resp.Header.Get(HeaderCost), out)
			}
		}
	})
	t.Run("usage include true ends a stream with its cost, and the trailer says it", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, chatBody(true, `,"usage":{"include":true}`), mockUsage)
		defer resp.Body.Close()
		var last costed
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			d, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok || d == "[DONE]" {
				continue
			}
			var v costed
			if err := json.Unmarshal([]byte(d), &v); err != nil {
				t.Fatalf("%v: %s", err, d)
			}
			if v.Usage != nil {
				last = v
			}
		}
		if last.cost() != 0.02 || last.Provider != "a" {
			t.Errorf("last usage chunk: cost %v provider %q", last.cost(), last.Provider)
		}
		if got := resp.Trailer.Get(HeaderCost); got != "0.02" {
			t.Errorf("trailer %q", got)
		}
		if up, _ := tr.ua.Last(); strings.Contains(string(up.Body), `"usage":{"include"`) {
			t.Errorf("usage went upstream: %s", up.Body)
		}
	})
	t.Run("a stream without usage asked gets no usage chunk, and the trailer", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, chatBody(true, ""), mockUsage)
		out := readAll(t, resp)
		if strings.Contains(out, `"usage"`) || resp.Trailer.Get(HeaderCost) != "0.02" {
			t.Errorf("trailer %q: %s", resp.Trailer.Get(HeaderCost), out)
		}
	})
	for path, body := range map[string]string{
		messagesPath:  `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
		responsesPath: `{"model":"m","input":"hi"}`,
	} {
		t.Run(path, func(t *testing.T) {
			tr := newTrio(t, nil)
			resp := tr.g.do(t, http.MethodPost, path, tr.key, body, map[string]string{"anthropic-version": "2023-06-01",
				"x-mock-usage": mockUsage["x-mock-usage"]})
			var v costed
			out := okJSON(t, resp, &v)
			if v.cost() <= 0 || v.Provider != "a" || resp.Header.Get(HeaderCost) != formatCost(v.cost()) || v.Model != "m" {
				t.Errorf("cost %v provider %q model %q header %q: %s", v.cost(), v.Provider, v.Model, resp.Header.Get(HeaderCost), out)
			}
		})
	}
}

// A Messages or Responses stream carries the cost, as charged, in the
// usage of its final usage-bearing event (message_delta's usage,
// response.completed's response.usage), and the trailer says the same.
func TestCostInMessagesAndResponsesStreams(t *testing.T) {
	for path, c := range map[string]struct{ body, event, outer string }{
		messagesPath:  {`{"model":"m","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "message_delta", ""},
		responsesPath: {`{"model":"m","stream":true,"input":"hi"}`, "response.completed", "response"},
	} {
		t.Run(path, func(t *testing.T) {
			tr := newTrio(t, nil)
			resp := tr.g.do(t, http.MethodPost, path, tr.key, c.body, map[string]string{"anthropic-version": "2023-06-01",
				"x-mock-usage": mockUsage["x-mock-usage"]})
			defer resp.Body.Close()
			var name string
			costs := map[string]float64{}
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
					name = ev
					continue
				}
				d, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var v map[string]json.RawMessage
				if err := json.Unmarshal([]byte(d), &v); err != nil {
					t.Fatalf("%v: %s", err, d)
				}
				if c.outer != "" {
					if err := json.Unmarshal(v[c.outer], &v); err != nil {
						continue
					}
				}
				var u costed
				if err := json.Unmarshal([]byte(`{"usage":`+string(v["usage"])+`}`), &u); err == nil && u.cost() >= 0 {
					costs[name] = u.cost()
				}
			}
			// The mock reports mockUsage on chat completions (0.02 on a);
			// a Responses upstream its own count.
			trailer, err := strconv.ParseFloat(resp.Trailer.Get(HeaderCost), 64)
			if resp.StatusCode != 200 || err != nil || trailer <= 0 || (path == messagesPath && trailer != 0.02) {
				t.Fatalf("status %d trailer %q", resp.StatusCode, resp.Trailer.Get(HeaderCost))
			}
			if len(costs) != 1 || costs[c.event] != trailer {
				t.Errorf("costs by event %v, want %s: %v", costs, c.event, trailer)
			}
		})
	}
}

func TestFormatCost(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 0.02: "0.02", 0.1 + 0.2: "0.3", 1.5e-7: "0.00000015", 12: "12"} {
		if got := formatCost(in); got != want {
			t.Errorf("%v: %q, want %q", in, got, want)
		}
	}
}
