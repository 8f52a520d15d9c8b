// Package netguard is the dial-time SSRF guard shared by the gateway's
// upstream transport and the operator's model discovery: a connection to
// a vendor endpoint is refused when the address actually dialed (after DNS
// resolution, so rebinding cannot steer it) is private, loopback,
// link-local, multicast or reserved, unless the ModelProvider sets
// allowPrivateNetwork.
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrBlocked is returned when an endpoint resolves to an address the
// guard refuses.
var ErrBlocked = errors.New("upstream address is in a private, loopback, link-local or reserved range")

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

// Blocked reports whether ip is an address the guard refuses.
func Blocked(ip netip.Addr) bool {
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

// Control is a net.Dialer Control function: it runs after name resolution,
// on the address actually dialed, and refuses blocked addresses.
func Control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, ErrBlocked)
	}
	if Blocked(ap.Addr()) {
		return fmt.Errorf("dial %s: %w", ap.Addr(), ErrBlocked)
	}
	return nil
}

// Client returns an HTTP client for short control-plane calls to a vendor
// (listing models): the guard on every dial unless allowPrivate, no
// environment proxy (it would bypass the guard), no redirects (a 3xx is an
// answer, not a new destination) and timeout bounding the whole call.
func Client(allowPrivate bool, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = Control
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         d.DialContext,
			TLSHandshakeTimeout: timeout,
			MaxIdleConns:        1,
			DisableKeepAlives:   true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
