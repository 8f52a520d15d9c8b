package config

// AvailabilityReport is the body of GET /availability?seconds=N on a
// gateway's metrics listener: each provider's upstream attempts over the
// last N seconds of this replica's rolling windows (all its backends on
// that provider summed). The proxy writes it; the operator sums it over
// the replicas and gateways that use a ModelProvider into the provider's
// Available condition.
type AvailabilityReport struct {
	// Gateway is namespace/name of the AIGateway.
	Gateway string `json:"gateway"`
	// WindowSeconds is the span the figures cover.
	WindowSeconds float64                `json:"windowSeconds"`
	Providers     []ProviderAvailability `json:"providers"`
}

// ProviderAvailability is one provider's attempts in the report's span.
type ProviderAvailability struct {
	// Name is the provider's name in the config (the ModelProvider's).
	Name string `json:"name"`
	// Attempts counts the attempts that succeeded or failed for the
	// provider's sake (a refusal of the request itself is not counted);
	// Succeeded those that succeeded.
	Attempts  uint64 `json:"attempts"`
	Succeeded uint64 `json:"succeeded"`
	// Errors counts failed attempts by class (refusals included).
	Errors map[string]uint64 `json:"errors,omitempty"`
}

// Bounds of GET /availability's seconds parameter.
const (
	AvailabilitySpanDefault = 300
	AvailabilitySpanMax     = 1800
)
