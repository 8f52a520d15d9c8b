package netguard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestBlocked(t *testing.T) {
	for addr, blocked := range map[string]bool{
		"127.0.0.1": true, "169.254.169.254": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"100.64.0.1": true, "0.0.0.0": true, "224.0.0.1": true, "::1": true, "fe80::1": true, "fd00::1": true,
		"::ffff:127.0.0.1": true, "64:ff9b::a00:1": true, "8.8.8.8": false, "2606:4700::1111": false,
	} {
		if got := Blocked(netip.MustParseAddr(addr)); got != blocked {
			t.Errorf("Blocked(%s) = %v, want %v", addr, got, blocked)
		}
	}
}

// The client refuses a loopback server unless allowed, and never follows
// a redirect.
func TestClient(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.URL.Path == "/hop" {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	_, err := Client(false, 2*time.Second).Get(srv.URL)
	if !errors.Is(err, ErrBlocked) {
		t.Fatalf("guarded client reached %s: err = %v, want ErrBlocked", srv.URL, err)
	}
	if hits != 0 {
		t.Fatalf("the server was reached %d times through the guard", hits)
	}
	c := Client(true, 2*time.Second)
	resp, err := c.Get(srv.URL + "/hop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Fatalf("redirect: status %d after %d hits, want 302 after 1", resp.StatusCode, hits)
	}
}
