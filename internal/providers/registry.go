package providers

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// The registry holds what each vendor package knows about its vendor. A
// vendor package registers itself from an init function:
//
//	func init() {
//		providers.Register(providers.Vendor{Type: config.ProviderAnthropic, New: New,
//			DefaultEndpoint: DefaultEndpoint, ListModels: ListModels})
//	}
//
// and internal/providers/vendors links every vendor package in with a blank
// import. The rest of the code base asks the registry instead of switching
// on the type: the proxy builds adapters (New), compile fills in default
// endpoints (DefaultEndpoint) and the operator's discovery lists models
// (ListModels). Which config fields are secret is the contract's to say
// (config.Provider.Secrets), since it defines them.
var (
	mu      sync.RWMutex
	vendors = map[config.ProviderType]Vendor{}
)

// Vendor is what one vendor package registers for one provider type.
type Vendor struct {
	// Type is the provider type, a value of the API's ProviderType enum.
	Type config.ProviderType
	// New builds the adapter of one configured provider.
	New Factory
	// DefaultEndpoint is the API base used when a provider names none;
	// empty when every account has its own (Azure, OpenAI-compatible) or
	// the adapter derives it (Bedrock, from the region).
	DefaultEndpoint string
	// ListModels lists the vendor's model names for discovery; nil when the
	// vendor has no listing to discover from.
	ListModels ListModels
}

// ListModels lists the model names a vendor serves to the provider p
// (p.Endpoint is already defaulted, p.APIKey may be empty for servers
// without credentials). It reads through get and bounds pagination itself.
type ListModels func(ctx context.Context, get Getter, p *config.Provider) ([]string, error)

// Getter GETs url with the headers h (and the provider's own extra
// headers) and decodes a 200 JSON answer into v; any other answer is an
// error naming the status, never the credential.
type Getter func(ctx context.Context, url string, h http.Header, v any) error

// MaxListPages bounds the pages a ListModels reads from a paginated
// listing.
const MaxListPages = 10

// Register makes v the vendor of v.Type, replacing any earlier one.
func Register(v Vendor) {
	mu.Lock()
	defer mu.Unlock()
	vendors[v.Type] = v
}

// Lookup returns the vendor registered for t.
func Lookup(t config.ProviderType) (Vendor, bool) {
	mu.RLock()
	defer mu.RUnlock()
	v, ok := vendors[t]
	return v, ok
}

// DefaultEndpoint is the registered default endpoint of t ("" for none).
func DefaultEndpoint(t config.ProviderType) string {
	v, _ := Lookup(t)
	return v.DefaultEndpoint
}

// New builds the adapter of one configured provider.
func New(p *config.Provider) (Adapter, error) {
	v, ok := Lookup(p.Type)
	if !ok || v.New == nil {
		return nil, fmt.Errorf("provider %q: type %q is not supported by this build", p.Name, p.Type)
	}
	a, err := v.New(p)
	if err != nil {
		return nil, fmt.Errorf("provider %q: %w", p.Name, err)
	}
	return a, nil
}

// Transporter is implemented by adapters that bring their own
// http.RoundTripper instead of the network (the built-in Mock). The proxy
// uses it in place of its dialing transport; no SSRF guard applies because
// nothing is dialed.
type Transporter interface {
	Transport() http.RoundTripper
}
