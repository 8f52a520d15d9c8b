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
)

// ErrBlockedAddress is returned when a provider endpoint resolves to an
// address the gateway must not reach (the SSRF guard).
var ErrBlockedAddress = errors.New("upstream address is in a private, loopback, link-local or reserved range")

var blockedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// blockedAddr reports whether ip is one the guard refuses.
func blockedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}
	for _, p := range blockedPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guardControl runs after name resolution, on the address actually dialed,
// so DNS answers (or rebinding) cannot steer the gateway to a private host.
func guardControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlockedAddress)
	}
	if blockedAddr(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", ap.Addr(), ErrBlockedAddress)
	}
	return nil
}

// newTransport is the tuned, shared transport of one provider.
func newTransport(p *config.Provider) *http.Transport {
	connect := p.Timeouts.Connect.Or(5 * time.Second)
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	if !p.AllowPrivateNetwork {
		d.Control = guardControl
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
	return fmt.Sprintf("%s|%s|%t|%s", p.Name, p.Endpoint, p.AllowPrivateNetwork, p.Timeouts.Connect.Or(5*time.Second))
}

// isConnectError reports a failure to reach the upstream at all.
func isConnectError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, ErrBlockedAddress) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
