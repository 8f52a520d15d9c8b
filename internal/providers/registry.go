package providers

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// The registry maps a provider type to the Factory that builds its adapter.
// Each vendor package registers itself from an init function:
//
//	func init() { providers.Register(config.ProviderAnthropic, New) }
//
// and the binary links the vendor in with a blank import (see
// internal/proxy/vendors.go). A map, not a plugin system: adding a vendor is
// one Register call and one import line.
var (
	mu        sync.RWMutex
	factories = map[config.ProviderType]Factory{}
)

// Register makes f the factory of provider type t, replacing any earlier one.
func Register(t config.ProviderType, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	factories[t] = f
}

// Lookup returns the factory of t.
func Lookup(t config.ProviderType) (Factory, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := factories[t]
	return f, ok
}

// New builds the adapter of one configured provider.
func New(p *config.Provider) (Adapter, error) {
	f, ok := Lookup(p.Type)
	if !ok {
		return nil, fmt.Errorf("provider %q: type %q is not supported by this build", p.Name, p.Type)
	}
	a, err := f(p)
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
