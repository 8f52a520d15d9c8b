package vendorkit

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// ChatAnswer encodes a vendor's answer, translated to out, as the chat
// completion the adapter returns, with the usage u (nil when the vendor
// reported none) as its usage object; it returns the usage too. vendor
// prefixes the encoding error.
func ChatAnswer(vendor string, out *oa.ChatResponse, u *providers.Usage) ([]byte, providers.Usage, error) {
	var usage providers.Usage
	if u != nil {
		usage = *u
		out.Usage = OpenAIUsage(usage)
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("%s: encoding chat completion: %w", vendor, err)
	}
	return enc, usage, nil
}
