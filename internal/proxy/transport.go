package proxy

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/netguard"
)

// ErrBlockedAddress is returned when a provider endpoint resolves to an
// address the gateway must not reach. The guard itself lives in
// internal/netguard, shared with the operator's model discovery.
var ErrBlockedAddress = netguard.ErrBlocked

// blockedAddr reports whether ip is one the guard refuses.
func blockedAddr(ip netip.Addr) bool { return netguard.Blocked(ip) }

// newTransport is the tuned, shared transport of one provider.
func newTransport(p *config.Provider) *http.Transport {
	connect := p.Timeouts.Connect.Duration
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	if !p.AllowPrivateNetwork {
		d.Control = netguard.Control
	}
	return &http.Transport{
		Proxy:                 nil, // an environment proxy would bypass the dial guard
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: 0,
		DisableCompression:    true, // event streams must not be buffered by a decompressor
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}

// newClient wraps a transport; redirects are never followed (a 3xx is an
// upstream failure, not a new destination).
func newClient(rt http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: rt,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// transportKey identifies the settings a transport depends on, so a reload
// that leaves them alone keeps the warm connections.
func transportKey(p *config.Provider) string {
	return fmt.Sprintf("%s|%s|%t|%s", p.Name, p.Endpoint, p.AllowPrivateNetwork, p.Timeouts.Connect.Duration)
}

// isConnectError reports a failure to reach the upstream at all.
func isConnectError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, ErrBlockedAddress) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
