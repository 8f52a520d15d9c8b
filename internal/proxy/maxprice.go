package proxy

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// maxPrice is OpenRouter's provider.max_price as Tollgate honours it: an
// upper bound on a backend's price in USD per million prompt and
// completion tokens. A backend with no known price is not known to be
// within it, so it is left out.
type maxPrice struct {
	Prompt     *float64 `json:"prompt"`
	Completion *float64 `json:"completion"`
}

// parseMaxPrice decodes max_price, refusing members Tollgate cannot
// judge (its prices have no per-request or per-image part) and bounds
// that are not finite and non-negative.
func parseMaxPrice(raw json.RawMessage) (*maxPrice, *apiError) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var m maxPrice
	if err := dec.Decode(&m); err != nil {
		return nil, badRequest("provider.max_price takes \"prompt\" and \"completion\", numbers in USD per million tokens: "+
			truncate(err.Error(), 200)+".", "provider.max_price")
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{"prompt", m.Prompt}, {"completion", m.Completion}} {
		if name, v := b.name, b.v; v != nil && (*v < 0 || math.IsNaN(*v) || math.IsInf(*v, 0)) {
			return nil, badRequest("provider.max_price."+name+" must be a non-negative number of USD per million tokens.", "provider.max_price."+name)
		}
	}
	if m.Prompt == nil && m.Completion == nil {
		return nil, nil
	}
	return &m, nil
}

// admits reports whether a backend priced p is within the bound (always,
// for no bound).
func (m *maxPrice) admits(p config.Pricing) bool {
	if m == nil {
		return true
	}
	if p == (config.Pricing{}) {
		return false
	}
	return (m.Prompt == nil || p.InputPerMillion <= *m.Prompt) && (m.Completion == nil || p.OutputPerMillion <= *m.Completion)
}

// String spells the bound for an error message.
func (m *maxPrice) String() string {
	var parts []string
	if m.Prompt != nil {
		parts = append(parts, "prompt $"+strconv.FormatFloat(*m.Prompt, 'f', -1, 64))
	}
	if m.Completion != nil {
		parts = append(parts, "completion $"+strconv.FormatFloat(*m.Completion, 'f', -1, 64))
	}
	return strings.Join(parts, ", ") + " per million tokens"
}
