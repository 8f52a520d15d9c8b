// Package proxytest serves the real proxy on 127.0.0.1 for the suites that
// drive a gateway end to end: internal/proxy's own tests and test/sdk,
// test/agents, test/mcp, test/console and test/observability. It does not
// import internal/proxy (Gateway is what it needs of *proxy.Server), so the
// proxy's in-package tests use it as well.
package proxytest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// Gateway is what Serve needs of a *proxy.Server.
type Gateway interface {
	http.Handler
	// Load loads a config (defaulted and validated by the server).
	Load(cfg *config.Config) error
	// HTTPServer is the client listener's server as `tollgate proxy`
	// builds it for cfg.
	HTTPServer(cfg *config.Config) *http.Server
	// Close retires the loaded config.
	Close()
}

// Serve loads cfg into s and serves s on an httptest server wired as
// `tollgate proxy` wires its listener (Server.HTTPServer: the header
// timeout, the base context and the error log). The server and s are
// closed when t ends.
func Serve(t testing.TB, s Gateway, cfg *config.Config) *httptest.Server {
	t.Helper()
	if err := s.Load(cfg); err != nil {
		t.Fatalf("loading the gateway config: %v", err)
	}
	t.Cleanup(s.Close)
	ts := httptest.NewUnstartedServer(s)
	hs := s.HTTPServer(cfg)
	ts.Config.ReadHeaderTimeout = hs.ReadHeaderTimeout
	ts.Config.BaseContext = hs.BaseContext
	ts.Config.ErrorLog = hs.ErrorLog
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// Key makes a consumer key and its config entry.
func Key(t testing.TB) (string, config.Key) {
	t.Helper()
	k, err := apikey.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return k, config.Key{ID: apikey.ID(k), SHA256: apikey.Hash(k)}
}
