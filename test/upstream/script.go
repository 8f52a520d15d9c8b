package upstream

import "encoding/json"

// Script makes the mock play one agent turn the way a model would: while
// the conversation holds no tool result, the answer calls Tool with Input
// (when the request declares Tool); once it holds one, the answer is Text.
// A coding agent driven by it runs the tool for real (Claude Code's Write
// or Bash, Codex's shell), sends the result back, and ends its turn; the
// test checks the effect on disk and, in Requests, the second request
// carrying the tool result. The default answers (echo, or a call of the
// first declared tool with {"city":"Paris"}) apply while no script is set.
type Script struct {
	Tool  string
	Input json.RawMessage
	Text  string
	// Reply, when set, answers OpenAI chat requests from the body received:
	// text is sent as one content delta per piece (joined when not
	// streamed), and args, when not nil, as a tool call "lookup" whose
	// arguments are sent one piece per delta. A test plays a model that
	// repeats what it was sent — altered, split where it likes.
	Reply func(body []byte) (text, args []string)
}

// reply is the script's Reply (nil when none).
func (s *Server) reply() func([]byte) ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.script == nil {
		return nil
	}
	return s.script.Reply
}

// SetScript sets the script every vendor endpoint plays (nil: none).
func (s *Server) SetScript(sc *Script) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = sc
}

// scriptedCall is the scripted tool call to answer with.
type scriptedCall struct {
	Name  string
	Input string // JSON object
}

// scripted is the scripted answer for a request declaring tools whose
// conversation holds (hasResult) a tool result: a call, or text. ok is
// false when no script is set.
func (s *Server) scripted(tools []string, hasResult bool) (call *scriptedCall, text string, ok bool) {
	s.mu.Lock()
	sc := s.script
	s.mu.Unlock()
	if sc == nil {
		return nil, "", false
	}
	if !hasResult {
		for _, t := range tools {
			if t == sc.Tool {
				return &scriptedCall{Name: sc.Tool, Input: string(sc.Input)}, "", true
			}
		}
	}
	return nil, sc.Text, true
}

// toolCall is a tool call the mock answers with.
type toolCall struct {
	ID    string
	Name  string
	Input string // JSON object
}

// defaultCall is the call answered without a script: the first declared
// tool, with {"city": "Paris"}.
func defaultCall(id, name string) *toolCall {
	return &toolCall{ID: id, Name: name, Input: `{"city": "Paris"}`}
}

// play is the answer to a request: call (nil for text) and the words of
// the text. Without a script, call is def (nil when no tool is declared or
// the last turn holds a tool result) and the words echo echo; a scripted
// call has the id call_script1 (vendors with their own id prefix rewrite
// it, e.g. toolu_script1).
func (s *Server) play(f *faults, tools []string, hasResult bool, def *toolCall, echo string) (*toolCall, []string) {
	sc, text, ok := s.scripted(tools, hasResult)
	if !ok {
		return def, words(echo, f.chunks)
	}
	if sc == nil {
		return nil, words(text, f.chunks)
	}
	return &toolCall{ID: "call_script1", Name: sc.Name, Input: sc.Input}, words("", f.chunks)
}

// scriptResponse applies the script to a Responses API answer: the tool
// names are those of function tools, and a function_call_output item in
// the input is a tool result.
func (s *Server) scriptResponse(a *respAnswer, f *faults, items []inputItem) {
	var tools []string
	for _, t := range a.req.Tools {
		if t.Type == "function" {
			tools = append(tools, t.Name)
		}
	}
	hasResult := false
	for _, it := range items {
		hasResult = hasResult || it.Type == "function_call_output"
	}
	sc, text, ok := s.scripted(tools, hasResult)
	switch {
	case !ok:
	case sc != nil:
		a.call, a.words = &respCall{id: "fc_" + a.id, callID: "call_script1", name: sc.Name, args: sc.Input}, nil
	default:
		a.call, a.words = nil, words(text, f.chunks)
	}
}
