package messages

import (
	"encoding/json"
	"fmt"
	"sort"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// members are the top-level Messages request members the translation
// carries (or, like cache hints and service tier, may leave out without
// changing the answer's meaning).
var members = map[string]bool{
	"model": true, "max_tokens": true, "messages": true, "system": true, "metadata": true,
	"stop_sequences": true, "stream": true, "temperature": true, "top_p": true, "top_k": true,
	"tools": true, "tool_choice": true, "thinking": true, "context_management": true,
	"output_config": true, "output_format": true, "service_tier": true,
}

// checkMembers refuses a request with a member the translation does not
// carry (container, mcp_servers and anything newer), naming it.
func checkMembers(body []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return invalid("request body is not a valid Messages request: %v", err)
	}
	var unknown []string
	for k := range top {
		if !members[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return invalid("%s: not supported by this gateway's Messages translation (an Anthropic backend is needed)", unknown[0])
}

// setOutput maps thinking and output_config onto the chat request:
// effort (output_config.effort, or a thinking budget) becomes
// reasoning_effort, the vendor-neutral reasoning setting; a structured
// output format becomes response_format.
func setOutput(out *oa.ChatRequest, in *ant.MessagesRequest) error {
	effort, err := reasoningEffort(in)
	if err != nil {
		return err
	}
	out.ReasoningEffort = effort
	format, field := in.OutputFormat, "output_format"
	if in.OutputConfig != nil && in.OutputConfig.Format != nil {
		if format != nil {
			return invalid("output_config.format: give either output_config.format or output_format")
		}
		format, field = in.OutputConfig.Format, "output_config.format"
	}
	if format == nil {
		return nil
	}
	if format.Type != "json_schema" || len(format.Schema) == 0 {
		return invalid("%s: only {\"type\":\"json_schema\",\"schema\":{...}} is supported", field)
	}
	out.ResponseFormat = &oa.ResponseFormat{Type: "json_schema",
		JSONSchema: &oa.JSONSchema{Name: "output", Schema: format.Schema, Strict: oa.Ptr(true)}}
	return nil
}

// reasoningEffort is the reasoning_effort for a request: output_config's
// effort (max is served as high, the highest chat value), else one derived
// from an enabled thinking budget; adaptive thinking leaves it to the
// model. Disabled thinking sends none.
func reasoningEffort(in *ant.MessagesRequest) (string, error) {
	t := in.Thinking
	if t != nil {
		switch t.Type {
		case ant.ThinkingEnabled:
			if t.BudgetTokens < 1024 {
				return "", invalid("thinking.budget_tokens: must be at least 1024")
			}
		case ant.ThinkingAdaptive:
		case ant.ThinkingDisabled:
			return "", nil
		default:
			return "", invalid("thinking.type: unknown value %q", t.Type)
		}
	}
	if in.OutputConfig != nil && in.OutputConfig.Effort != "" {
		switch e := in.OutputConfig.Effort; e {
		case "low", "medium", "high":
			return e, nil
		case "max":
			return "high", nil
		default:
			return "", invalid("output_config.effort: unknown value %q", e)
		}
	}
	if t == nil || t.Type != ant.ThinkingEnabled {
		return "", nil
	}
	switch {
	case t.BudgetTokens < 4096:
		return "low", nil
	case t.BudgetTokens < 16384:
		return "medium", nil
	default:
		return "high", nil
	}
}

// clearThinking applies context_management's clear_thinking edit the way
// Anthropic does: the reasoning of all but the last N assistant turns with
// reasoning is dropped (keep "all" keeps everything; the default is one
// turn). Other edits need Anthropic's server-side context tracking.
func clearThinking(msgs []oa.Message, cm *ant.ContextManagement) error {
	if cm == nil {
		return nil
	}
	for i, e := range cm.Edits {
		if e.Type != ant.EditClearThinking {
			return invalid("context_management.edits.%d.type: %q needs an Anthropic backend", i, e.Type)
		}
		keep, err := thinkingTurns(e.Keep)
		if err != nil {
			return invalid("context_management.edits.%d.keep: %v", i, err)
		}
		if keep < 0 {
			continue
		}
		for j := len(msgs) - 1; j >= 0; j-- {
			if msgs[j].Role != oa.RoleAssistant || msgs[j].ReasoningContent == "" {
				continue
			}
			if keep > 0 {
				keep--
				continue
			}
			msgs[j].ReasoningContent = ""
		}
	}
	return nil
}

// thinkingTurns reads keep: -1 for "all", else the number of turns.
func thinkingTurns(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 1, nil
	}
	var all string
	if json.Unmarshal(raw, &all) == nil {
		if all == "all" {
			return -1, nil
		}
		return 0, fmt.Errorf("unknown value %q", all)
	}
	var k struct {
		Type  string `json:"type"`
		Value int64  `json:"value"`
	}
	if err := json.Unmarshal(raw, &k); err != nil || k.Type != "thinking_turns" || k.Value < 0 {
		return 0, fmt.Errorf(`must be "all" or {"type":"thinking_turns","value":N}`)
	}
	return k.Value, nil
}
