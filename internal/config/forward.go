package config

import (
	"fmt"
	"net/http"
	"strings"
)

// neverForwarded are client headers no provider is sent, whatever its
// ForwardHeaders say: client credentials (a request's own vendor keys
// too) and cookies, hop-by-hop headers,
// framing the transport owns, and vendor account selectors the provider's
// own Headers set (canonical form).
var neverForwarded = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "X-Api-Key": true, "Api-Key": true, "X-Goog-Api-Key": true,
	"Cookie": true, "Set-Cookie": true,
	"Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true,
	"Transfer-Encoding": true, "Upgrade": true, "Host": true, "Content-Length": true, "Accept-Encoding": true,
	"Expect": true, "Openai-Organization": true, "Openai-Project": true, "Anthropic-Version": true,
	"X-Goog-User-Project": true,
	// A request's own vendor keys (BYOK): the gateway takes them out and
	// puts each in its provider's credential.
	"X-Tollgate-Provider-Key": true,
}

// NeverForwarded reports whether a client header (canonical name) must not
// reach any upstream: see neverForwarded, and AWS X-Amz-* headers, which
// are signing material the gateway alone sets.
func NeverForwarded(name string) bool {
	return neverForwarded[name] || strings.HasPrefix(name, "X-Amz-") || strings.HasPrefix(name, "X-Amzn-")
}

// ValidForwardHeader checks one ForwardHeaders entry: a header name, or a
// prefix ending in "*", that is not (and does not cover) a header that is
// never forwarded.
func ValidForwardHeader(h string) error {
	name, prefix := strings.CutSuffix(h, "*")
	if name == "" || !isToken(name) {
		return fmt.Errorf("%q is not a header name (or a prefix ending in *)", h)
	}
	c := http.CanonicalHeaderKey(name)
	if prefix {
		if len(name) < 3 {
			return fmt.Errorf("prefix %q is too broad: name at least three characters", h)
		}
		for n := range neverForwarded {
			if strings.HasPrefix(n, c) {
				return fmt.Errorf("prefix %q covers %s, which is never forwarded", h, n)
			}
		}
		if strings.HasPrefix("X-Amz-", c) || strings.HasPrefix(c, "X-Amz") {
			return fmt.Errorf("prefix %q covers X-Amz-* headers, which are never forwarded", h)
		}
		return nil
	}
	if NeverForwarded(c) {
		return fmt.Errorf("%s is never forwarded", c)
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token (a valid header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
