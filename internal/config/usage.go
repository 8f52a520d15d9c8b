package config

import "time"

// UsageReport is the body of GET /usage on a gateway's metrics listener:
// consumers' totals in their current usage window, one page at a time
// (GET /usage?offset=N&limit=M, at most UsagePageMax consumers, in the
// served config's order). The proxy writes it; the operator reads every
// page into Consumer status.
type UsageReport struct {
	// Total is the number of consumers the gateway serves.
	Total int `json:"total"`
	// Next is the offset of the next page; 0 on the last page.
	Next int `json:"next,omitempty"`
	// Gateway is namespace/name of the AIGateway.
	Gateway string `json:"gateway"`
	// Window is the period of the first consumer's window (all consumers
	// share it unless a budget policy sets a Day or Week window).
	Window    string          `json:"window"`
	Consumers []ConsumerUsage `json:"consumers"`
	// Pools is the spend of each pooled policy with a budget (first page
	// only).
	Pools []PoolUsage `json:"pools,omitempty"`
}

// PoolUsage is a pooled policy's spend in its current budget window, from
// the counter every consumer under it shares.
type PoolUsage struct {
	Policy string `json:"policy"`
	// Window is the period label ("2026-11", "2026-W47", "2026-11-25").
	Window     string  `json:"window"`
	WindowKind string  `json:"windowKind"`
	CostUSD    float64 `json:"costUSD"`
	BudgetUSD  float64 `json:"budgetUSD"`
}

// UsagePageMax is the most consumers one GET /usage answers (and its
// default page size).
const UsagePageMax = 1000

// ConsumerUsage is one consumer's totals in its current usage window.
type ConsumerUsage struct {
	Name string `json:"name"`
	// Window is the period label ("2026-11", "2026-W47", "2026-11-25").
	Window            string                `json:"window"`
	WindowKind        string                `json:"windowKind"`
	Start             time.Time             `json:"start"`
	End               time.Time             `json:"end"`
	Requests          int64                 `json:"requests"`
	InputTokens       int64                 `json:"inputTokens"`
	OutputTokens      int64                 `json:"outputTokens"`
	CachedInputTokens int64                 `json:"cachedInputTokens,omitempty"`
	CostUSD           float64               `json:"costUSD"`
	Models            map[string]ModelUsage `json:"models"`
	// ToolCalls counts the consumer's MCP tools/call requests.
	ToolCalls int64 `json:"toolCalls,omitempty"`
}

// ModelUsage is one model's share of a consumer's usage.
type ModelUsage struct {
	Requests     int64   `json:"requests"`
	InputTokens  int64   `json:"inputTokens"`
	OutputTokens int64   `json:"outputTokens"`
	CostUSD      float64 `json:"costUSD"`
}
